"""The sandbox and the spec agree: every operation is routed and answers in the documented shape, and its
behaviours are registered by the operation table's ids."""

from __future__ import annotations

from typing import Any

import pytest

from aioclicksend import AsyncClickSend, NotFoundError, Page
from aioclicksend._core.operation import Operation
from aioclicksend.sandbox import SandboxServer, _behaviours
from aioclicksend.sandbox._behaviours import (
    BY_ID,
    COLLECTIONS,
    Channel,
    derive_collections,
    handlers,
)
from aioclicksend.sandbox._framework import registry

from ..support import OPERATIONS, by_name, call_arguments, invoke


@pytest.mark.parametrize("method", OPERATIONS, ids=by_name)
async def test_every_operation_answers_as_the_spec_says(
    sandbox: tuple[SandboxServer, AsyncClickSend], method: Operation[Any]
) -> None:
    server, cs = sandbox
    kwargs, _, _ = call_arguments(method)
    try:
        result = await invoke(cs, method, kwargs)
    except NotFoundError:
        # A stateful item (a list, a contact, a template…) that was never created: the right answer.
        assert any(parameter.location == "path" for parameter in method.parameters)
    else:
        if method.paging is not None and method.paging.style == "page":
            assert isinstance(result, Page)
    assert server.counters.requests[method.id] >= 1


def test_behaviours_are_registered_by_the_tables_ids() -> None:
    registered = handlers()
    assert set(registered) <= set(BY_ID)
    for operation in OPERATIONS:
        if operation.bulk is not None:  # a bulk send, its history list (from the table) and a price
            assert {operation.id, operation.bulk.history.id} <= set(registered)
    for collection in COLLECTIONS:  # every collection the table holds keeps its items
        assert set(collection.handlers()) <= set(registered)


def operation(operation_id: str, method: str, path: str) -> Operation[Any]:
    return Operation(
        operation_id, operation_id, method, path, method == "GET", lambda: None, "widgets.models"
    )


def test_collections_are_derived_from_the_tables_paths() -> None:
    """A POST creates what its path's GET lists and ``/{id}`` gets, updates (PUT or PATCH) and deletes;
    operations with a behaviour of their own make no collection."""
    table = [
        operation("CreateWidget", "POST", "/widgets"),
        operation("ListWidgets", "GET", "/widgets"),
        operation("GetWidget", "GET", "/widgets/{widget_id}"),
        operation("UpdateWidget", "PATCH", "/widgets/{widget_id}"),
        operation("DeleteWidget", "DELETE", "/widgets/{widget_id}"),
        operation("CreatePart", "POST", "/widgets/{widget_id}/parts"),
        operation("GetPart", "GET", "/widgets/{widget_id}/parts/{part_id}"),
        operation("CreateTestReceipt", "POST", "/receipts"),
        operation("GetReceipt", "GET", "/receipts/{message_id}"),
        operation("SendWidget", "POST", "/widgets/send"),
    ]
    derived = derive_collections({entry.id: entry for entry in table}, claimed={"GetReceipt"})
    assert [(c.id_parameter, c.creates, c.lists, c.gets, c.updates, c.deletes) for c in derived] == [
        ("widget_id", "CreateWidget", "ListWidgets", "GetWidget", "UpdateWidget", "DeleteWidget"),
        ("part_id", "CreatePart", None, "GetPart", None, None),
    ]


def test_an_items_id_field_is_read_from_its_documented_answer() -> None:
    by_creates = {collection.creates: collection for collection in COLLECTIONS}
    assert by_creates["CreateContactList"].id_field == "list_id"
    assert by_creates["CreateResellerAccount"].id_field == "user_id"  # its path names it client_user_id
    assert by_creates["RequestAlphaTag"].id_field == "id"


def test_a_behaviour_for_an_operation_the_table_lacks_is_left_out_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An operation taken out of the spec does not stop the sandbox from starting."""
    gone = Channel("pigeon", send="SendPigeon", price="CalculatePigeonPrice")
    monkeypatch.setattr(_behaviours, "CHANNELS", (*_behaviours.CHANNELS, gone))
    monkeypatch.setattr(_behaviours, "SINGLE", {**_behaviours.SINGLE, "ListPigeons": handlers()["SendSms"]})
    registered = handlers.__wrapped__()
    assert set(registered) == set(handlers()) and "ListPigeons" not in registered
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any("SendPigeon" in warning for warning in warnings)
    assert any("no operation ListPigeons" in warning for warning in warnings)


def test_an_operation_registered_twice_is_the_sandboxs_mistake() -> None:
    table = {"GetWidget": operation("GetWidget", "GET", "/widgets/{widget_id}")}
    with pytest.raises(ValueError, match="registers Widgets's GetWidget twice"):
        registry("Widgets", table, [{"GetWidget": print}, {"GetWidget": print}])
    assert registry("Widgets", table, [{"GetWidget": print, "ListWidgets": print}]) == {"GetWidget": print}
