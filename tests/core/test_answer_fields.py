"""Required answer fields (aioclicksend._core.models): typed without ``None``, checked when read, not parsed.

An answer that leaves one out (or gives null) still parses; reading that field raises
``AnswerFieldMissingError`` (an ``APIResponseValidationError``) naming the model and the field, and
dumps, ``repr``, ``==``, copies and pickles leave it out as the answer did. Request models keep refusing
a missing required field when they are made. The models here are shaped like generated ones.
"""

from __future__ import annotations

import copy
import pickle
from enum import Enum
from typing import Annotated, Any

import pytest
from pydantic import Field, ValidationError

from aioclicksend import AnswerFieldMissingError, APIResponseValidationError, ClickSendError, Page
from aioclicksend._core.models import ClickSendModel, ClickSendRequestModel, value_given


class Action(str, Enum):
    URL = "URL"


class Rule(ClickSendModel):
    """An answer: required fields as datamodel-code-generator writes them, no default."""

    rule_id: int
    action: Action
    from_: Annotated[str, Field(alias="from")]
    term: str | None  # required and nullable: null is a value, only leaving it out is missing
    note: str | None = None


class RuleFields(ClickSendRequestModel):
    rule_id: int
    note: str | None = None


RULE = {"rule_id": 11, "action": "URL", "from": "sender", "term": None, "note": "n"}


def without(answer: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in answer.items() if name not in names}


def test_a_full_answer_reads_as_typed_values() -> None:
    rule = Rule.model_validate(RULE)
    assert (rule.rule_id, rule.action, rule.from_, rule.term, rule.note) == (
        11,
        Action.URL,
        "sender",
        None,
        "n",
    )
    assert rule.model_dump(by_alias=True, mode="json") == RULE
    assert repr(rule) == "Rule(rule_id=11, action=<Action.URL: 'URL'>, from_='sender', term=None, note='n')"


def test_a_field_left_out_parses_and_reading_it_raises_naming_model_and_field() -> None:
    rule = Rule.model_validate(without(RULE, "rule_id"))
    assert rule.action is Action.URL  # the rest of the answer is there
    with pytest.raises(AnswerFieldMissingError) as caught:
        rule.rule_id  # noqa: B018 (the read is what raises)
    error = caught.value
    assert isinstance(error, APIResponseValidationError) and isinstance(error, ClickSendError)
    assert (error.model, error.field, error.status, error.body) == ("Rule", "rule_id", 0, b"")
    assert str(error) == "Rule.rule_id: not in the answer, although the spec says ClickSend always sends it"


def test_null_in_a_field_typed_present_raises_too_and_null_in_a_nullable_one_is_a_value() -> None:
    rule = Rule.model_validate({**RULE, "rule_id": None, "term": None})
    with pytest.raises(AnswerFieldMissingError, match=r"^Rule\.rule_id: null in the answer"):
        rule.rule_id  # noqa: B018
    assert rule.term is None and rule.model_dump()["rule_id"] is None  # dumped as it came
    with pytest.raises(AnswerFieldMissingError, match=r"^Rule\.term: not in the answer"):
        Rule.model_validate(without(RULE, "term")).term  # noqa: B018


def test_an_aliased_field_is_named_as_the_answer_names_it_too() -> None:
    rule = Rule.model_validate(without(RULE, "from"))
    with pytest.raises(AnswerFieldMissingError, match=r"^Rule\.from_ \(the answer's 'from'\): not in"):
        rule.from_  # noqa: B018


def test_a_missing_field_never_leaks_into_dumps_repr_equality_copies_or_pickles() -> None:
    given = {**without(RULE, "rule_id", "from"), "new": 1}
    partial = Rule.model_validate(given)
    assert partial.model_dump(by_alias=True) == {**given, "action": Action.URL}
    assert partial.model_dump_json(by_alias=True) == '{"action":"URL","term":null,"note":"n","new":1}'
    assert Rule.model_validate_json(partial.model_dump_json(by_alias=True)) == partial
    assert repr(partial) == "Rule(action=<Action.URL: 'URL'>, term=None, note='n', new=1)"
    assert str(partial) == "action=<Action.URL: 'URL'> term=None note='n' new=1"
    assert partial != Rule.model_validate(RULE) and partial == Rule.model_validate(given)
    twins = (
        copy.copy(partial),
        copy.deepcopy(partial),
        partial.model_copy(),
        pickle.loads(pickle.dumps(partial)),
    )
    for twin in twins:
        assert twin == partial and twin.model_dump() == partial.model_dump()
        with pytest.raises(AnswerFieldMissingError):
            twin.rule_id  # noqa: B018
    assert partial.model_copy(update={"rule_id": 12}).rule_id == 12
    partial.rule_id = 13
    assert partial.rule_id == 13 and partial.model_dump()["rule_id"] == 13


def test_an_answer_made_by_hand_may_leave_fields_out_and_a_request_may_not() -> None:
    """Users' own test answers: the constructor is as lenient as parsing (type checkers still ask for every
    required field); a request model refuses a missing required field when it is made."""
    rule = Rule(note="x")  # type: ignore[call-arg]
    assert rule.note == "x" and rule.model_fields_set == {"note"}
    with pytest.raises(AnswerFieldMissingError, match="rule_id"):
        rule.rule_id  # noqa: B018
    with pytest.raises(ValidationError, match="rule_id"):
        RuleFields.model_validate({"note": "x"})


def test_a_subclass_keeps_the_check_on_inherited_fields() -> None:
    class MyRule(Rule):
        extra_note: str = ""

    class Renamed(Rule):
        rule_id: int  # redeclared: checked on read as well

    mine = MyRule.model_validate({"extra_note": "e"})
    with pytest.raises(AnswerFieldMissingError, match=r"^MyRule\.rule_id"):
        mine.rule_id  # noqa: B018
    assert MyRule.model_validate(RULE).rule_id == 11 and mine.extra_note == "e"
    with pytest.raises(AnswerFieldMissingError, match=r"^MyRule\.rule_id: null in the answer"):
        MyRule.model_validate({**RULE, "rule_id": None}).rule_id  # noqa: B018
    assert MyRule.model_validate(without(RULE, "rule_id")).term is None
    with pytest.raises(AnswerFieldMissingError, match=r"^Renamed\.rule_id"):
        Renamed.model_validate({}).rule_id  # noqa: B018


def test_a_pages_counts_are_required_yet_paging_goes_on_without_them() -> None:
    full = Page[Rule].model_validate(
        {"total": 3, "per_page": 1, "current_page": 1, "last_page": 3, "data": [RULE]}
    )
    assert (full.total, full.per_page, full.current_page, full.last_page) == (3, 1, 1, 3)
    assert full.has_next_page
    bare = Page[Rule].model_validate({"current_page": 1, "data": [without(RULE, "action")]})
    assert not bare.has_next_page  # no last_page: no next page, and no error
    with pytest.raises(AnswerFieldMissingError, match=r"^Page\[Rule\]\.last_page: not in the answer"):
        bare.last_page  # noqa: B018
    with pytest.raises(AnswerFieldMissingError, match=r"^Rule\.action"):
        bare.data[0].action  # noqa: B018


def test_the_sdks_own_reads_take_a_missing_field_as_none() -> None:
    partial = Rule.model_validate({**without(RULE, "rule_id"), "action": None, "extra": "kept"})
    assert value_given(partial, "rule_id") is None and value_given(partial, "action") is None
    assert value_given(partial, "note") == "n" and value_given(partial, "extra") == "kept"
    assert value_given(partial, "nothing") is None and value_given(object(), "rule_id") is None
