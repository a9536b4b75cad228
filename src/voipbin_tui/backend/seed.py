"""First-run data: the sandbox customer, and (unless ``--no-seed``) a small realistic setup.

A WhatsApp, a LINE and an SMS account, three flows, and conversations with incoming and
outgoing messages, so a fresh install shows real screens. Everything comes from the injected
clock and id factory, so a fixed clock and ids give the same database every time. The
outgoing WhatsApp messages carry the wamids of the status fixtures, so posting those fixtures
to the seeded account updates them. The seeded secrets are fixed, documented values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from voipbin_tui.api.models import NIL_UUID, AccountType
from voipbin_tui.backend.config import BackendConfig
from voipbin_tui.backend.conversations import add_incoming_message, add_outgoing_message, conversation_for
from voipbin_tui.backend.store import AccountRecord, CustomerRecord, FlowRecord, Store, with_action_ids

SEED_WHATSAPP_VERIFY_TOKEN = "sandbox-verify-token"
"""The seeded WhatsApp account's verify token (its write-only ``secret``), to try the hub
challenge with: the API never returns it, so it is documented here."""
SEED_PHONE_NUMBER_ID = "106540352242922"
"""The phone number id of the seeded WhatsApp account, as in Meta's example payloads."""
SEED_WHATSAPP_APP_SECRET = "5f1c8e2a9b7d4f3e6a0c1b2d3e4f5a6b"
SEED_WHATSAPP_ACCESS_TOKEN = (
    "EAAGm0PX4ZCpsBAKZCq7ZBsandboxZBx1ZCe3mF9ZAqT7ZCwK2ZAYhN8jR4vZBp0ZCsL5ZAdE6fZCgH1iJ2kL3mN4oP5q"
    "R6sT7uV8wX9yZ0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ3aB4cD5eF6gH7iJ8kL9mN0oP1qR2sT3uV4wX5"
)
SEED_LINE_CHANNEL_SECRET = "8d2f6b1e4a9c7d3f0e5b2a8c6d4f1e9b"
SEED_LINE_CHANNEL_TOKEN = (
    "q7Yh3Kd9Lm2Pz8Rt5Vw1Xb4Nc6Fg0Hj3Ks7Ld2Mq9Pr5St1Uv8Wx4Yz6Ab0Cd3Ef7Gh2Ij9Kl5Mn1Op8Qr4St6Uv0Wx3"
    "Yz7Ab2Cd9Ef5Gh1Ij8Kl4Mn6Op0Qr3St7Uv2Wx9Yz5Ab1Cd8Ef4Gh6Ij0Kl3Mn7Op2Qr9St5Uv1Wx8Y="
)
SEED_WEBHOOK_SECRET = "c4e8a1f5b9d2e6a0c3f7b1d5e9a2c6f0"
SEEDED_SECRETS = (
    SEED_WHATSAPP_VERIFY_TOKEN,
    SEED_WHATSAPP_APP_SECRET,
    SEED_WHATSAPP_ACCESS_TOKEN,
    SEED_LINE_CHANNEL_SECRET,
    SEED_LINE_CHANNEL_TOKEN,
    SEED_WEBHOOK_SECRET,
)
"""Every secret the seed stores, fixed so that tests can scan screens and files for them and
the docs can tell a sandbox user which values to sign test traffic with. They guard nothing:
the sandbox's own access key is what keeps it private."""


# The emulated providers (``provider_state``): one Meta app and one LINE channel that the
# seeded accounts match, so that every doctor check passes on a fresh sandbox.
SEED_META_APP_ID = "670843887433847"
SEED_META_APP_NAME = "Acme Support"
SEED_META_APP_SECRET = SEED_WHATSAPP_APP_SECRET
"""The Meta app's secret: the seeded WhatsApp account's ``provider_data.app_secret``."""
SEED_META_ACCESS_TOKEN = SEED_WHATSAPP_ACCESS_TOKEN
"""The app's non-expiring system-user token: the seeded WhatsApp account's ``token``."""
SEED_META_SYSTEM_USER_ID = "122097651234567890"
SEED_META_TOKEN_ISSUED_AT = 1767225600
"""2026-01-01T00:00:00Z: when the seeded system-user token was issued."""
SEED_WABA_ID = "102290129340398"
"""The WhatsApp Business Account, as in the status fixtures' ``entry[0].id``."""
SEED_WABA_NAME = "Acme Support WABA"
SEED_META_BUSINESS_ID = "104996542367891"
SEED_DISPLAY_PHONE_NUMBER = "+1 555-078-3881"
SEED_VERIFIED_NAME = "Acme Support"
SEED_LINE_CHANNEL_ID = "2006543210"
SEED_LINE_BOT_USER_ID = "U11298214116e3afbad432b5794a6d3a0"
"""The LINE bot's user id: the ``destination`` of every webhook its channel sends."""
SEED_LINE_BASIC_ID = "@512acmes"
SEED_LINE_DISPLAY_NAME = "Acme Support"


STATUS_SENT_FIXTURE_WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="
STATUS_FAILED_FIXTURE_WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA"


@dataclass(frozen=True, slots=True)
class _Said:
    """One seeded message: incoming unless said otherwise."""

    days_ago: float
    text: str
    incoming: bool = True
    provider_id: str = ""
    """The wamid or LINE message id; for an outgoing message, generated when empty."""
    provider_status: str = ""


def initialize_database(store: Store, config: BackendConfig) -> None:
    """Create the customer, then the demo data if ``config.seed``."""
    now = config.clock()
    customer = CustomerRecord(
        id=config.new_id(),
        username="sandbox",
        name="Sandbox",
        detail="The local voipbin-tui sandbox",
        email="",
        phone_number="",
        address="",
        webhook_method="",
        webhook_uri="",
        webhook_secret="",
        tm_create=now,
        tm_update=None,
    )
    if config.seed:
        customer = _seed_demo_data(store, customer, now=now, new_id=config.new_id)
    store.save_customer(replace(customer, tm_create=store.stamp(now)))


