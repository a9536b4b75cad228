"""The LINE Messaging API calls the account doctor makes about one channel.

Each returns the typed answer with its ``Exchange`` (evidence). LINE's two error shapes are
parsed (``{"message", "details"}`` from the Messaging API, ``{"error", "error_description"}``
from the token API) into ``LineError``; a 429 raises ``LineRateLimited``. The base is a
setting, so the sandbox's emulation answers in place of api.line.me.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from voipbin_tui.api.provider_http import (
    Answered,
    ProviderAnswer,
    ProviderCallFailed,
    ProviderHttp,
    ProviderRateLimited,
)

ModelT = TypeVar("ModelT", bound=BaseModel)


class LineModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class BotInfo(LineModel):
    user_id: str = Field("", alias="userId")
    basic_id: str = Field("", alias="basicId")
    display_name: str = Field("", alias="displayName")
    chat_mode: str = Field("", alias="chatMode")


class TokenVerification(LineModel):
    client_id: str = ""
    """The channel id."""
    expires_in: int | None = None
    scope: str = ""


class WebhookEndpoint(LineModel):
    endpoint: str = ""
    active: bool = False


class WebhookTest(LineModel):
    success: bool = False
    timestamp: str = ""
    status_code: int | None = Field(None, alias="statusCode")
    reason: str = ""
    detail: str = ""


class IssuedToken(LineModel):
    token_type: str = ""
    expires_in: int | None = None


class LineError(ProviderCallFailed):
    """LINE refused the call: ``http_status`` and LINE's own message."""

    def __init__(self, message: str, http_status: int, answer: ProviderAnswer) -> None:
        super().__init__(message, answer.exchange)
        self.http_status = http_status


class LineRateLimited(ProviderRateLimited):
    """LINE answered 429."""


class LineChannelClient:
    """LINE's API at ``base`` (``https://api.line.me``) for one channel's checks."""

    def __init__(self, http: ProviderHttp) -> None:
        self._http = http

    async def bot_info(self, token: SecretStr) -> Answered[BotInfo]:
        return await self._typed(BotInfo, "GET", "/v2/bot/info", bearer=token)

    async def verify_token(self, token: SecretStr) -> Answered[TokenVerification]:
        """The token's channel id and remaining lifetime (``POST /v2/oauth/verify`` takes
        short- and long-lived tokens alike)."""
        return await self._typed(
            TokenVerification, "POST", "/v2/oauth/verify", form={"access_token": token.get_secret_value()}
        )

    async def webhook_endpoint(self, token: SecretStr) -> Answered[WebhookEndpoint]:
        return await self._typed(WebhookEndpoint, "GET", "/v2/bot/channel/webhook/endpoint", bearer=token)

    async def test_webhook(self, token: SecretStr) -> Answered[WebhookTest]:
        """LINE's own test delivery to the channel's configured endpoint."""
        return await self._typed(WebhookTest, "POST", "/v2/bot/channel/webhook/test", bearer=token, json_body={})

    async def issue_stateless_token(self, channel_id: str, channel_secret: SecretStr) -> Answered[IssuedToken]:
        """Issue a 15-minute token with the channel id and secret: LINE has no other way to
        prove a channel secret (it cannot be revoked, and no cap on such tokens is reached)."""
        form = {
            "grant_type": "client_credentials",
            "client_id": channel_id,
            "client_secret": channel_secret.get_secret_value(),
        }
        return await self._typed(IssuedToken, "POST", "/oauth2/v3/token", form=form)

    async def _typed(
        self,
        model: type[ModelT],
        method: str,
        path: str,
        *,
        bearer: SecretStr | None = None,
        form: dict[str, str] | None = None,
        json_body: Any = None,
    ) -> Answered[ModelT]:
        answer = await self._http.call(method, path, bearer=bearer, form=form, json_body=json_body)
        if answer.status == 429:
            why = "LINE is rate-limiting these calls (HTTP 429): try again in a minute"
            raise LineRateLimited(why, answer.exchange)
        if answer.status >= 400:
            raise LineError(self._http.redact(_line_message(answer)), answer.status, answer)
        try:
            value = model.model_validate(answer.document if isinstance(answer.document, dict) else {})
        except ValidationError:
            raise ProviderCallFailed(f"LINE answered an unexpected {model.__name__} shape", answer.exchange) from None
        return Answered(value, answer.exchange)


def _line_message(answer: ProviderAnswer) -> str:
    document = answer.document if isinstance(answer.document, dict) else {}
    message = document.get("message") or document.get("error_description") or document.get("error")
    return str(message) if message else f"LINE answered HTTP {answer.status}"
