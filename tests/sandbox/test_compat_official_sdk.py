"""ClickSend's own Python SDK (``clicksend-client``, pinned in the ``test`` extra) as a second client of the
sandbox: every operation of every ``clicksend.*Api`` class, found by introspection, is called against a
running sandbox and must come back parsed by the official SDK's own models.

Arguments are built with the official SDK's model classes from our spec's request examples (the operation
is found in our table by its method and path); path values name items the test first creates in the
sandbox (a contact list, a sent SMS…), so that gets, updates, deletes, receipts and cancels find them.

The official SDK has defects of its own: models that refuse what ClickSend's docs show, requests that
cannot say what the docs require. Those operations are listed in ``OFFICIAL_SDK_DEFECTS``, each with
the docs line (``001`` is the API reference in ``shared/seeds/``) that shows the defect is theirs; they
are expected to fail (strictly: one that starts working is noticed). Any other failure is the sandbox's. The whole run takes about 10 s, so it is part of ``nox -s tests``.
"""

from __future__ import annotations

import base64
import inspect
import json
import re
import typing
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import clicksend
import pydantic
import pytest

from aioclicksend._core.operation import Operation
from aioclicksend.sandbox import SandboxServer, _behaviours
from aioclicksend.sandbox._behaviours import CHANNELS, COLLECTIONS, Collection, collection_of

from ..support import OPERATIONS, operation_of, parameter_schema, sample_value, sandbox_in_a_thread

USERNAME = "official-user"
API_KEY = "official-key"

