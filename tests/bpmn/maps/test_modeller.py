"""The generated models import into the modeller's moddle without warnings, export with the same
elements, flows and lanes, and pass the project's bpmnlint rules (needs node and `npm ci`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bpmn.maps import MapFormat
from tests.bpmn.maps.helpers import convert_fixture

ROOT = Path(__file__).parents[3]
SCRIPT = Path(__file__).parent / "roundtrip.mjs"
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules" / "bpmn-moddle").is_dir(),
    reason="needs node and the front-end packages (npm ci)",
)
MAPS: list[tuple[str, MapFormat]] = [
    ("vendor_onboarding.md", "markdown"),
    ("employee_onboarding.csv", "csv"),
    ("purchase_approval.md", "markdown"),
    ("purchase_approval.tsv", "tsv"),
]


@pytest.mark.parametrize(("name", "format"), MAPS)
def test_the_modeller_imports_and_exports_the_model_unchanged(
    name: str, format: MapFormat, tmp_path: Path
) -> None:
    path = tmp_path / "model.bpmn"
    path.write_text(convert_fixture(name, format).bpmn)
    result = subprocess.run(
        ["node", str(SCRIPT), str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    report = json.loads(result.stdout)
    assert report["warnings"] == [] and report["exportWarnings"] == []
    assert report["before"] == report["after"]
    before = report["before"]
    assert sorted(before["shapes"]) == sorted(
        [*before["nodes"], *(lane.split(":")[0] for lane in before["lanes"]), "Participant_test_process"]
    )
    assert sorted(before["edges"]) == sorted(before["flows"])


@pytest.mark.parametrize(("name", "format"), MAPS)
def test_the_model_passes_the_projects_bpmnlint_rules(name: str, format: MapFormat, tmp_path: Path) -> None:
    path = tmp_path / "model.bpmn"
    path.write_text(convert_fixture(name, format).bpmn)
    result = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "bpmnlint"), str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout
