"""The few Meta Graph API calls the account doctor makes, with Graph's error envelope parsed.

Each call returns the typed answer together with its ``Exchange`` (the evidence); a Graph error
raises ``GraphError`` with Meta's code, subcode and message, and Meta's throttling codes (or an
HTTP 429) raise ``GraphRateLimited``. The base and version are settings, so the sandbox's
emulation (or a test double) answers in place of graph.facebook.com.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from voipbin_tui.api.provider_http import (
    Answered,
    Exchange,
    ProviderAnswer,
    ProviderCallFailed,
    ProviderHttp,
    ProviderRateLimited,
)

GRAPH_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80007})
"""Application, user, page, custom and WhatsApp Business Account throttling."""
TOKEN_ERROR_CODE = 190
INVALID_PROOF_TEXT = "appsecret_proof"
PHONE_NUMBER_FIELDS = (
    "id,display_phone_number,verified_name,quality_rating,platform_type,name_status,health_status,webhook_configuration"
)

ModelT = TypeVar("ModelT", bound=BaseModel)


class GraphModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class GraphErrorBody(GraphModel):
    message: str = ""
    type: str = ""
    code: int | None = None
    error_subcode: int | None = None
    subcode: int | None = None
    fbtrace_id: str = ""


class GranularScope(GraphModel):
    scope: str = ""
    target_ids: list[str] | None = None


class TokenDebug(GraphModel):
    """``debug_token``'s ``data``: whose token, which scopes, until when."""

    app_id: str = ""
    type: str = ""
    application: str = ""
    expires_at: int | None = None
    data_access_expires_at: int | None = None
    is_valid: bool = False
    scopes: list[str] = Field(default_factory=list)
    granular_scopes: list[GranularScope] = Field(default_factory=list)
    user_id: str = ""
    error: GraphErrorBody | None = None


class HealthEntity(GraphModel):
    entity_type: str = ""
    id: str = ""
    can_send_message: str = ""
    errors: list[dict[str, Any]] = Field(default_factory=list)
    additional_info: list[Any] | str | None = None


class HealthStatus(GraphModel):
    can_send_message: str = ""
    entities: list[HealthEntity] = Field(default_factory=list)

    def entity_id(self, entity_type: str) -> str:
        return next((entity.id for entity in self.entities if entity.entity_type == entity_type), "")


class WebhookConfiguration(GraphModel):
    """Where Meta sends this number's webhooks, per level: the first one set wins."""

    phone_number: str = ""
    whatsapp_business_account: str = ""
    application: str = ""

    def winner(self) -> tuple[str, str] | None:
        """The level Meta uses (``phone number``, ``WABA`` or ``app``) and its URL; None when none is set."""
        for level, url in (
            ("phone number override", self.phone_number),
            ("WABA override", self.whatsapp_business_account),
            ("app callback URL", self.application),
        ):
            if url:
                return level, url
        return None


class PhoneNumber(GraphModel):
    id: str = ""
    display_phone_number: str = ""
    verified_name: str = ""
    quality_rating: str = ""
    platform_type: str = ""
    name_status: str = ""
    health_status: HealthStatus | None = None
    webhook_configuration: WebhookConfiguration | None = None


class SubscribedAppData(GraphModel):
    id: str = ""
    name: str = ""
    link: str = ""


class SubscribedApp(GraphModel):
    whatsapp_business_api_data: SubscribedAppData = Field(default_factory=SubscribedAppData)
    override_callback_uri: str = ""


class SubscribedApps(GraphModel):
    data: list[SubscribedApp] = Field(default_factory=list)


class SubscriptionField(GraphModel):
    name: str = ""
    version: str = ""


class AppSubscription(GraphModel):
    object: str = ""
    callback_url: str = ""
    active: bool = False
    fields: list[SubscriptionField] | None = None


class AppSubscriptions(GraphModel):
    data: list[AppSubscription] = Field(default_factory=list)


class GraphError(ProviderCallFailed):
    """Graph answered with its error envelope (or a status without one)."""

    def __init__(self, error: GraphErrorBody, http_status: int, exchange: Exchange) -> None:
        super().__init__(error.message or f"Graph answered HTTP {http_status}", exchange)
        self.error = error
        self.http_status = http_status

    @property
    def code(self) -> int | None:
        return self.error.code

    @property
    def subcode(self) -> int | None:
        return self.error.error_subcode or self.error.subcode

    @property
    def is_token_error(self) -> bool:
        return self.code == TOKEN_ERROR_CODE

    @property
    def is_invalid_proof(self) -> bool:
        """The app secret the proof was made with is not the token's app's."""
        return self.code == 100 and "invalid appsecret_proof" in self.error.message.lower()

    @property
    def needs_proof(self) -> bool:
        """The app has "Require App Secret" on and the call carried no proof."""
        return self.code == 100 and "require an appsecret_proof" in self.error.message.lower()

    @property
    def is_unknown_object(self) -> bool:
        """Meta's answer for an id that does not exist or that the token may not see (one answer for both)."""
        return self.code == 100 and self.subcode == 33


