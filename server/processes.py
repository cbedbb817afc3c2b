"""Child processes in their own process groups: started, watched, and stopped together."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import TextIO

GRACE_S = 5.0  # from SIGTERM to SIGKILL when stopping the children
POLL_S = 0.2  # how often the children are checked
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@dataclass
class StopFlag:
    """Set by SIGINT/SIGTERM/SIGHUP: the supervisor then stops everything it started."""

    signum: int | None = None

    def __bool__(self) -> bool:
        """True once a stop signal arrived."""
        return self.signum is not None


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopFlag]:
    """Turn SIGINT, SIGTERM and SIGHUP into a flag while the block runs; restore handlers after."""
    flag = StopFlag()

    def handler(signum: int, frame: FrameType | None) -> None:
        flag.signum = signum

    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, handler) for sig in sigs}
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def die_with_parent() -> Callable[[], None] | None:
    """A preexec hook asking Linux to SIGTERM the child if the supervisor dies (even by SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    parent = os.getpid()

    def hook() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the supervisor died before prctl took effect
            os._exit(1)

    return hook


@dataclass
class Supervisor:
    """Child processes, each in its own process group, watched and stopped together."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    children: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def say(self, message: str) -> None:
        """Tell the user, at once."""
        print(message, file=self.out, flush=True)

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start `argv` as the child `name`, in a new process group (a terminal's Ctrl-C reaches
        only the supervisor, which then stops the children in order)."""
        process = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent()
        )
        self.children[name] = process
        return process

    def exited(self) -> tuple[str, int] | None:
        """The first child found to have exited, with its exit code, or None while all run."""
        for name, process in self.children.items():
            code = process.poll()
            if code is not None:
                return name, code
        return None

    def watch(self, stop: StopFlag) -> tuple[str, int] | None:
        """Wait until `stop` is set (None) or a child exits (its name and exit code)."""
        while not stop:
            gone = self.exited()
            if gone:
                return gone
            time.sleep(POLL_S)
        return None

    def stop_all(self, grace: float = GRACE_S) -> None:
        """SIGTERM every child's process group, wait up to `grace` seconds, then SIGKILL what is left."""
        for process in reversed(self.children.values()):  # also groups whose leader already died
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.0, deadline - time.monotonic()))
        # A group can outlive its leader (a gunicorn worker, RQ's scheduler): give it the same grace.
        while time.monotonic() < deadline and any(_group_alive(p.pid) for p in self.children.values()):
            time.sleep(0.05)
        for process in self.children.values():
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()


def _signal_group(pgid: int, sig: int) -> None:
    """Send `sig` to a process group; one that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group `pgid` still runs."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
