"""Everything that differs between account types, in one place: fields, labels, validation,
setup checklist, provider hook and signing.

Drafts, presentation, the CLI, the TUI and the backend read these entries instead of branching
on the type, so the copies cannot drift; a new channel is one entry here plus its protocol
module. Textual-free: the CLI and the backend import it too.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from voipbin_tui.api.models import Account, AccountType
from voipbin_tui.protocols.inspection import HookInspection, inspect_line_post, inspect_whatsapp_post
from voipbin_tui.protocols.line import build_line_text_payload
from voipbin_tui.protocols.signatures import sign_hub_signature, sign_line_signature
from voipbin_tui.protocols.whatsapp import WAMID_PREFIX, build_text_message_payload

_DIGITS = re.compile(r"[0-9]+")
_APP_SECRET_SHAPE = re.compile(r"[0-9a-f]{32}")


def is_phone_number_id(value: str) -> bool:
    """Meta's phone number ids are ASCII digits (``str.isdigit`` would also take ``١٢٣``)."""
    return _DIGITS.fullmatch(value) is not None


def is_app_secret_shape(value: str) -> bool:
    """Meta app secrets are 32 lowercase hex characters."""
    return _APP_SECRET_SHAPE.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A problem with one field: an error blocks saving, a warning only informs."""

    field: str
    message: str
    is_warning: bool = False


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """A fact this tool checked (``done`` is True or False), or a step only the user can do and
    check (``done`` is None): in Meta's or LINE's console, which this tool cannot see."""

    done: bool | None
    text: str

    @property
    def is_step(self) -> bool:
        return self.done is None

    @property
    def mark(self) -> str:
        """✓ / ✗ for a checked fact, → for a step: never a tick for what was not checked."""
        return "→" if self.done is None else ("✓" if self.done else "✗")


ValueCheck = Callable[[str], list[FieldProblem]]
"""The problems of a field's present value (shape, length), errors and warnings."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One credential field of a type. ``key`` is the draft's attribute; ``wire_path`` where
    VoIPBIN keeps it. A write-only field is never returned, so on update "unset" means "keep"
    and it is required only on create; a readable one is required always."""

    key: str
    wire_path: str
    label: str
    prompt: str
    secret: bool
    write_only: bool
    missing: str
    check: ValueCheck | None = None
    doctor_secret: str = ""
    """Which of the account doctor's secrets a typed value of this field is (``token``,
    ``verify_token``, ``channel_secret``); "" when the doctor reads it from the account."""


@dataclass(frozen=True, slots=True)
class ProviderHook:
    """How a type's provider calls VoIPBIN's conversation hook, and how a test message is made.

    ``signing_secret`` reads the secret the provider signs with from the account ("" when
    unset); it is None when VoIPBIN keeps that secret write-only (then the user gives it, and
    the relay cannot check the signature). ``voipbin_checks_signature`` says whether VoIPBIN's
    hook drops a request whose signature is missing or wrong. The signature
    header is spelled as the provider sends it; receivers match it in any case."""

    signature_header: str
    signing_field: str
    answers_hub_challenge: bool
    signing_secret: Callable[[Account], str] | None
    voipbin_checks_signature: bool
    inspect_post: Callable[[bytes, str | None, str | None], HookInspection]
    sign: Callable[[str, bytes], str]
    build_test_payload: Callable[[Account, str, str], bytes]
    test_sender_prompt: str | None
    test_secret_prompt: str | None
    relay_unchecked_reason: str


@dataclass(frozen=True, slots=True)
class AccountTypeSpec:
    """One account type: what it stores, how it reads, what it must have, how it receives.

    ``fields`` are in the order their problems are reported (the first is focused); screens
    lay fields out in ``CREDENTIAL_KEYS`` order, the same for every type."""

    type: AccountType
    display_name: str
    fields: tuple[FieldSpec, ...]
    warns_without_flow: bool
    checklist: Callable[[Account, str], list[ChecklistItem]]
    hook: ProviderHook | None
    no_hook_note: str
    challenge_refusal: str
    conversation_per_account: bool
    provider_message_id: Callable[[UUID], str]
    doctor_checks: tuple[str, ...] = ("voipbin.account", "voipbin.flow")
    """The account doctor's checks for this type, by id, in the order a report shows them."""
    provider: Literal["meta", "line"] | None = None
    """The provider VoIPBIN talks to for this type, which the sandbox plays: Meta sends its
    messages (and their statuses, and customers' messages), LINE gets its webhook endpoint set
    on every save (and sends customers' messages)."""

    def field(self, key: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.key == key), None)

    @property
    def field_keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.fields)

    @property
    def uses_provider_data(self) -> bool:
        """Whether some field lives in ``provider_data`` (which VoIPBIN replaces whole)."""
        return any(spec.wire_path.startswith("provider_data.") for spec in self.fields)

    @property
    def write_only_keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.fields if spec.write_only)

    @property
    def secret_keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.fields if spec.secret)


# -- WhatsApp ------------------------------------------------------------------------------