OFFICIAL_SDK_DEFECTS = {
    # Answers its models refuse: the docs (001 = the API reference) show the type the sandbox answers.
    "ContactsApi.get_specific_contact": 'its Contact wants date_added as an int; the docs\' Get Specific Contact example has "date_added": "1436160803" (001 line 4144)',
    "ContactsApi.update_contact": 'its Contact wants date_added as an int; the docs\' Update Contact example has "date_added": "1436161955" (001 line 4568)',
    "ListsApi.create_new_contact": 'its Contact wants date_added as an int; the docs\' Create New Contact example has "date_added": "1436160803" (001 line 3914)',
    "ListsApi.copy_contact_to_list": 'its Contact wants date_added as an int; the docs\' Copy Contact to List example has "date_added": "1456721694" (001 line 4800)',
    "ListsApi.transfer_contact_to_list": 'its Contact wants date_added as an int; the docs\' Transfer Contact to List example has "date_added": "1456721694" (001 line 5015)',
    "ListsApi.view_list_contacts": 'its Contact wants date_added and date_updated as ints; the docs\' View List Contacts example has "date_added": "1436157486" (001 line 3472)',
    "EmailApi.view_master_email_template": 'its MasterEmailTemplate wants date_added as an int; the docs\' example has "date_added": "1458182912" (001 line 9057)',
    "EmailApi.view_master_email_templates": 'its MasterEmailTemplate wants date_added as an int; the docs\' example has "date_added": "1458182912" (001 line 8858)',
    "EmailApi.view_templates_in_category": 'its MasterEmailTemplate wants date_added as an int; the docs\' example has "date_added": "1445848821" (001 line 9657)',
    "InternationalMessagingApi.agree_to_rules_and_regulation": 'its GlobalSending wants block_registration, block_leads and restricted_sending as booleans; the docs\' example has "block_registration": 0 (001 line 18460)',
    "InternationalMessagingApi.get_countries_for_global_sending": 'its GlobalSending wants block_registration as a boolean; the docs\' example has "block_registration": 0 (001 line 18401)',
    "InternationalMessagingApi.select_countries_for_global_sending": 'its GlobalSending wants block_registration as a boolean; the docs\' example has "block_registration": 0 (001 line 18338)',
    "ManagementApi.view_account_usage": 'its ViewAccountUsageDataSmsInner wants total_price as a number; the docs\' example has "total_price": "2.1337" (001 line 822)',
    "MessageDeliveryApi.get_all_delivery_issues": 'its DeliveryIssue wants issue_id as a string; the docs\' example has "issue_id": 1 (001 line 44437)',
    "MmsCampaignsApi.calculate_mms_campaign_price": 'its CalculateMmsCampaignPriceDataData wants schedule as a string; the docs\' example has "schedule": 1577833200 (001 line 22616)',
    "SmsApi.cancel_sms": 'its CancelSms wants data as an object; the docs\' Cancel SMS example has "data": [] (001 line 33480)',
    "SmsApi.mark_inbound_sms_as_read": 'its MarkInboundSmsAsRead wants data as an object; the docs\' example has "data": [] (001 line 33107)',
    "SmsApi.mark_sms_receipt_as_read": 'its MarkSmsReceiptAsRead wants data as an object; the docs\' example has "data": [] (001 line 32404)',
    "SmsApi.create_test_sms_receipt": 'its CreateTestSmsReceiptData wants timestamp and status_code as ints; the docs\' example has "timestamp": "1441958441" (001 line 31727)',
    "SmsApi.send_sms": 'its SmsSendSms wants message_price as a string; the docs\' Send SMS example has "message_price": 0.07 (001 line 31101)',
    "SmsApi.view_sms_history": 'its ViewSmsHistoryDataAllOfDataInner wants date and message_parts as ints and contact_id as a string; the docs\' example has "date": "1436932432" (001 line 34744), "message_parts": "1.00" (line 34755), "contact_id": 0 (line 34760)',
    "SmsApi.view_sms_receipts": 'its SmsReceipt wants timestamp_send, timestamp and status_code as ints; the docs\' example has "timestamp_send": "1442381791" (001 line 31930) and "status_code": "201" (line 31933)',
    "SmsApi.view_specific_sms_receipt": 'its SmsReceipt wants timestamp_send and status_code as ints; the docs\' example has "timestamp_send": "1450854013" (001 line 32188) and "status_code": "Completed" (line 32191)',
    "SmsApi.view_inbound_sms": 'its InboundSms wants timestamp as an int; the docs\' View Inbound SMS example has "timestamp": "1436174407" (001 line 32828)',
    "SmsApi.view_a_specific_inbound_sms_message": 'its InboundSms wants timestamp as an int; the docs show an inbound SMS with "timestamp": "1436174407" (001 line 32828)',
    "SmsCampaignsApi.cancel_sms_campaign": 'its SmsCampaign wants schedule and date_added as ints; the docs\' example has "schedule": "1444821615" (001 line 35935)',
    "SmsCampaignsApi.send_sms_campaign": 'its SmsCampaign wants schedule and date_added as ints; the docs\' example has "schedule": "1444821615" (001 line 35206)',
    "SmsCampaignsApi.view_sms_campaigns": 'its SmsCampaign wants schedule and date_added as ints; the docs\' example has "schedule": "1444821615" (001 line 36145)',
    "SmsCampaignsApi.view_specific_sms_campaign": 'its SmsCampaign wants schedule and date_added as ints; the docs\' example has "schedule": "1444821615" (001 line 36358)',
    "TransactionsApi.purchase_recharge_package": 'its PurchaseRechargePackageData wants amount as an int; the docs\' example has "amount": "50.00" (001 line 2856)',
    "TransactionsApi.view_all_transactions": 'its ViewAllTransactionsDataAllOfDataInner wants amount as a number; the docs\' example has "amount": "20.00" (001 line 3057)',
    "TransactionsApi.view_specific_transaction": 'its ViewAllTransactionsDataAllOfDataInner wants amount as a number; the docs\' example has "amount": "20.00" (001 line 3250)',
    "VoiceMessagingApi.send_voice_message": 'its VoiceMessage wants date and message_price as strings; the docs\' Send Voice Message example has "date": 1436871253 (001 line 41338) and "message_price": 0.07 (line 41348)',
    "VoiceMessagingApi.calculate_voice_price": 'its VoiceMessage wants date and message_price as strings; the docs\' Calculate Voice Price example has "date": 1436871253 (001 line 41855) and "message_price": 0.07 (line 41865)',
    # Requests it cannot make as the docs say: the sandbox refuses them as ClickSend documents.
    "ListsApi.import_contacts": "its ImportContactsRequest wants field_order as a string; the docs say field_order is [string], an array (001 line 7049)",
    "ListsApi.remove_duplicate_contacts": 'its RemoveDuplicateContactsRequest sends fields as an object; the docs\' request sends "fields": [...], an array (001 line 6455)',
    "EmailApi.export_email_history": "it has no filename argument; the docs say filename is a required query parameter (001 line 15594)",
    "EmailApi.send_email_campaign": "its SendEmailCampaignRequest sends from_email_address_id, template_id and list_id as strings; the docs say they are numbers (001 line 12235)",
    "EmailApi.calculate_email_campaign_price": "its CalculateEmailCampaignPriceRequest sends from_email_address_id, template_id and list_id as strings; the docs say they are numbers (001 line 12551)",
    "MmsCampaignsApi.send_mms_campaign": "its SendMmsCampaignRequest sends list_id as a string; the docs say list_id is integer(int32) (001 line 22345)",
    "MmsCampaignsApi.update_mms_campaign": "it sends a CalculateSmsCampaignPriceRequest, without the subject and media_file the docs require (001 lines 22956-22957), and list_id as a string, which the docs say is integer(int32) (line 22951)",
    "SmsCampaignsApi.calculate_sms_campaign_price": "its CalculateSmsCampaignPriceRequest sends list_id as a string; the docs say list_id is integer(int32) (001 line 35481)",
    "SmsCampaignsApi.update_sms_campaign": "its CalculateSmsCampaignPriceRequest sends list_id as a string; the docs say list_id is integer(int32) (001 line 35752)",
    "AddressesApi.update_return_address": "its UpdateReturnAddressRequest has only address_country and address_state; the docs require address_name, address_line_1, address_city and address_postal_code too (001 lines 28131-28134)",
    "SubaccountsApi.update_subaccount": "its UpdateSubaccountRequest has only access_sms and email; the docs require phone_number, first_name and last_name too (001 lines 40324-40326)",
    "ResellerApi.reseller_transfer_credit": "it sends an UpdatePaymentInfoRequest (credit card fields) instead of the client_user_id, balance and currency the docs require (001 lines 30029-30031)",
    "OwnNumbersApi.update_own_number": "it sends no credentials (its operation has no auth settings); the docs' request sends Basic auth (001 line 30565) and the sandbox answers 401 without it",
}
"""``Api.method`` → how the official SDK cannot do what ClickSend's docs show, with the docs line that shows it."""

