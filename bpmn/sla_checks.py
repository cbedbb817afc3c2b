"""Deploy-time checks of SLA settings, so a typo in a ladder is found before a task is late."""

from __future__ import annotations

from lxml import etree

from . import sla
from .errors import Problem
from .metadata import BPMN_NS, task_metadata
from .xmlsafe import line

_HUMAN_TASKS = ("userTask", "manualTask")


def _lane_of(process: etree._Element, element_id: str) -> str | None:
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        refs = {(ref.text or "").strip() for ref in lane.iterchildren(f"{{{BPMN_NS}}}flowNodeRef")}
        if element_id in refs and not lane.findall(f"{{{BPMN_NS}}}childLaneSet"):
            return lane.get("name")
    return None


def sla_settings(file: str, root: etree._Element) -> list[Problem]:
    """Unreadable due dates, calendars and ladder steps of every user task, with element and line."""
    problems: list[Problem] = []
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        for tag in _HUMAN_TASKS:
            for node in process.iter(f"{{{BPMN_NS}}}{tag}"):
                meta = task_metadata(node)
                element_id = node.get("id") or ""
                settings = sla.settings_for(meta.get("properties", {}), meta.get("process_sla", {}),
                                            _lane_of(process, element_id), meta.get("due_date"),
                                            meta.get("follow_up_date"))
                for exc in sla.problems(settings):
                    problems.append(Problem(file, line(node), element_id, f"SLA: {exc}"))
    return problems
