"""Helpers of the benchmarks in tests/perf (not benchmarks themselves: `make perf` runs bench_*.py)."""
