import json
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voipbin_tui.api import NIL_UUID, Account, AccountType, Page
from voipbin_tui.api.models import ErrorEnvelope, Flow, mask_secret


def test_fixture_page_parses_every_quirk(fixtures_root: Path) -> None:
    page = Page[Account].model_validate(json.loads((fixtures_root / "voipbin/accounts-page.json").read_text()))
    line, whatsapp, sms = page.result
    assert page.next_page_token == "2022-06-24T04:28:51.558082Z"
    assert line.type is AccountType.LINE and line.provider_data is None
    assert whatsapp.phone_number_id == "123456789012345"
    assert whatsapp.app_secret is not None
    assert whatsapp.app_secret.get_secret_value() == "abcdef1234567890abcdef1234567890"
    # omitted name/detail read as empty, the nil UUID is "no flow", 9999 is "not deleted"
    assert (sms.name, sms.detail) == ("", "")
    assert sms.message_flow_id == NIL_UUID and not sms.has_flow
    assert sms.tm_delete is None and not sms.is_deleted
    assert sms.tm_create is not None and sms.tm_create.microsecond == 558082


def test_missing_type_and_unknown_type_do_not_break_the_list() -> None:
    account = Account.model_validate({"id": str(UUID(int=5))})
    assert (account.type, account.name, account.message_flow_id) == ("", "", NIL_UUID)
    assert Account.model_validate({"id": str(UUID(int=6)), "type": "telegram"}).type == "telegram"


def test_public_dict_masks_app_secret_unless_asked(fixtures_root: Path) -> None:
    page = json.loads((fixtures_root / "voipbin/accounts-page.json").read_text())
    account = Account.model_validate(page["result"][1])
    masked = account.to_public_dict()
    assert masked["provider_data"]["app_secret"] == "••••7890"
    assert "abcdef1234567890abcdef1234567890" not in json.dumps(masked)
    shown = account.to_public_dict(show_secrets=True)
    assert shown["provider_data"]["app_secret"] == "abcdef1234567890abcdef1234567890"


def test_mask_hides_short_secrets_entirely() -> None:
    assert mask_secret("abc") == "••••"
    assert mask_secret("") == "" and mask_secret(None) == ""


def test_error_envelope_fixtures_parse(fixtures_root: Path) -> None:
    envelope = ErrorEnvelope.model_validate_json((fixtures_root / "voipbin/error-rate-limited.json").read_text())
    assert envelope.error.reason == "RATE_LIMIT_EXCEEDED"
    assert envelope.error.details == [{"limited_by": "customer"}]


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
timestamps = st.one_of(
    st.none(),
    st.datetimes(timezones=st.just(__import__("datetime").UTC)).filter(lambda d: d.year < 9999),
)


@st.composite
def accounts(draw: st.DrawFn) -> dict:
    data: dict = {"id": str(draw(st.uuids()))}
    for key in ("name", "detail"):
        if draw(st.booleans()):
            data[key] = draw(text)
    if draw(st.booleans()):
        data["type"] = draw(st.sampled_from([t.value for t in AccountType]))
    if draw(st.booleans()):
        data["provider_data"] = {
            "phone_number_id": draw(st.text("0123456789", max_size=17)),
            "app_secret": draw(st.text("0123456789abcdef", min_size=1, max_size=32)),
        }
    data["message_flow_id"] = str(draw(st.one_of(st.just(NIL_UUID), st.uuids())))
    for key in ("tm_create", "tm_update", "tm_delete"):
        moment = draw(timestamps)
        data[key] = None if moment is None else moment.isoformat().replace("+00:00", "Z")
    return data


@pytest.mark.slow
@given(accounts())
def test_account_round_trips_through_json(data: dict) -> None:
    account = Account.model_validate(data)
    again = Account.model_validate(account.to_public_dict(show_secrets=True))
    assert again == account


def test_odd_flow_actions_never_cost_the_flow_list() -> None:
    flow_id = str(UUID(int=7))
    assert Flow.model_validate({"id": flow_id, "actions": None}).actions == []
    assert Flow.model_validate({"id": flow_id, "actions": {"type": "answer"}}).actions == []
    actions = [{"id": str(UUID(int=8)), "type": "answer"}, "odd"]
    assert Flow.model_validate({"id": flow_id, "actions": actions}).wire_json()["actions"] == actions
