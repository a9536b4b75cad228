"""Reading the bodies the emulated providers take: a URL-encoded form (LINE's OAuth calls,
Graph POSTs) or a JSON object, never trusting the sender. The body limits of the middleware
(``limits``) already bound their size."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from voipbin_tui.backend.judging import sent_by_a_page

PAGE_REFUSAL = "the sandbox's emulated providers answer programs, not web pages: the request carried {}"


def page_refusal(request: Request) -> str | None:
    """Why a request a web page had a browser send is refused, else None. The emulated APIs
    take the sandbox's publicly documented seeded tokens, some in the query of a plain form
    POST, which any page could otherwise send to change the emulated providers' state or make
    them send."""
    sent = sent_by_a_page(request.headers.get("origin"), request.headers.get("sec-fetch-site"))
    return PAGE_REFUSAL.format(sent) if sent is not None else None


class BodyError(ValueError):
    """The body is not the form or the JSON object the endpoint takes; the message says which."""


async def form_fields(request: Request) -> dict[str, str]:
    """A URL-encoded form body as a dict (the first value of a repeated field wins)."""
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("the form is not UTF-8") from None
    fields: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


async def json_object(request: Request, *, empty: dict[str, Any] | None = None) -> dict[str, Any]:
    """The body as a JSON object; ``empty`` (when given) stands for a missing body."""
    raw = await request.body()
    if not raw.strip() and empty is not None:
        return empty
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise BodyError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BodyError("the body must be a JSON object")
    return body
