"""Typed models of what VoIPBIN returns, tolerant of its quirks (omitted fields, legacy times).

They are also the wire schema: ``wire_json()`` gives an object as VoIPBIN sends it (fields it
omits when empty left out, the secrets it returns in clear), and the sandbox answers with it,
so the client and the sandbox cannot drift apart. Write-only fields (an account's ``token`` and
``secret``) are no field here: nothing can serialize them.

Secrets are ``SecretStr`` so they stay out of ``repr``, logs and exception text; code that
must send or show one calls ``get_secret_value()`` on purpose.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Generic, TypeVar
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from voipbin_tui.api.ids import NIL_UUID as NIL_UUID  # re-exported: the models' home for it
from voipbin_tui.api.timestamps import format_voipbin_time, parse_voipbin_time

MASK = "••••"


class AccountType(StrEnum):
    LINE = "line"
    SMS = "sms"
    WHATSAPP = "whatsapp"


def _none_as_empty(value: Any) -> Any:
    return "" if value is None else value


def _serialize_time(value: datetime | None) -> str | None:
    return None if value is None else format_voipbin_time(value)


VoipbinTime = Annotated[
    datetime | None,
    BeforeValidator(parse_voipbin_time),
    PlainSerializer(_serialize_time, when_used="json"),
]
"""A timestamp in any VoIPBIN form; None means null, unset, or the year-9999 "never"."""

EmptyableStr = Annotated[str, BeforeValidator(_none_as_empty)]
"""VoIPBIN omits empty strings (and older rows hold null): both read as ``""``."""

_WIRE = {"wire": True}
"""The serialization context of ``VoipbinModel.wire_json``."""


def _on_the_wire(info: SerializationInfo) -> bool:
    return bool(info.context and info.context.get("wire"))


def _serialize_secret(value: SecretStr | None, info: SerializationInfo) -> str | None:
    if _on_the_wire(info):
        return "" if value is None else value.get_secret_value()
    return None if value is None else str(value)  # pydantic's own "**********"


_SECRET_ON_THE_WIRE = PlainSerializer(_serialize_secret, when_used="json")
ReturnedSecret = Annotated[SecretStr | None, _SECRET_ON_THE_WIRE]
"""A secret VoIPBIN returns in clear (``app_secret``, ``webhook_secret``): in clear on the wire
(unset is ``""``), masked in any other dump."""


def mask_secret(secret: SecretStr | str | None) -> str:
    """``••••`` plus the last four characters; short secrets show nothing of themselves."""
    if secret is None:
        return ""
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not value:
        return ""
    return MASK + value[-4:] if len(value) >= 12 else MASK


def _reveal(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


class VoipbinModel(BaseModel):
    """Base: ignore fields VoIPBIN adds later, so a new server version breaks nothing. Each
    model builds its validator on first use, not at import: a command uses few of them."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    def wire_json(self) -> dict[str, Any]:
        """The object as VoIPBIN sends it (what the sandbox answers)."""
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True, context=_WIRE)
        return data


