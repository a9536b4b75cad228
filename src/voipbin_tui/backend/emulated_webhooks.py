"""Webhooks the emulated providers send: Meta's signed notifications and LINE's signed events,
posted only to URLs this sandbox serves (``OwnUrls.deliverable``), never anywhere else.

Each delivery reports what LINE's webhook test reports: success, the status code (0 when no
answer came), a reason in LINE's vocabulary and a detail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import httpx

from voipbin_tui.backend.own_urls import OwnUrls

LINE_TIMEOUT_SECONDS = 2.0
"""LINE gives up on a webhook that has not answered within 2 s (``request_timeout``)."""
META_TIMEOUT_SECONDS = 5.0
META_USER_AGENT = "facebookexternalua"
LINE_USER_AGENT = "LineBotWebhook/2.0"


@dataclass(frozen=True, slots=True)
class WebhookResult:
    url: str
    success: bool
    status_code: int
    """0 when nothing answered."""
    reason: str
    """``OK``, ``could_not_connect``, ``request_timeout`` or ``error_status_code``."""
    detail: str

    def as_json(self) -> dict[str, Any]:
        """The fields the control API answers (``ProviderDelivery`` in the client)."""
        return asdict(self)


def not_sent(url: str, detail: str) -> WebhookResult:
    return WebhookResult(url=url, success=False, status_code=0, reason="could_not_connect", detail=detail)


async def post_webhook(
    own: OwnUrls, url: str, body: bytes, headers: dict[str, str], *, timeout: float
) -> WebhookResult:
    """POST ``body`` to ``url`` if this sandbox serves it; no proxy, no redirect followed."""
    target = own.deliverable(url)
    if target is None:
        return not_sent(url, "the sandbox's emulated providers post only to this sandbox's own URLs")
    try:
        async with httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False) as http:
            answer = await http.post(target, content=body, headers=headers)
    except httpx.TimeoutException:
        return WebhookResult(url, False, 0, "request_timeout", f"no answer within {timeout:g} s")
    except httpx.HTTPError as error:
        return not_sent(url, type(error).__name__)
    success = 200 <= answer.status_code < 300
    reason = "OK" if success else "error_status_code"
    return WebhookResult(url, success, answer.status_code, reason, str(answer.status_code))
