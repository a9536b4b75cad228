"""The emulated providers' state: the Meta app (its token, WABA and phone number) and the LINE
channel that the sandbox plays, kept in the sandbox database so that every process using the
data dir sees the same state.

It is one small JSON document in its own table (``emulated_providers``, registered with the
store's migrations). Until someone changes it, it is the seed (``seed.py``): a Meta app and a
LINE channel that the seeded accounts match. The sandbox control API (``provider_control``)
reads it with secrets masked and changes it through named switches.

Where the seed points the app's callback and the LINE endpoint at a seeded account's hook, the
state keeps that account's id, not a URL: the URL is made per request from the backend's own
address (see ``own_urls``), since the port varies from run to run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ValidationError

from voipbin_tui.api.models import mask_secret
from voipbin_tui.backend.errors import ApiProblem
from voipbin_tui.backend.own_urls import OwnUrls
from voipbin_tui.backend.seed import (
    SEED_DISPLAY_PHONE_NUMBER,
    SEED_LINE_BASIC_ID,
    SEED_LINE_BOT_USER_ID,
    SEED_LINE_CHANNEL_ID,
    SEED_LINE_CHANNEL_SECRET,
    SEED_LINE_CHANNEL_TOKEN,
    SEED_LINE_DISPLAY_NAME,
    SEED_META_ACCESS_TOKEN,
    SEED_META_APP_ID,
    SEED_META_APP_NAME,
    SEED_META_APP_SECRET,
    SEED_META_BUSINESS_ID,
    SEED_META_SYSTEM_USER_ID,
    SEED_META_TOKEN_ISSUED_AT,
    SEED_PHONE_NUMBER_ID,
    SEED_VERIFIED_NAME,
    SEED_WABA_ID,
    SEED_WABA_NAME,
    SEED_WHATSAPP_ACCESS_TOKEN,
)
from voipbin_tui.backend.store import Store

Health = Literal["AVAILABLE", "LIMITED", "BLOCKED"]
MAX_URL_LENGTH = 500
"""The longest webhook URL taken (LINE's limit; Meta's overrides allow 200)."""
WHATSAPP_SCOPES = ("whatsapp_business_management", "whatsapp_business_messaging")


class MetaApp(BaseModel):
    app_id: str
    name: str
    app_secret: str
    callback_url: str | None = None
    """The app's webhook callback URL; None: the seeded WhatsApp account's hook on this sandbox."""
    messages_subscribed: bool = True
    """``messages`` is among the app's webhook fields for ``whatsapp_business_account``."""
    require_app_secret: bool = False
    """App Settings > Advanced > "Require App Secret": user-token calls need ``appsecret_proof``."""


class MetaToken(BaseModel):
    """A system-user access token of the app."""

    token: str
    user_id: str
    scopes: list[str]
    waba_ids: list[str]
    """The WABAs in ``granular_scopes[].target_ids``: what the token can reach."""
    issued_at: int
    expires_at: int = 0
    """0: never."""
    expired: bool = False
    """Switched on, Meta treats the token as expired (error 190, subcode 463)."""

    def has_expired(self, now: float) -> bool:
        """Expired by the switch, or by its expiry time having passed."""
        return self.expired or 0 < self.expires_at <= now


class MetaWaba(BaseModel):
    waba_id: str
    name: str
    business_id: str
    subscribed_app_ids: list[str]
    override_url: str | None = None
    """The WABA's ``override_callback_uri`` (set for the subscribed app)."""


class MetaNumber(BaseModel):
    phone_number_id: str
    waba_id: str
    display_phone_number: str
    verified_name: str
    quality_rating: str = "GREEN"
    name_status: str = "APPROVED"
    health: Health = "AVAILABLE"
    override_url: str | None = None
    """The number's own webhook override; wins over the WABA's and the app's."""


class MetaState(BaseModel):
    app: MetaApp
    token: MetaToken
    waba: MetaWaba
    number: MetaNumber
    account_id: UUID | None = None
    """The seeded WhatsApp account, whose hook the app's callback is by default."""


class LineChannel(BaseModel):
    channel_id: str
    channel_secret: str
    access_token: str
    bot_user_id: str
    basic_id: str
    display_name: str
    endpoint: str | None = None
    """The webhook endpoint; None: the seeded LINE account's hook on this sandbox."""
    webhook_active: bool = True
    """The console's "Use webhook": LINE sends events only when on."""
    token_expires_in: int | None = None
    """Seconds left on the channel access token as LINE's verify reports them (0 or less: it
    has expired); None: a long-lived token, which does not expire."""
    account_id: UUID | None = None