"""``Api.method`` → failures that come from a decision of our spec where the docs disagree with themselves or
with it: not the official SDK's defect, not the sandbox's (it answers as the spec says); reported, expected."""

OURS = {(operation.method, re.sub(r"\{[^}]+\}", "{}", operation.path)): operation for operation in OPERATIONS}
BY_ID = {operation.id: operation for operation in OPERATIONS}
SKIPPED_SUFFIXES = ("_with_http_info", "_without_preload_content")


def official_methods() -> Iterator[tuple[str, str]]:
    """Every operation of the official SDK: (``SmsApi``, ``send_sms``)…"""
    for api_name in sorted(name for name in dir(clicksend) if name.endswith("Api")):
        api = getattr(clicksend, api_name)
        for name, member in sorted(vars(api).items()):
            if not name.startswith("_") and callable(member) and not name.endswith(SKIPPED_SUFFIXES):
                yield api_name, name


def wire(api: type, method: str) -> tuple[str, str]:
    """The HTTP method and path template an official operation sends, read from its serializer."""
    source = inspect.getsource(getattr(api, f"_{method}_serialize"))
    verb = re.search(r"method='(\w+)'", source)
    path = re.search(r"resource_path='([^']+)'", source)
    assert verb is not None and path is not None, f"{api.__name__}.{method}: no method or path"
    return verb.group(1), path.group(1)


def our_key(api: type, method: str) -> tuple[str, str]:
    """The key in ``OURS`` of an official operation: its method and path (a trailing ``/`` aside)."""
    verb, path = wire(api, method)
    return verb, re.sub(r"\{[^}]+\}", "{}", path.removeprefix("/v3").rstrip("/"))


def ours(api: type, method: str) -> Operation[Any]:
    """Our operation of the same method and path."""
    return OURS[our_key(api, method)]


# --- the sandbox, in a thread (the official SDK is synchronous) -------------------------------------------


