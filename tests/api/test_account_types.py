"""The account-type registry: one answer per question, read the same way by every caller."""

from __future__ import annotations

from uuid import UUID

import pytest
from pydantic import SecretStr

from voipbin_tui.api import Account, AccountDraft, AccountType
from voipbin_tui.api.account_types import (
    ACCOUNT_TYPES,
    CREDENTIAL_KEYS,
    SECRET_KEYS,
    answers_hub_challenge,
    credential_help,
    field_keys,
    is_phone_number_id,
    provider_hook,
    spec_of,
)
from voipbin_tui.presentation import field_label, setup_checklist

APP_SECRET = "0123456789abcdef" * 2
ARABIC_INDIC_DIGITS = "١٠٦٥٤٠٣٥٢٢٤٢٩٢٢"  # str.isdigit() says yes; Meta's ids are ASCII


def whatsapp_account(phone_number_id: str) -> Account:
    return Account.model_validate(
        {
            "id": str(UUID(int=1)),
            "type": "whatsapp",
            "message_flow_id": str(UUID(int=2)),
            "provider_data": {"phone_number_id": phone_number_id, "app_secret": APP_SECRET},
        }
    )


def test_every_known_type_has_one_entry_in_picking_order() -> None:
    assert {spec.type for spec in ACCOUNT_TYPES} == set(AccountType)
    assert [spec.display_name for spec in ACCOUNT_TYPES] == ["WhatsApp", "LINE", "SMS"]


def test_a_type_read_from_the_store_as_plain_text_finds_its_entry() -> None:
    assert spec_of("whatsapp") is spec_of(AccountType.WHATSAPP)
    assert spec_of("telegram") is None
    assert field_keys(None) == field_keys("telegram") == ()


def test_the_fields_of_each_type() -> None:
    assert field_keys(AccountType.WHATSAPP) == ("token", "secret", "phone_number_id", "app_secret")
    assert field_keys(AccountType.LINE) == ("secret", "token")  # LINE's problems: the secret first
    assert field_keys(AccountType.SMS) == ()
    assert CREDENTIAL_KEYS == ("token", "secret", "phone_number_id", "app_secret")
    assert SECRET_KEYS == ("token", "secret", "app_secret")


def test_write_only_fields_are_the_ones_voipbin_never_returns() -> None:
    whatsapp, line = spec_of(AccountType.WHATSAPP), spec_of(AccountType.LINE)
    assert whatsapp is not None and line is not None
    assert whatsapp.write_only_keys == ("token", "secret")  # provider_data.app_secret is returned
    assert line.write_only_keys == ("secret", "token")


def test_hooks_and_hub_challenges() -> None:
    assert answers_hub_challenge(AccountType.WHATSAPP)
    assert not answers_hub_challenge(AccountType.LINE)
    assert not answers_hub_challenge("telegram")
    assert provider_hook(AccountType.SMS) is None
    line = provider_hook(AccountType.LINE)
    whatsapp = provider_hook(AccountType.WHATSAPP)
    assert whatsapp is not None and whatsapp.signing_secret is not None
    assert whatsapp.signing_secret(whatsapp_account("106540352242922")) == APP_SECRET
    assert line is not None and line.signing_secret is None  # the channel secret is write-only


@pytest.mark.parametrize(
    ("field", "label"),
    [("token", "Access token"), ("secret", "Verify token"), ("app_secret", "App secret"), ("message_flow_id", "Flow")],
)
def test_labels_come_from_the_entry(field: str, label: str) -> None:
    assert field_label(AccountType.WHATSAPP, field) == label


def test_a_phone_number_id_is_ascii_digits_for_the_draft_and_the_checklist_alike() -> None:
    """They disagreed: the checklist ticked what ``str.isdigit()`` takes, the draft refused it."""
    assert not is_phone_number_id(ARABIC_INDIC_DIGITS)
    draft = AccountDraft(
        type=AccountType.WHATSAPP, phone_number_id=ARABIC_INDIC_DIGITS, app_secret=SecretStr(APP_SECRET)
    )
    assert [problem.message for problem in draft.errors(creating=False)] == ["the phone number id is digits only"]
    first = setup_checklist(whatsapp_account(ARABIC_INDIC_DIGITS), "https://hook.example/x")[0]
    assert (first.mark, first.text) == ("✗", "phone number id must be set, digits only")
    good = setup_checklist(whatsapp_account("106540352242922"), "https://hook.example/x")[0]
    assert (good.mark, good.text) == ("✓", "phone number id set, digits only")


def test_required_fields_follow_the_entry_on_create_and_update() -> None:
    line = AccountDraft(type=AccountType.LINE)
    assert {p.field: p.message for p in line.errors(creating=True)} == {
        "token": "LINE needs the channel access token",
        "secret": "LINE needs the channel secret",
    }
    assert line.errors(creating=False) == []  # write-only: unset on update means keep
    whatsapp = AccountDraft(type=AccountType.WHATSAPP)
    assert [p.field for p in whatsapp.errors(creating=False)] == ["phone_number_id", "app_secret"]
    assert AccountDraft(type=AccountType.SMS).problems(creating=True) == []


def test_credential_help_names_every_type_with_the_field_under_its_label() -> None:
    for key in CREDENTIAL_KEYS:
        described = credential_help(key)
        for spec in ACCOUNT_TYPES:
            field = spec.field(key)
            if field is not None:
                assert f"{spec.display_name} {field.label}".lower() in described.lower()
    assert credential_help("token").endswith(", write-only")
    assert "write-only" not in credential_help("app_secret")  # VoIPBIN returns it