class HookSwitches(BaseModel):
    hub_challenge_500: bool = False
    """The sandbox hook answers a correct hub challenge with VoIPBIN's predicted bare 500."""


class ProviderState(BaseModel):
    meta: MetaState
    line: LineChannel
    hook: HookSwitches = HookSwitches()

    def app_callback_url(self, own: OwnUrls) -> str | None:
        """The app's callback URL: as set, or the seeded WhatsApp account's hook on this sandbox."""
        callback = self.meta.app.callback_url
        return own.account_hook(self.meta.account_id) if callback is None else callback or None

    def line_endpoint(self, own: OwnUrls) -> str:
        """The LINE webhook endpoint: as set, or the seeded LINE account's hook on this sandbox."""
        endpoint = self.line.endpoint
        return (own.account_hook(self.line.account_id) or "") if endpoint is None else endpoint

    def redacted(self, own: OwnUrls) -> dict[str, Any]:
        """The state as the control API shows it: tokens and secrets masked (``••••`` and the
        last four characters), the seeded callback and endpoint as the URLs they stand for."""
        data = self.model_dump(mode="json")
        data["meta"]["app"]["callback_url"] = self.app_callback_url(own)
        data["line"]["endpoint"] = self.line_endpoint(own)
        data["meta"]["app"]["app_secret"] = mask_secret(self.meta.app.app_secret)
        data["meta"]["token"]["token"] = mask_secret(self.meta.token.token)
        data["line"]["channel_secret"] = mask_secret(self.line.channel_secret)
        data["line"]["access_token"] = mask_secret(self.line.access_token)
        return data


# -- storage -----------------------------------------------------------------------------


def load_state(store: Store) -> ProviderState:
    """The current state: as last changed, else the seed."""
    document = store.provider_document()
    if document is not None:
        try:
            return ProviderState.model_validate_json(document)
        except ValidationError:
            pass  # written by another version: start again from the seed
    return seeded_state(store)


def save_state(store: Store, state: ProviderState) -> None:
    store.save_provider_document(state.model_dump_json())


def reset_state(store: Store) -> ProviderState:
    """Back to the seed."""
    store.forget_provider_document()
    return seeded_state(store)


def seeded_state(store: Store) -> ProviderState:
    """The seed's Meta app and LINE channel, pointing at the seeded accounts (the oldest holding
    the seeded tokens: none in a sandbox made with ``--no-seed``)."""
    return ProviderState(
        meta=MetaState(
            app=MetaApp(app_id=SEED_META_APP_ID, name=SEED_META_APP_NAME, app_secret=SEED_META_APP_SECRET),
            token=MetaToken(
                token=SEED_META_ACCESS_TOKEN,
                user_id=SEED_META_SYSTEM_USER_ID,
                scopes=[*WHATSAPP_SCOPES, "business_management"],
                waba_ids=[SEED_WABA_ID],
                issued_at=SEED_META_TOKEN_ISSUED_AT,
            ),
            waba=MetaWaba(
                waba_id=SEED_WABA_ID,
                name=SEED_WABA_NAME,
                business_id=SEED_META_BUSINESS_ID,
                subscribed_app_ids=[SEED_META_APP_ID],
            ),
            number=MetaNumber(
                phone_number_id=SEED_PHONE_NUMBER_ID,
                waba_id=SEED_WABA_ID,
                display_phone_number=SEED_DISPLAY_PHONE_NUMBER,
                verified_name=SEED_VERIFIED_NAME,
            ),
            account_id=store.first_account_with_token(SEED_WHATSAPP_ACCESS_TOKEN),
        ),
        line=LineChannel(
            channel_id=SEED_LINE_CHANNEL_ID,
            channel_secret=SEED_LINE_CHANNEL_SECRET,
            access_token=SEED_LINE_CHANNEL_TOKEN,
            bot_user_id=SEED_LINE_BOT_USER_ID,
            basic_id=SEED_LINE_BASIC_ID,
            display_name=SEED_LINE_DISPLAY_NAME,
            account_id=store.first_account_with_token(SEED_LINE_CHANNEL_TOKEN),
        ),
    )


# -- switches ----------------------------------------------------------------------------


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise _bad_switch(name, "must be true or false")
    return value


