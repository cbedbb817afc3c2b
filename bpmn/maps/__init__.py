"""Map -> Model: turn a static process map (a numbered list or a table of steps) into runnable BPMN.

Syntax, SLA ladder and layout are described in the modules: `text` (lists), `tables` (columns),
`routing` (decisions), `inputs` (field types), `durations` (SLAs and the ladder), `layout`.

The SLA ladder of a task is written as camunda:properties, offsets relative to its due date:
`sla` (the SLA, e.g. P2D, also written as camunda:dueDate), `sla.nudge` (remind the assignee; a
quarter of the SLA before the due date, e.g. -PT12H), `sla.escalate` (tell the lane's lead; PT0S,
at the due date) and `sla.reassign` (the lead may reassign; half the SLA after the due date, P1D).
Documents are text fields (forms/ has no file field yet) with the field property `document`=`true`.
"""

from __future__ import annotations

from .convert import FORMATS, MAX_MAP_BYTES, Conversion, MapFormat, convert, heading, process_id_for
from .errors import MapError, MapInvalid, MapProblem

__all__ = [
    "FORMATS",
    "MAX_MAP_BYTES",
    "Conversion",
    "MapError",
    "MapFormat",
    "MapInvalid",
    "MapProblem",
    "convert",
    "heading",
    "process_id_for",
]