def _phone_number_id_problems(number: str) -> list[FieldProblem]:
    number = number.strip()
    if not is_phone_number_id(number):
        return [FieldProblem("phone_number_id", "the phone number id is digits only")]
    if not 13 <= len(number) <= 17:
        return [FieldProblem("phone_number_id", f"phone number ids usually have 15 digits ({len(number)} given)", True)]
    return []


def _app_secret_problems(secret: str) -> list[FieldProblem]:
    if is_app_secret_shape(secret):
        return []
    return [FieldProblem("app_secret", "Meta app secrets are 32 lowercase hex characters", True)]


def _app_secret_step(secret: str) -> str:
    if not secret:
        return "app secret missing: every inbound message is dropped"
    if is_app_secret_shape(secret):
        return "app secret set (32 hex)"
    return "app secret is not 32 hex: compare it with Meta's App Dashboard > App settings > Basic"


def _readable_app_secret(account: Account) -> str:
    return account.app_secret.get_secret_value() if account.app_secret else ""


def _whatsapp_checklist(account: Account, hook_url: str) -> list[ChecklistItem]:
    number = account.phone_number_id
    secret = _readable_app_secret(account)
    return [
        ChecklistItem(
            is_phone_number_id(number),
            "phone number id set, digits only"
            if is_phone_number_id(number)
            else "phone number id must be set, digits only",
        ),
        ChecklistItem(is_app_secret_shape(secret), _app_secret_step(secret)),
        ChecklistItem(
            account.has_flow,
            "a flow is assigned" if account.has_flow else "no flow assigned: messages arrive but nothing answers",
        ),
        ChecklistItem(None, f"in Meta's App Dashboard > WhatsApp > Configuration, set the callback URL {hook_url}"),
        ChecklistItem(None, "there, set the verify token to this account's secret (write-only: as you saved it)"),
        ChecklistItem(None, "there, subscribe the webhook field 'messages'"),
    ]


def _whatsapp_test_payload(account: Account, text: str, sender: str) -> bytes:
    return build_text_message_payload(phone_number_id=account.phone_number_id or "0", text=text, sender_wa_id=sender)


WHATSAPP = AccountTypeSpec(
    type=AccountType.WHATSAPP,
    display_name="WhatsApp",
    provider="meta",
    fields=(
        FieldSpec(
            key="token",
            wire_path="token",
            label="Access token",
            prompt="Meta access token",
            secret=True,
            write_only=True,
            missing="WhatsApp needs the Meta access token",
            doctor_secret="token",
        ),
        FieldSpec(
            key="secret",
            wire_path="secret",
            label="Verify token",
            prompt="Webhook verify token",
            secret=True,
            write_only=True,
            missing="WhatsApp needs the webhook verify token",
            doctor_secret="verify_token",
        ),
        FieldSpec(
            key="phone_number_id",
            wire_path="provider_data.phone_number_id",
            label="Phone number id",
            prompt="Phone number id",
            secret=False,
            write_only=False,
            missing="WhatsApp needs the phone number id",
            check=_phone_number_id_problems,
        ),
        FieldSpec(
            key="app_secret",
            wire_path="provider_data.app_secret",
            label="App secret",
            prompt="Meta app secret",
            secret=True,
            write_only=False,
            missing="WhatsApp needs the app secret: without it VoIPBIN drops every inbound message",
            check=_app_secret_problems,
        ),
    ),
    warns_without_flow=True,
    checklist=_whatsapp_checklist,
    hook=ProviderHook(
        signature_header="X-Hub-Signature-256",
        signing_field="app_secret",
        answers_hub_challenge=True,
        signing_secret=_readable_app_secret,
        voipbin_checks_signature=True,
        inspect_post=inspect_whatsapp_post,
        sign=sign_hub_signature,
        build_test_payload=_whatsapp_test_payload,
        test_sender_prompt="Sender wa_id",
        test_secret_prompt=None,
        relay_unchecked_reason="",
    ),
    no_hook_note="",
    challenge_refusal="",
    conversation_per_account=True,
    provider_message_id=lambda message_id: WAMID_PREFIX + base64.b64encode(message_id.bytes).decode("ascii"),
    doctor_checks=(
        "voipbin.account",
        "voipbin.flow",
        "whatsapp.phone_number_id",
        "whatsapp.app_secret_shape",
        "meta.token",
        "meta.phone_number",
        "meta.app_secret",
        "meta.health",
        "meta.webhook_url",
        "meta.subscription",
        "hook.verify_token",
        "end_to_end",
    ),
)

# -- LINE ----------------------------------------------------------------------------------


def _line_checklist(account: Account, hook_url: str) -> list[ChecklistItem]:
    return [
        ChecklistItem(account.has_flow, "a flow is assigned" if account.has_flow else "no flow assigned"),
        ChecklistItem(None, "VoIPBIN registers the webhook URL with LINE itself when the account is saved"),
        ChecklistItem(None, f"in the LINE Developers console, check it shows {hook_url} and 'Verify' succeeds"),
    ]