def _seed_demo_data(
    store: Store, customer: CustomerRecord, *, now: datetime, new_id: Callable[[], UUID]
) -> CustomerRecord:
    def days_ago(days: float) -> datetime:
        return now - timedelta(days=days)

    def flow(age: float, name: str, detail: str, reply: str) -> FlowRecord:
        flow_id = new_id()
        return FlowRecord(
            id=flow_id,
            customer_id=customer.id,
            type="flow",
            name=name,
            detail=detail,
            actions=with_action_ids(flow_id, [{"type": "conversation_send", "option": {"text": reply}}]),
            tm_create=store.stamp(days_ago(age)),
        )

    # Made oldest first, as time went: each object is stamped after the one made before it.
    flows = [
        flow(age, name, detail, reply)
        for age, name, detail, reply in (
            (
                30,
                "Support triage",
                "Greets the customer and hands over to the support queue",
                "Thanks for reaching out! An agent will be with you shortly.",
            ),
            (
                29,
                "After-hours auto-reply",
                "Answers outside 09:00-18:00 with the opening hours",
                "We are closed right now. Our hours are 09:00-18:00, Monday to Saturday.",
            ),
            (
                28,
                "Order status bot",
                "Looks up an order number and replies with its status",
                "Send us your order number and we will look it up.",
            ),
        )
    ]
    for made in flows:
        store.add_flow(made)
    support_flow, after_hours_flow, _ = flows

    sms = AccountRecord(
        id=new_id(),
        customer_id=customer.id,
        type=AccountType.SMS,
        name="SMS alerts",
        detail="Delivery notifications through the SMS carrier",
        secret="",
        token="",
        provider_data=None,
        message_flow_id=NIL_UUID,
        tm_create=store.stamp(days_ago(21)),
    )
    line = AccountRecord(
        id=new_id(),
        customer_id=customer.id,
        type=AccountType.LINE,
        name="LINE Official Account",
        detail="Customer support on LINE",
        secret=SEED_LINE_CHANNEL_SECRET,
        token=SEED_LINE_CHANNEL_TOKEN,
        provider_data=None,
        message_flow_id=after_hours_flow.id,
        tm_create=store.stamp(days_ago(14)),
    )
    whatsapp = AccountRecord(
        id=new_id(),
        customer_id=customer.id,
        type=AccountType.WHATSAPP,
        name="WhatsApp Customer Support",
        detail="Meta Cloud API, +1 555-078-3881",
        secret=SEED_WHATSAPP_VERIFY_TOKEN,
        token=SEED_WHATSAPP_ACCESS_TOKEN,
        provider_data={"phone_number_id": SEED_PHONE_NUMBER_ID, "app_secret": SEED_WHATSAPP_APP_SECRET},
        message_flow_id=support_flow.id,
        tm_create=store.stamp(days_ago(7)),
    )
    for account in (sms, line, whatsapp):
        store.save_account(account)

    def chat(account: AccountRecord, dialog_id: str, peer_name: str, self_target: str, *said: _Said) -> None:
        conversation = conversation_for(
            store,
            account,
            dialog_id=dialog_id,
            peer_name=peer_name,
            self_target=self_target,
            now=days_ago(said[0].days_ago),
            new_id=new_id,
        )
        for message in said:
            if message.incoming:
                add_incoming_message(
                    store,
                    conversation,
                    text=message.text,
                    transaction_id=message.provider_id,
                    now=days_ago(message.days_ago),
                    new_id=new_id,
                )
            else:
                add_outgoing_message(
                    store,
                    conversation,
                    text=message.text,
                    now=days_ago(message.days_ago),
                    new_id=new_id,
                    transaction_id=message.provider_id or None,
                    provider_status=message.provider_status,
                )

    chat(
        whatsapp,
        "16505551234",
        "Sheena Nelson",
        SEED_PHONE_NUMBER_ID,
        _Said(
            2.0, "Hi! Do you ship to Canada?", provider_id="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTdGQjk1MDAxN0Q4MjNGNEIA"
        ),
        _Said(
            1.98,
            "Yes, we ship to Canada: 5 to 7 business days.",
            incoming=False,
            provider_id=STATUS_SENT_FIXTURE_WAMID,
            provider_status="read",
        ),
        _Said(1.9, "Great, thanks!", provider_id="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQjE2RjU4QzA3RjNGRUI5NzEA"),
    )
    chat(
        line,
        "Ud871bcaf7c3ad13d2a0b0d78a42a287f",
        "",
        SEED_LINE_BOT_USER_ID,
        _Said(1.2, "Hello, are you open on Sunday?", provider_id="16173792131290"),
        _Said(1.19, "We are open 10:00-16:00 on Sundays.", incoming=False, provider_status="sent"),
    )
    chat(
        whatsapp,
        "447700900123",
        "Tom Baker",
        SEED_PHONE_NUMBER_ID,
        _Said(
            0.5,
            "My order #48213 has not arrived yet.",
            provider_id="wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhgUM0E5MEU0RjA3QjUzQzRBNkQ1MkQA",
        ),
        _Said(
            0.45,
            "Sorry about that! It is out for delivery today.",
            incoming=False,
            provider_id=STATUS_FAILED_FIXTURE_WAMID,
            provider_status="sent",
        ),
    )
    return replace(
        customer,
        name="Acme Support",
        email="support@acme.example",
        phone_number="+15550783881",
        webhook_method="POST",
        webhook_secret=SEED_WEBHOOK_SECRET,
    )
