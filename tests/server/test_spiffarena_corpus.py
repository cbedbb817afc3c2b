"""Corpus SpiffArena models that use JSON Schema forms, instructions and pre-/post-scripts, run end to
end through the API with their form files (tests/bpmn/corpus_forms)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from tests.bpmn.helpers import corpus_files
from tests.server.conftest import Api

ADMIN = "admin@test.example"
SAP = "sartography-example-process-models/examples/"


def deploy(api: Api, path: str) -> None:
    files = corpus_files(path)
    data = {"files": [(BytesIO(content), name) for name, content in files.items()]}
    response = api.call("POST", "/api/v1/deployments", ADMIN, data=data, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()


def open_task(api: Api, instance_id: int, name: str) -> dict[str, Any]:
    tasks = [t for t in api.tasks(ADMIN, instance_id=instance_id) if t["state"] == "open"]
    assert [t["name"] for t in tasks] == [name]
    return api.call("GET", f"/api/v1/tasks/{tasks[0]['id']}", ADMIN).get_json()  # type: ignore[no-any-return]


def complete(api: Api, task: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    response = api.complete(task["id"], ADMIN, data)
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def test_food_ordering_with_a_sub_process_a_call_activity_scripts_and_instructions(api: Api) -> None:
    deploy(api, SAP + "2-in-depth/2-3-sub-processes/food-ordering-process.bpmn")
    instance = api.start("Food_Ordering_Process", ADMIN).get_json()
    iid = instance["id"]
    name = open_task(api, iid, "Enter Name")
    assert "<h2>Welcome to the Sub Process and Call Activity Example</h2>" in name["instructions_html"]
    assert api.complete(name["id"], ADMIN, {}).get_json()["fields"] == {"name": "This field is required."}
    complete(api, name, {"name": "Ada"})
    complete(api, open_task(api, iid, "Appetizer"), {"bruschetta": True})
    soup = open_task(api, iid, "Soup")
    assert api.complete(soup["id"], ADMIN, {"tom_yum_soup": "yes"}).status_code == 422
    complete(api, soup, {"tom_yum_soup": True})
    complete(api, open_task(api, iid, "Mains"), {"beef_lasagna": True, "vegetable_biryani": True})
    complete(api, open_task(api, iid, "Dessert"), {})
    bill = open_task(api, iid, "Display Bill Value")  # its pre-script built the lists and the cost
    assert "Hello Ada" in bill["instructions"]
    assert "Total Cost of your order is $47" in bill["instructions"]  # 5 + 12 + 2 * 15
    assert "Bruschetta" in bill["instructions_html"] and "Beef Lasagna" in bill["instructions_html"]
    complete(api, bill, {})
    payment = open_task(api, iid, "Select Payment Method")  # inside the called process
    assert [f["id"] for f in payment["form"]["fields"]] == ["pay_on_delivery", "pay_online"]
    complete(api, payment, {"pay_on_delivery": True})
    delivery = open_task(api, iid, "Pay on Delivery")
    assert delivery["instructions_html"].startswith("<p>You can pay by Cash or Credit Card")
    complete(api, delivery, {})  # its post-script sets success
    confirmation = open_task(api, iid, "Order Confirmation")
    assert "Tom Yum Soup" in confirmation["instructions"] and "Hello Ada" in confirmation["instructions"]
    done = complete(api, confirmation, {})
    assert done["status"] == "completed"
    assert done["data"]["cost"] == 47 and done["data"]["success"] is True


def test_pizza_decision_form_and_a_receipt_from_a_pre_script(api: Api) -> None:
    deploy(api, SAP + "1-basic-concepts/1-4-decisions/decision_example.bpmn")
    iid = api.start("Process_5bmdbcp", ADMIN).get_json()["id"]
    pizza = open_task(api, iid, "Select a Pizza")
    size, toppings = pizza["form"]["fields"]
    assert (size["widget"], toppings["multiple"], toppings["min_items"]) == ("radio", True, 1)
    bad = api.complete(pizza["id"], ADMIN, {"size": "Huge", "toppings": ["Pineapple"]}).get_json()["fields"]
    assert set(bad) == {"size", "toppings"}
    complete(api, pizza, {"size": "Medium", "toppings": ["Olives", "Ham"]})
    receipt = open_task(api, iid, "Receipt")
    assert "The total cost of your pizza is $17.00." in receipt["instructions"]  # 14 + 2 * 1.50
    assert "<table>" in receipt["instructions_html"]
    assert complete(api, receipt, {})["status"] == "completed"


def test_multi_instance_edits_each_item_through_a_nested_form(api: Api) -> None:
    deploy(api, SAP + "2-in-depth/2-5-loops/multi-instance/multi-instance.bpmn")
    iid = api.start("Process_multi_instance_f7w10zo", ADMIN).get_json()["id"]
    genres = ["Baroque!", "Romantic!", "Classical!"]
    for genre in genres:
        item = open_task(api, iid, "Edit Composer")
        composer, kind = item["form"]["fields"]
        assert (composer["id"], kind["id"], kind["widget"]) == (
            "composer_in_form.composer",
            "composer_in_form.genre",
            "textarea",
        )
        assert composer["default"]  # the item's current value fills the form
        complete(api, item, {"composer_in_form": {"genre": genre}})  # the name is kept, not lost
    shown = open_task(api, iid, "Display Edited Composers")
    assert "* **Johann Sebastian Bach**:   Baroque!" in shown["instructions"]
    assert "<strong>Ludwig van Beethoven</strong>:   Romantic!" in shown["instructions_html"]
    assert complete(api, shown, {})["status"] == "completed"
