"""In a real browser: paste a process map, preview the generated diagram with its lanes, and without
JavaScript still get the model (the message and the download instead of the drawing)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.browser.conftest import ROOT, _need, screenshot, sign_in

if TYPE_CHECKING:
    from tests.server.conftest import Api

ADMIN = "admin@test.example"
VENDOR = Path(__file__).parents[1] / "bpmn" / "maps" / "fixtures" / "vendor_onboarding.md"
LANES = {"Procurement", "Risk", "Legal", "Accounts Payable"}
# The vendor onboarding map with one unclear SLA (line 27), so the page also shows a warning.
UNCLEAR_MAP = VENDOR.read_text().replace("(Procurement, 4h)", "(Procurement, 4 hourz)")


def _need_map_bundle() -> None:
    _need((ROOT / "static" / "dist" / "map.js").exists(),
          "static/dist/map.js is not built: run `make install` (needs Node.js) or `npm ci && npm run build`")


def test_the_preview_draws_the_generated_diagram_with_a_lane_per_owner(api: Api, page: Any) -> None:
    _need_map_bundle()
    sign_in(page, ADMIN)
    page.goto("/models")
    page.click("a:has-text('Start from a process map')")
    page.wait_for_url(re.compile(r"/maps$"))
    page.fill("#map-text", UNCLEAR_MAP)
    page.click("button:has-text('Preview')")
    page.wait_for_selector("#map-preview[data-ready=true]")

    xml = page.get_attribute("#map-preview", "data-xml") or ""
    lane_ids = re.findall(r'<bpmn:lane id="([^"]+)"', xml)
    assert len(lane_ids) == len(LANES)
    drawn = page.evaluate(
        """(ids) => ids.map((id) => {
          const g = document.querySelector(`#map-preview svg g.djs-shape[data-element-id="${id}"]`);
          if (!g) return null;
          const box = g.getBBox();
          return { name: g.textContent.trim(), width: box.width, height: box.height };
        })""",
        lane_ids,
    )
    assert all(lane is not None and lane["width"] > 0 and lane["height"] > 0 for lane in drawn), drawn
    assert {lane["name"] for lane in drawn} == LANES
    lanes_in_registry = page.evaluate(
        "window.batonViewer.get('elementRegistry').filter((e) => e.type === 'bpmn:Lane').length"
    )
    assert lanes_in_registry == len(LANES)
    assert page.locator("#map-preview svg g.djs-shape[data-element-id]").count() > len(LANES) + 10
    assert page.is_hidden("#map-preview .diagram-fallback")
    assert "Drag to pan" in page.inner_text("#map-preview-status")

    assert "4 hourz" in page.inner_text(".map-warning") and "Line 27" in page.inner_text(".map-warning")
    assert page.get_attribute(".map-line--noted", "id") == "line-27"
    screenshot(page, "map-preview.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    screenshot(page, "map-preview-narrow.png")
    page.set_viewport_size({"width": 1400, "height": 900})

    # A map with no steps: the problems by line, the text kept, no preview.
    page.fill("#map-text", "# Notes\n\n3 Approve the thing\n")
    page.click("button:has-text('Preview')")
    page.wait_for_selector("#problems-h")
    assert "Line 3" in page.inner_text(".map-problems") and page.locator("#map-preview").count() == 0
    assert page.input_value("#map-text") == "# Notes\n\n3 Approve the thing\n"
    assert page.get_attribute(".map-line--noted", "id") == "line-3"
    screenshot(page, "map-problems.png")
    assert page.js_errors == []


def test_without_javascript_the_page_offers_the_model_all_the_same(api: Api, chromium: Any,
                                                                  live_server: str) -> None:
    _need_map_bundle()
    context = chromium.new_context(java_script_enabled=False, base_url=live_server, accept_downloads=True)
    try:
        page = context.new_page()
        sign_in(page, ADMIN)
        page.goto("/maps")
        page.fill("#map-text", VENDOR.read_text())
        page.click("button:has-text('Preview')")
        page.wait_for_selector("#map-preview")
        assert "The preview needs JavaScript" in page.inner_text("#map-preview")
        with page.expect_download() as download:
            page.click("button:has-text('Download .bpmn')")
        assert download.value.suggested_filename == "vendor_onboarding.bpmn"
        saved = Path(download.value.path()).read_text()
        assert saved == page.get_attribute("#map-preview", "data-xml")
    finally:
        context.close()