class GraphRateLimited(ProviderRateLimited):
    """Meta throttles this app, user, WABA or number now."""


def appsecret_proof(app_secret: SecretStr, token: SecretStr, *, at: int | None = None) -> dict[str, str]:
    """The ``appsecret_proof`` parameters: timed (``token|time``, valid 5 minutes) when ``at``
    is given, else the untimed HMAC of the token alone."""
    message = token.get_secret_value() if at is None else f"{token.get_secret_value()}|{at}"
    proof = hmac.new(app_secret.get_secret_value().encode(), message.encode(), hashlib.sha256).hexdigest()
    return {"appsecret_proof": proof} if at is None else {"appsecret_proof": proof, "appsecret_time": str(at)}


def app_access_token(app_id: str, app_secret: SecretStr) -> SecretStr:
    """``{app-id}|{app-secret}``: the app access token Graph takes for app-level edges."""
    return SecretStr(f"{app_id}|{app_secret.get_secret_value()}")


def _node(node_id: str) -> str:
    """An id as one path segment: ids come from the account and from Graph's own answers, and
    none may take a request (carrying a token, or the app secret) to another path."""
    return quote(node_id, safe="")


class GraphClient:
    """Meta's Graph API at ``{base}/{version}``, as far as the doctor needs it."""

    def __init__(self, http: ProviderHttp, version: str, *, clock: Callable[[], float] = time.time) -> None:
        self._http = http
        self.version = version.strip("/")
        self._clock = clock

    async def debug_token(self, token: SecretStr) -> Answered[TokenDebug]:
        """Inspect ``token`` with itself (a system-user token may): validity, scopes, expiry, app."""
        answer = await self._get("/debug_token", {"input_token": token.get_secret_value()}, bearer=token)
        data = answer.document.get("data") if isinstance(answer.document, dict) else None
        return Answered(_parse(TokenDebug, data, answer), answer.exchange)

    async def phone_number(
        self,
        phone_number_id: str,
        token: SecretStr,
        *,
        fields: str = PHONE_NUMBER_FIELDS,
        app_secret: SecretStr | None = None,
        timed_proof: bool = True,
    ) -> Answered[PhoneNumber]:
        """The number's facts; with ``app_secret``, sent with an ``appsecret_proof`` (which Graph
        checks whenever one is sent), so success proves the secret is the token's app's."""
        params = {"fields": fields}
        if app_secret is not None:
            params.update(appsecret_proof(app_secret, token, at=int(self._clock()) if timed_proof else None))
        answer = await self._get(f"/{_node(phone_number_id)}", params, bearer=token)
        return Answered(_parse(PhoneNumber, answer.document, answer), answer.exchange)

    async def subscribed_apps(self, waba_id: str, token: SecretStr) -> Answered[SubscribedApps]:
        answer = await self._get(f"/{_node(waba_id)}/subscribed_apps", {}, bearer=token)
        return Answered(_parse(SubscribedApps, answer.document, answer), answer.exchange)

    async def app_subscriptions(self, app_id: str, app_secret: SecretStr) -> Answered[AppSubscriptions]:
        """The app's webhook subscriptions; Graph takes only an app access token here."""
        token = app_access_token(app_id, app_secret)
        answer = await self._get(f"/{_node(app_id)}/subscriptions", {"access_token": token.get_secret_value()})
        return Answered(_parse(AppSubscriptions, answer.document, answer), answer.exchange)

    async def _get(self, path: str, params: dict[str, str], *, bearer: SecretStr | None = None) -> ProviderAnswer:
        answer = await self._http.call("GET", f"/{self.version}{path}", params=params, bearer=bearer)
        error = _graph_error(answer, self._http.redact)
        if error is not None:
            raise error
        return answer


def _graph_error(answer: ProviderAnswer, redact: Callable[[str], str]) -> ProviderCallFailed | None:
    """The error Graph answered, if any; its message is redacted like the evidence (Graph
    sometimes quotes what it was sent)."""
    document = answer.document
    envelope = document.get("error") if isinstance(document, dict) else None
    if envelope is None and answer.status < 400:
        return None
    try:
        body = GraphErrorBody.model_validate(envelope) if isinstance(envelope, dict) else GraphErrorBody()
    except ValidationError:
        body = GraphErrorBody()
    body.message = redact(body.message)
    if answer.status == 429 or body.code in GRAPH_RATE_LIMIT_CODES:
        what = f"code {body.code}" if body.code is not None else f"HTTP {answer.status}"
        why = f"Meta is rate-limiting these calls ({what}): try again in a few minutes"
        return GraphRateLimited(why, answer.exchange)
    return GraphError(body, answer.status, answer.exchange)


def _parse(model: type[ModelT], data: Any, answer: ProviderAnswer) -> ModelT:
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError:
        raise ProviderCallFailed(f"Graph answered an unexpected {model.__name__} shape", answer.exchange) from None
