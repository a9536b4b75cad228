from uuid import UUID

import pytest
from pydantic import SecretStr

from voipbin_tui.api import NIL_UUID, Account, AccountDraft, AccountType, AccountValidationError, NothingToUpdate

APP_SECRET = "0123456789abcdef0123456789abcdef"
FLOW = UUID("b2c3d4e5-f6a7-8901-bcde-f12345678901")


def whatsapp_draft(**overrides: object) -> AccountDraft:
    fields: dict = {
        "type": AccountType.WHATSAPP,
        "name": "Support",
        "token": SecretStr("EAAtoken"),
        "secret": SecretStr("verify-me"),
        "phone_number_id": "106540352242922",
        "app_secret": SecretStr(APP_SECRET),
        "message_flow_id": FLOW,
    }
    return AccountDraft(**{**fields, **overrides})


def current_whatsapp() -> Account:
    return Account.model_validate(
        {
            "id": "c3d4e5f6-a7b8-9012-cdef-123456789012",
            "type": "whatsapp",
            "name": "Support",
            "provider_data": {"phone_number_id": "106540352242922", "app_secret": APP_SECRET},
            "message_flow_id": str(FLOW),
        }
    )


def fields_of(problems: list) -> set[str]:
    return {problem.field for problem in problems}


def test_whatsapp_create_needs_all_four_values() -> None:
    draft = AccountDraft(type=AccountType.WHATSAPP)
    assert fields_of(draft.errors(creating=True)) == {"token", "secret", "phone_number_id", "app_secret"}
    with pytest.raises(AccountValidationError) as caught:
        draft.create_body()
    assert fields_of(caught.value.problems) == {"token", "secret", "phone_number_id", "app_secret"}


def test_phone_number_id_must_be_digits() -> None:
    assert fields_of(whatsapp_draft(phone_number_id="12-34").errors(creating=True)) == {"phone_number_id"}


def test_unusual_app_secret_is_a_warning_not_an_error() -> None:
    draft = whatsapp_draft(app_secret=SecretStr("NOT-HEX"))
    assert draft.errors(creating=True) == []
    assert fields_of(draft.warnings(creating=True)) == {"app_secret"}
    assert draft.create_body()["provider_data"]["app_secret"] == "NOT-HEX"


def test_line_needs_secret_and_token_and_sms_nothing() -> None:
    assert fields_of(AccountDraft(type=AccountType.LINE).errors(creating=True)) == {"secret", "token"}
    assert AccountDraft(type=AccountType.SMS).create_body() == {"type": "sms", "name": "", "detail": ""}


def test_name_length_limit() -> None:
    assert fields_of(AccountDraft(type=AccountType.SMS, name="x" * 256).errors(creating=True)) == {"name"}
    assert AccountDraft(type=AccountType.SMS, name="x" * 255).errors(creating=True) == []


def test_create_body_reveals_secrets_only_in_the_body() -> None:
    body = whatsapp_draft().create_body()
    assert body == {
        "type": "whatsapp",
        "name": "Support",
        "detail": "",
        "message_flow_id": str(FLOW),
        "secret": "verify-me",
        "token": "EAAtoken",
        "provider_data": {"phone_number_id": "106540352242922", "app_secret": APP_SECRET},
    }


def test_update_sends_only_changes_and_never_type() -> None:
    current = current_whatsapp()
    draft = AccountDraft.from_account(current).model_copy(update={"name": "Renamed"})
    assert draft.update_body(current) == {"name": "Renamed"}


def test_update_never_sends_an_empty_body() -> None:
    current = current_whatsapp()
    with pytest.raises(NothingToUpdate):
        AccountDraft.from_account(current).update_body(current)


def test_update_sends_provider_data_whole_keeping_the_app_secret() -> None:
    current = current_whatsapp()
    draft = AccountDraft.from_account(current).model_copy(update={"phone_number_id": "999999999999999"})
    assert draft.update_body(current) == {
        "provider_data": {"phone_number_id": "999999999999999", "app_secret": APP_SECRET}
    }


def test_update_rotating_app_secret_sends_phone_number_id_too() -> None:
    current = current_whatsapp()
    new_secret = "f" * 32
    draft = AccountDraft.from_account(current).model_copy(update={"app_secret": SecretStr(new_secret)})
    assert draft.update_body(current) == {
        "provider_data": {"phone_number_id": "106540352242922", "app_secret": new_secret}
    }


def test_update_secrets_only_when_typed_and_flow_unassign_is_empty_string() -> None:
    current = current_whatsapp()
    draft = AccountDraft.from_account(current).model_copy(
        update={"token": SecretStr("EAAnew"), "secret": SecretStr(""), "message_flow_id": NIL_UUID}
    )
    assert draft.update_body(current) == {"token": "EAAnew", "message_flow_id": ""}


def test_type_cannot_change() -> None:
    current = current_whatsapp()
    with pytest.raises(AccountValidationError, match="type"):
        AccountDraft(type=AccountType.SMS, name="x").update_body(current)


@pytest.mark.parametrize("field", ["token", "secret", "app_secret"])
def test_whitespace_around_a_secret_is_an_error_and_trimmed_says_what_it_removed(field: str) -> None:
    value = APP_SECRET if field == "app_secret" else "value"
    draft = whatsapp_draft(**{field: SecretStr(value + " ")})
    assert fields_of(draft.errors(creating=True)) == {field}
    with pytest.raises(AccountValidationError):
        draft.create_body()
    trimmed, notes = draft.trimmed()
    assert getattr(trimmed, field).get_secret_value() == value
    assert [(note.field, note.message, note.is_warning) for note in notes] == [
        (field, "removed a trailing space", True)
    ]
    assert trimmed.errors(creating=True) == []


def test_trimmed_phone_number_id_and_what_is_described() -> None:
    trimmed, notes = whatsapp_draft(phone_number_id="\t106540352242922\r\n").trimmed()
    assert trimmed.phone_number_id == "106540352242922"
    assert notes[0].message == "removed a leading tab and 2 trailing whitespace characters"
    _, notes = whatsapp_draft(token=SecretStr("  ")).trimmed()
    assert notes[0].message == "removed only whitespace"
    assert whatsapp_draft().trimmed() == (whatsapp_draft(), [])