class Sandbox:
    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.root = server.base_url.removesuffix("/v3")
        token = base64.b64encode(f"{USERNAME}:{API_KEY}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def call(self, operation: Operation[Any], path_values: dict[str, Any], body: Any = None) -> Any:
        """The answer's data of one of our operations, by plain HTTP."""
        path = operation.path.format(**path_values)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.server.base_url + path, data=data, headers=self.headers, method=operation.method
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        return answer["data"] if operation.envelope else answer


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with sandbox_in_a_thread() as server:
        yield Sandbox(server)


# --- state the path values name ------------------------------------------------------------------------


def request_example(operation: Operation[Any]) -> Any:
    body = operation_of(operation).get("requestBody")
    return (body or {}).get("content", {}).get("application/json", {}).get("example")


def create(sandbox: Sandbox, collection: Collection) -> tuple[dict[str, Any], Any]:
    """A new item of the collection (and of the collection it lives in): its path values and id."""
    creates = BY_ID[collection.creates]
    parents: dict[str, Any] = {}
    for parameter in creates.parameters:
        if parameter.location == "path":
            parent = next(c for c in COLLECTIONS if c.id_parameter == parameter.name and c is not collection)
            parents.update(create(sandbox, parent)[0])
    item = sandbox.call(creates, parents, request_example(creates) or {})
    item_id = item[collection.id_field]
    return {**parents, collection.id_parameter: item_id}, item_id


def send(sandbox: Sandbox, operation_id: str) -> str:
    """Sends the documented example of a send: the id of its first message."""
    operation = BY_ID[operation_id]
    assert operation.bulk is not None
    data = sandbox.call(operation, {}, request_example(operation))
    return str(data[operation.bulk.results][0]["message_id"])


def path_values(sandbox: Sandbox, operation: Operation[Any]) -> dict[str, Any]:
    """Values for the operation's path parameters that name items the sandbox keeps: created for it."""
    names = [parameter.name for parameter in operation.parameters if parameter.location == "path"]
    if not names:
        return {}
    if {"from_list_id", "to_list_id"} <= set(names):  # copy and transfer a contact
        contact, contact_id = create(sandbox, collection_of(_behaviours.CONTACTS))
        target, _ = create(sandbox, collection_of(_behaviours.CONTACT_LISTS))
        return {"from_list_id": contact["list_id"], "contact_id": contact_id, "to_list_id": target["list_id"]}
    for collection in COLLECTIONS:
        if operation.id in (collection.gets, collection.updates, collection.deletes):
            return create(sandbox, collection)[0]
    for channel in CHANNELS:  # a message's receipt, or cancelling it
        if operation.id in (channel.receipt, channel.cancel):
            return {"message_id": send(sandbox, channel.send)}
    if operation.id == "GetInboundSms":  # a reply to an SMS sent first
        send(sandbox, "SendSms")
        inbound = sandbox.call(BY_ID["CreateTestInboundSms"], {}, {"url": "https://example.com/inbound"})
        return {"original_message_id": inbound["original_message_id"]}
    return {}


# --- the official SDK's arguments ----------------------------------------------------------------------


def _core(annotation: Any) -> Any:
    """What an annotation takes once Optional and Annotated are taken off: a class, or ``list[X]``,
    ``dict`` or a union of number types."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _core(typing.get_args(annotation)[0])
    if origin is typing.Union:
        kinds = [argument for argument in typing.get_args(annotation) if argument is not type(None)]
        cores = [_core(kind) for kind in kinds]
        if len(cores) == 1:
            return cores[0]
        return float if set(cores) <= {int, float} else cores[0]
    return annotation


def _model_class(annotation: Any) -> Any:
    """The model class (or ``dict``) a body argument takes; None for any other argument."""
    core = _core(annotation)
    if inspect.isclass(core) and issubclass(core, pydantic.BaseModel):
        return core
    return dict if core is dict or typing.get_origin(core) is dict else None


def plausible(core: Any) -> Any:
    """A value of a type, for a required field our example does not give."""
    if inspect.isclass(core) and issubclass(core, pydantic.BaseModel):
        return fit(core, {}).to_dict()
    if typing.get_origin(core) is list:
        return []
    return {str: "sample", int: 1, float: 1.0, bool: False, dict: {}}.get(core, "sample")


def _as(core: Any, value: Any) -> Any:
    """``value`` as the official SDK's type ``core`` takes it (as JSON), where one converts to the other."""
    if value is None:
        return None
    if inspect.isclass(core) and issubclass(core, pydantic.BaseModel):
        return fit(core, value).to_dict() if isinstance(value, dict) else plausible(core)
    if typing.get_origin(core) is list:
        item = _core(typing.get_args(core)[0])
        return [_as(item, each) for each in (value if isinstance(value, list) else [value])]
    if core is str and isinstance(value, (int, float)):
        return str(value)
    if core is int and isinstance(value, str) and re.fullmatch("-?[0-9]+", value):
        return int(value)
    if core is float and isinstance(value, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
        return float(value)
    if core is bool and value in (0, 1):
        return bool(value)
    return value


def fit(model: Any, data: dict[str, Any]) -> Any:
    """An instance of an official request model from our example ``data``: each field converted to the
    type the model takes, required fields the example lacks given a plausible value."""
    fitted: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        core = _core(field.annotation)
        if key in data:
            fitted[key] = _as(core, data[key])
        elif field.is_required():
            fitted[key] = plausible(core)
    # Not from_dict: it sets every field it knows, and to_dict then sends a null for each nullable one.
    return model.model_validate(fitted)


def parameter_value(operation: Operation[Any], name: str, annotation: Any, given: Any = None) -> Any:
    """A path or query value: ``given`` (an item's id), else the spec's example, first enum value or a
    sample, as the official SDK's type takes it."""
    value = given
    if value is None:
        our = operation.parameter(name)
        schema = parameter_schema(operation, name)
        items = schema.get("items", schema)
        value = schema.get("example", items.get("enum", [None])[0])
        if value is None and (items.get("maxLength") == 2 or "country" in name):
            value = "AU"
        if value is None:
            value = sample_value(operation, our.kind.removesuffix("[]") if our else "string", name)
    core = _core(annotation)
    if typing.get_origin(core) is list:
        return _as(core, value)
    converted = _as(core, value)
    return 4321 if core is int and not isinstance(converted, int) else converted


def arguments(sandbox: Sandbox, api: type, method: str) -> dict[str, Any]:
    """The official operation's arguments: path values, required query values and its body."""
    operation = ours(api, method)
    signature = inspect.signature(getattr(api, method))
    hints = typing.get_type_hints(getattr(api, method), include_extras=True)
    _, official_path = wire(api, method)
    official_names = re.findall(r"\{([^}]+)\}", official_path)
    our_names = re.findall(r"\{([^}]+)\}", operation.path)
    values = path_values(sandbox, operation)
    kwargs: dict[str, Any] = {}
    for official, our in zip(official_names, our_names, strict=True):
        kwargs[official] = parameter_value(operation, our, hints[official], values.get(our))
    body = request_example(operation)
    for name, parameter in signature.parameters.items():
        if name in kwargs or name in ("self", "content_type") or name.startswith("_"):
            continue
        model = _model_class(hints[name])
        if model is dict:
            kwargs[name] = body
        elif model is not None:
            kwargs[name] = fit(model, body or {})
        else:
            our_parameter = operation.parameter(name)
            if parameter.default is inspect.Parameter.empty or (our_parameter and our_parameter.required):
                kwargs[name] = parameter_value(operation, name, hints[name])
    return kwargs


def official_cases() -> Iterator[Any]:
    """Every official operation our spec has too; those of ``OFFICIAL_SDK_DEFECTS`` are expected to fail
    (strictly: one that starts working is noticed), by their models' refusal or ClickSend's. One our spec
    does not have (removed from it, or never there) is not ours to answer: ``nox -s upstream`` lists those,
    and ``test_our_spec_has_the_official_operations`` says how many there are."""
    failing = (pydantic.ValidationError, clicksend.ApiException)
    for api_name, method in official_methods():
        if our_key(getattr(clicksend, api_name), method) not in OURS:
            continue
        key = f"{api_name}.{method}"
        known = OFFICIAL_SDK_DEFECTS.get(key)
        marks = [pytest.mark.xfail(strict=True, reason=known, raises=failing)] if known else []
        yield pytest.param(api_name, method, id=key, marks=marks)


@pytest.mark.parametrize(("api_name", "method"), list(official_cases()))
def test_the_official_sdk_reads_every_answer(sandbox: Sandbox, api_name: str, method: str) -> None:
    api_class = getattr(clicksend, api_name)
    configuration = clicksend.Configuration(host=sandbox.root, username=USERNAME, password=API_KEY)
    with clicksend.ApiClient(configuration) as api_client:
        api = api_class(api_client)
        call: Callable[..., Any] = getattr(api, method)
        answer = call(**arguments(sandbox, api_class, method))
    returned = typing.get_type_hints(getattr(api_class, method)).get("return")
    if inspect.isclass(returned) and issubclass(returned, pydantic.BaseModel):
        assert isinstance(answer, returned)


def test_our_spec_has_the_official_operations() -> None:
    """Nearly every official operation maps to one of ours (all of them today; `nox -s upstream` names any
    that do not): a share, not a list, so that removing an operation from the spec needs no edit here, yet
    a mapping that stopped working (a changed serializer, a path rule) is noticed."""
    official = list(official_methods())
    mapped = [(api, method) for api, method in official if our_key(getattr(clicksend, api), method) in OURS]
    assert len(mapped) >= 0.95 * len(official), sorted(set(official) - set(mapped))