def _url(value: Any, name: str, *, nullable: bool) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise _bad_switch(name, "must be a URL" + (" or null" if nullable else ""))
    if len(value) > MAX_URL_LENGTH:
        raise _bad_switch(name, f"is longer than {MAX_URL_LENGTH} characters")
    if value and not value.startswith(("http://", "https://")):
        raise _bad_switch(name, "must be an http:// or https:// URL")
    if any(ord(character) < 0x21 or ord(character) == 0x7F for character in value):
        raise _bad_switch(name, "must not contain spaces or control characters")
    return value


def _health(value: Any, name: str) -> Health:
    if value not in ("AVAILABLE", "LIMITED", "BLOCKED"):
        raise _bad_switch(name, "must be AVAILABLE, LIMITED or BLOCKED")
    health: Health = value
    return health


def _seconds(value: Any, name: str, *, nullable: bool) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, str) and value.lstrip("-").isdigit() and len(value) < 19:
        value = int(value)  # as typed on a command line
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**53:
        raise _bad_switch(name, "must be a whole number of seconds" + (" or null" if nullable else ""))
    return value


def _unix_time(value: Any, name: str) -> int:
    seconds = _seconds(value, name, nullable=False) or 0
    if seconds < 0:
        raise _bad_switch(name, "must be a unix time, or 0 for never")
    return seconds


def _subscribe(state: ProviderState, on: bool) -> None:
    apps = [app for app in state.meta.waba.subscribed_app_ids if app != state.meta.app.app_id]
    state.meta.waba.subscribed_app_ids = [*apps, state.meta.app.app_id] if on else apps


def _set(target: Callable[[ProviderState], Any], field: str) -> Callable[[ProviderState, Any], None]:
    return lambda state, value: setattr(target(state), field, value)


_SWITCHES: dict[str, tuple[Callable[[Any, str], Any], Callable[[ProviderState, Any], None]]] = {
    "meta.token_expired": (_flag, _set(lambda s: s.meta.token, "expired")),
    "meta.token_expires_at": (_unix_time, _set(lambda s: s.meta.token, "expires_at")),
    "meta.app_callback_url": (
        lambda value, name: _url(value, name, nullable=True),
        _set(lambda s: s.meta.app, "callback_url"),
    ),
    "meta.number_override_url": (
        lambda value, name: _url(value, name, nullable=True) or None,
        _set(lambda s: s.meta.number, "override_url"),
    ),
    "meta.waba_override_url": (
        lambda value, name: _url(value, name, nullable=True) or None,
        _set(lambda s: s.meta.waba, "override_url"),
    ),
    "meta.messages_subscribed": (_flag, _set(lambda s: s.meta.app, "messages_subscribed")),
    "meta.app_subscribed_to_waba": (_flag, _subscribe),
    "meta.require_app_secret": (_flag, _set(lambda s: s.meta.app, "require_app_secret")),
    "meta.health": (_health, _set(lambda s: s.meta.number, "health")),
    "line.webhook_active": (_flag, _set(lambda s: s.line, "webhook_active")),
    "line.webhook_endpoint": (
        lambda value, name: _url(value, name, nullable=True),
        _set(lambda s: s.line, "endpoint"),
    ),
    "line.token_expires_in": (
        lambda value, name: _seconds(value, name, nullable=True),
        _set(lambda s: s.line, "token_expires_in"),
    ),
    "hook.hub_challenge_500": (_flag, _set(lambda s: s.hook, "hub_challenge_500")),
}
SWITCH_NAMES = tuple(_SWITCHES)


def _bad_switch(name: str, message: str) -> ApiProblem:
    return ApiProblem(
        400, "INVALID_ARGUMENT", f"invalid switch: {name}: {message}", details=[{"field": name, "message": message}]
    )


def apply_switches(state: ProviderState, changes: dict[str, Any]) -> ProviderState:
    """The state with every named switch set; nothing changes if one name or value is wrong."""
    unknown = [name for name in changes if name not in _SWITCHES]
    if unknown:
        known = ", ".join(SWITCH_NAMES)
        raise _bad_switch(unknown[0][:80], f"no such switch (known: {known})")
    if not changes:
        raise ApiProblem(400, "INVALID_ARGUMENT", 'no switch given: send an object like {"meta.health": "BLOCKED"}')
    changed = state.model_copy(deep=True)
    for name, value in changes.items():
        check, assign = _SWITCHES[name]
        assign(changed, check(value, name))
    return changed
