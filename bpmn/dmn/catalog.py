"""DecisionCatalog: the parser mixin that reads every decision of every DMN file of a deployment."""

from __future__ import annotations

from typing import Any

from lxml import etree

from ..errors import Problem
from .model import Decision
from .reader import read_decisions


class DecisionCatalog:
    """Replaces SpiffWorkflow's DMN registration, which keeps only the first decision of a file.

    `decisions` maps decision id -> Decision over all files; `dmn_problems` holds what reading them
    found (errors and warnings), for the bundle to report with the other problems.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decisions: dict[str, Decision] = {}
        self.dmn_problems: list[Problem] = []

    def add_dmn_xml(self, node: etree._Element, filename: str | None = None) -> None:
        file = filename or ""
        decisions, problems = read_decisions(file, node)
        self.dmn_problems.extend(problems)
        for decision in decisions:
            other = self.decisions.get(decision.id)
            if other is not None:
                message = f"decision id {decision.id} is also defined in {other.file}"
                self.dmn_problems.append(Problem(file, decision.line, decision.id, message))
                continue
            self.decisions[decision.id] = decision
