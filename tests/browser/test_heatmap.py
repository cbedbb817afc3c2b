"""In a real browser: a process version's heatmap colours each element by its 90th percentile time
(or by passes, when chosen), labels it with its figures, and the page keeps the tables beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

from tests.browser.conftest import screenshot, sign_in
from tests.server.heatmap_scenario import ADMIN, PROCESS, run_routes

if TYPE_CHECKING:
    from tests.server.conftest import Api

TIMES = "\u00d7"  # the multiplication sign the badges put after a count of passes


def _classes(page: Any, element_id: str) -> str:
    return page.get_attribute(f'#heatmap g.djs-element[data-element-id="{element_id}"]', "class") or ""


def _badge(page: Any, element_id: str) -> str:
    return str(page.inner_text(f'#heatmap .baton-heat-badge[data-element-id="{element_id}"]'))


def test_heatmap_colours_and_labels_every_element(app: Flask, api: Api, page: Any) -> None:
    run_routes(app, api)
    sign_in(page, ADMIN)
    page.goto(f"/processes/{PROCESS}/versions/1")
    page.wait_for_selector("#heatmap[data-ready=true]")

    # By 90th percentile time: the timer (p90 2 h 54 min) is the hottest, the review (52 min) is
    # in the second step of five, elements passed at once in the first; nothing is unreached.
    assert "heat-4" in _classes(page, "cool_off")
    assert "heat-1" in _classes(page, "review")
    for instant in ("start", "prep", "route_gw", "merge", "done"):
        assert "heat-0" in _classes(page, instant), instant
    assert page.locator("#heatmap g.djs-element.heat-none").count() == 0
    assert _badge(page, "review") == f"3{TIMES} · 20 min · p90 52 min · 1 now"
    assert _badge(page, "cool_off") == f"2{TIMES} · 2 h 30 min · p90 2 h 54 min · 1 now"
    assert _badge(page, "route_gw") == f"8{TIMES}"  # passed at once: no times
    assert "heat-flow-3" in _classes(page, "f1") and "heat-flow-1" in _classes(page, "f4")
    assert page.inner_text("#heatmap [data-end=high]") == "2 h 54 min"
    assert page.locator("#heatmap .heatmap-scale .heatmap-step").count() == 5
    status = page.inner_text(".heatmap-status")
    assert "Coloured by 90th percentile time: 7 elements over 8 instances." in status
    assert page.locator("#bottlenecks tbody tr").count() == 2
    screenshot(page, "heatmap-p90.png")

    # By passes: the start event and the gateway (8 each) are hottest, the timer's two the coolest.
    page.select_option("#heatmap-measure", "count")
    page.wait_for_selector("#heatmap[data-measure=count]")
    assert "heat-4" in _classes(page, "start") and "heat-4" in _classes(page, "route_gw")
    assert "heat-1" in _classes(page, "cool_off") and "heat-4" not in _classes(page, "cool_off")
    assert page.inner_text("#heatmap [data-end=high]") == "8"
    screenshot(page, "heatmap-passes.png", "#heatmap")

    # On a phone the tables stack into cards and nothing runs off the side of the page.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.wait_for_timeout(300)  # the diagram fits itself to the new width
    screenshot(page, "heatmap-phone.png", ".heatmap-card")
    assert page.js_errors == []