class OmitsEmptyOnTheWire(VoipbinModel):
    """A model whose ``OMITTED_WHEN_EMPTY`` fields VoIPBIN leaves out when empty (Go's
    ``omitempty``); every other field is always sent, empty or null."""

    OMITTED_WHEN_EMPTY: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _omit_empty_on_the_wire(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        if _on_the_wire(info):
            for name in self.OMITTED_WHEN_EMPTY:
                if data.get(name) in ("", None):
                    data.pop(name, None)
        return data


class ProviderData(VoipbinModel):
    """``provider_data``: used by WhatsApp accounts; returned by VoIPBIN, app secret included."""

    phone_number_id: EmptyableStr = ""
    app_secret: ReturnedSecret = None

    @field_validator("app_secret", mode="before")
    @classmethod
    def _empty_secret_is_none(cls, value: Any) -> Any:
        return None if value in (None, "") else value


def _account_type_or_text(value: Any) -> Any:
    if value is None:
        return ""
    try:
        return AccountType(value)
    except ValueError:
        return value


class Account(OmitsEmptyOnTheWire):
    """A conversation account as returned (``token`` and ``secret`` never are)."""

    OMITTED_WHEN_EMPTY = ("type", "name", "detail", "provider_data")

    id: UUID
    customer_id: UUID | None = None
    type: Annotated[AccountType | str, BeforeValidator(_account_type_or_text)] = ""
    name: EmptyableStr = ""
    detail: EmptyableStr = ""
    provider_data: ProviderData | None = None
    message_flow_id: UUID = NIL_UUID
    tm_create: VoipbinTime = None
    tm_update: VoipbinTime = None
    tm_delete: VoipbinTime = None

    @field_validator("message_flow_id", mode="before")
    @classmethod
    def _missing_flow_is_nil(cls, value: Any) -> Any:
        return NIL_UUID if value in (None, "") else value

    @property
    def has_flow(self) -> bool:
        return self.message_flow_id != NIL_UUID

    @property
    def is_deleted(self) -> bool:
        return self.tm_delete is not None

    @property
    def phone_number_id(self) -> str:
        return self.provider_data.phone_number_id if self.provider_data else ""

    @property
    def app_secret(self) -> SecretStr | None:
        return self.provider_data.app_secret if self.provider_data else None

    @property
    def last_change(self) -> datetime | None:
        return self.tm_update or self.tm_create

    def to_public_dict(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """JSON-ready dict for output: ``app_secret`` masked unless asked for."""
        data = self.model_dump(mode="json", exclude={"provider_data"})
        if self.provider_data is not None:
            secret = self.provider_data.app_secret
            data["provider_data"] = {
                "phone_number_id": self.provider_data.phone_number_id,
                "app_secret": _reveal(secret) if show_secrets else mask_secret(secret),
            }
        return data


class Flow(VoipbinModel):
    id: UUID
    customer_id: UUID | None = None
    type: EmptyableStr = ""
    name: EmptyableStr = ""
    detail: EmptyableStr = ""
    actions: list[Any] = Field(default_factory=list)
    """As VoIPBIN sends them (objects with an ``id`` and a ``type``); only passed along."""
    tm_create: VoipbinTime = None
    tm_update: VoipbinTime = None
    tm_delete: VoipbinTime = None

    @field_validator("actions", mode="before")
    @classmethod
    def _actions_as_list(cls, value: Any) -> Any:
        # Nothing here reads an action: an odd value must not cost the flow picker its list.
        return value if isinstance(value, list) else []


class Address(OmitsEmptyOnTheWire):
    """One side of a conversation or message (``self``, ``peer``, ``source``, ``destination``)."""

    OMITTED_WHEN_EMPTY = ("name", "detail")

    type: EmptyableStr = ""
    target: EmptyableStr = ""
    target_name: EmptyableStr = ""
    name: EmptyableStr = ""
    detail: EmptyableStr = ""


class Conversation(VoipbinModel):
    id: UUID
    customer_id: UUID | None = None
    owner_type: EmptyableStr = ""
    owner_id: UUID | None = None
    account_id: UUID = NIL_UUID
    name: EmptyableStr = ""
    detail: EmptyableStr = ""
    type: EmptyableStr = ""
    dialog_id: EmptyableStr = ""
    self_: Address = Field(default_factory=Address, alias="self")
    peer: Address = Field(default_factory=Address)
    tm_create: VoipbinTime = None
    tm_update: VoipbinTime = None
    tm_delete: VoipbinTime = None

    @field_validator("account_id", mode="before")
    @classmethod
    def _missing_account_is_nil(cls, value: Any) -> Any:
        return NIL_UUID if value in (None, "") else value


class MessageDirection(StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


class MessageStatus(StrEnum):
    PROGRESSING = "progressing"
    DONE = "done"
    FAILED = "failed"


class ConversationMessage(OmitsEmptyOnTheWire):
    """A message; VoIPBIN stores the provider's message id (``transaction_id``) but never
    returns it."""

    OMITTED_WHEN_EMPTY = ("reference_id",)

    id: UUID
    customer_id: UUID | None = None
    conversation_id: UUID
    direction: MessageDirection | str = ""
    status: MessageStatus | str = ""
    reference_type: EmptyableStr = ""
    reference_id: EmptyableStr = ""
    source: Address = Field(default_factory=Address)
    destination: Address = Field(default_factory=Address)
    text: EmptyableStr = ""
    medias: list[Any] = Field(default_factory=list)
    tm_create: VoipbinTime = None
    tm_update: VoipbinTime = None
    tm_delete: VoipbinTime = None

    @field_validator("medias", mode="before")
    @classmethod
    def _null_medias(cls, value: Any) -> Any:
        return [] if value is None else value


class Customer(VoipbinModel):
    id: UUID
    username: EmptyableStr = ""
    name: EmptyableStr = ""
    detail: EmptyableStr = ""
    email: EmptyableStr = ""
    phone_number: EmptyableStr = ""
    address: EmptyableStr = ""
    webhook_method: EmptyableStr = ""
    webhook_uri: EmptyableStr = ""
    webhook_secret: ReturnedSecret = None
    tm_create: VoipbinTime = None
    tm_update: VoipbinTime = None
    tm_delete: VoipbinTime = None


class ErrorBody(VoipbinModel):
    status: EmptyableStr = ""
    reason: EmptyableStr = ""
    message: EmptyableStr = ""
    request_id: EmptyableStr = ""
    details: list[Any] = Field(default_factory=list)

    @field_validator("details", mode="before")
    @classmethod
    def _null_details(cls, value: Any) -> Any:
        return [] if value is None else value


class ErrorEnvelope(VoipbinModel):
    error: ErrorBody


ItemT = TypeVar("ItemT", bound=BaseModel)


class Page(VoipbinModel, Generic[ItemT]):
    """One page of a list; ``next_page_token`` is set even on the last non-empty page."""

    result: list[ItemT] = Field(default_factory=list)
    next_page_token: EmptyableStr = ""

    @field_validator("result", mode="before")
    @classmethod
    def _null_result(cls, value: Any) -> Any:
        return [] if value is None else value


class LoginResult(VoipbinModel):
    username: EmptyableStr = ""
    token: Annotated[SecretStr, _SECRET_ON_THE_WIRE]