LINE = AccountTypeSpec(
    type=AccountType.LINE,
    display_name="LINE",
    provider="line",
    fields=(  # a missing secret is reported (and focused) before a missing token
        FieldSpec(
            key="secret",
            wire_path="secret",
            label="Channel secret",
            prompt="LINE channel secret",
            secret=True,
            write_only=True,
            missing="LINE needs the channel secret",
            doctor_secret="channel_secret",
        ),
        FieldSpec(
            key="token",
            wire_path="token",
            label="Channel access token",
            prompt="LINE channel access token",
            secret=True,
            write_only=True,
            missing="LINE needs the channel access token",
            doctor_secret="token",
        ),
    ),
    warns_without_flow=False,
    checklist=_line_checklist,
    hook=ProviderHook(
        signature_header="x-line-signature",
        signing_field="secret",
        answers_hub_challenge=False,
        signing_secret=None,  # the channel secret is write-only in VoIPBIN
        voipbin_checks_signature=False,  # voipbin-api.md: it does not check x-line-signature at all
        inspect_post=inspect_line_post,
        sign=sign_line_signature,
        build_test_payload=lambda account, text, sender: build_line_text_payload(text=text),
        test_sender_prompt=None,
        test_secret_prompt="Channel secret (write-only in VoIPBIN; blank sends it unsigned)",
        relay_unchecked_reason=(
            "VoIPBIN's API never returns a LINE account's channel secret, so the relay cannot check it either."
        ),
    ),
    no_hook_note="",
    challenge_refusal="LINE verifies a webhook URL with an empty POST",
    conversation_per_account=False,
    provider_message_id=lambda message_id: str(message_id.int % 10**18),
    doctor_checks=(
        "voipbin.account",
        "voipbin.flow",
        "line.token",
        "line.channel_secret",
        "line.webhook_url",
        "line.webhook_active",
        "line.webhook_test",
        "end_to_end",
    ),
)

# -- SMS -----------------------------------------------------------------------------------


def _sms_checklist(account: Account, hook_url: str) -> list[ChecklistItem]:
    return [ChecklistItem(None, "inbound SMS follows the number's flow, not the account's")]


SMS = AccountTypeSpec(
    type=AccountType.SMS,
    display_name="SMS",
    fields=(),
    warns_without_flow=False,
    checklist=lambda account, hook_url: [
        ChecklistItem(None, "inbound SMS follows the number's flow, not the account's")
    ],
    hook=None,
    no_hook_note="SMS does not use this hook: inbound SMS arrives through the SMS carrier.",
    challenge_refusal="SMS arrives through the carrier's own hook",
    conversation_per_account=False,
    provider_message_id=str,
    doctor_checks=("voipbin.account",),  # inbound SMS follows the number's flow, not the account's
)

ACCOUNT_TYPES: tuple[AccountTypeSpec, ...] = (WHATSAPP, LINE, SMS)
"""Every type this version knows, in the order a person picks from."""

CREDENTIAL_KEYS: tuple[str, ...] = tuple(dict.fromkeys(field.key for spec in ACCOUNT_TYPES for field in spec.fields))
"""Every credential field any type has, each once: the form has an input for each."""

SECRET_KEYS: tuple[str, ...] = tuple(
    key
    for key in CREDENTIAL_KEYS
    if any(field.key == key and field.secret for spec in ACCOUNT_TYPES for field in spec.fields)
)
"""The credential fields that are secret for some type: typed hidden, revealed on demand."""

_BY_TYPE: dict[str, AccountTypeSpec] = {spec.type.value: spec for spec in ACCOUNT_TYPES}


def spec_of(account_type: AccountType | str) -> AccountTypeSpec | None:
    """The entry of a type, or None for one this version does not know (VoIPBIN may add some)."""
    return _BY_TYPE.get(str(account_type))


def field_keys(account_type: AccountType | str | None) -> tuple[str, ...]:
    """The credential fields the type uses; none for no type or one this version does not know."""
    spec = spec_of(account_type) if account_type is not None else None
    return spec.field_keys if spec is not None else ()


def provider_hook(account_type: AccountType | str) -> ProviderHook | None:
    """How the type's provider calls the conversation hook; None when it does not (SMS, unknown)."""
    spec = spec_of(account_type)
    return spec.hook if spec is not None else None


def provider_of(account_type: AccountType | str) -> str | None:
    """The provider the type's accounts talk to (``meta``, ``line``), or None (SMS, unknown)."""
    spec = spec_of(account_type)
    return spec.provider if spec is not None else None


def credential_help(key: str) -> str:
    """What a credential flag holds for each type that has it, and whether VoIPBIN keeps it
    write-only: the CLI's help reads this, so a new type's fields are described there too."""
    uses = [(spec, field) for spec in ACCOUNT_TYPES for field in spec.fields if field.key == key]
    described = " / ".join(f"{spec.display_name} {field.label[:1].lower()}{field.label[1:]}" for spec, field in uses)
    return f"{described}, write-only" if uses and all(field.write_only for _, field in uses) else described


def answers_hub_challenge(account_type: AccountType | str) -> bool:
    hook = provider_hook(account_type)
    return hook is not None and hook.answers_hub_challenge
