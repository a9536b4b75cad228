"""The setup checklist ticks only what it checked; console steps read as steps."""

from __future__ import annotations

from uuid import UUID

import pytest

from voipbin_tui.api import Account
from voipbin_tui.presentation import setup_checklist

HOOK = "https://hook.example/v1.0/conversation/accounts/x"


def account(kind: str, **fields: object) -> Account:
    return Account.model_validate(
        {"id": str(UUID(int=1)), "type": kind, "name": "n", "message_flow_id": str(UUID(int=2)), **fields}
    )


@pytest.mark.parametrize(
    "subject",
    [
        account("whatsapp", provider_data={"phone_number_id": "106540352242922", "app_secret": "a" * 32}),
        account("line"),
        account("sms"),
    ],
)
def test_nothing_in_a_providers_console_is_ticked(subject: Account) -> None:
    items = setup_checklist(subject, HOOK)
    for item in items:
        if any(word in item.text for word in ("Meta", "LINE", "verify token", "subscribe", "SMS")):
            assert item.is_step and item.mark == "→", item
        else:
            assert not item.is_step and item.mark == "✓", item


def test_checked_facts_show_a_cross_when_wrong() -> None:
    items = setup_checklist(account("whatsapp", provider_data={"phone_number_id": "12ab", "app_secret": ""}), HOOK)
    assert [item.mark for item in items[:2]] == ["✗", "✗"]
    assert [item.mark for item in items if item.is_step] == ["→", "→", "→"]
