"""Who may use the REST emulation and the feed: the access key, or a JWT from ``/auth/login``.

Credentials are read in VoIPBIN's order (cookie ``token``, ``?token=``, ``Authorization:
Bearer``, cookie ``accesskey``, ``?accesskey=``) and the first one present decides: like
VoIPBIN, an access key sent as a Bearer token is parsed as a JWT and refused. The sandbox has
one user, ``sandbox``, whose password is the access key; its JWTs are HS256, signed with a key
derived from the access key (so changing the key revokes them), and last 7 days.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from voipbin_tui.api.models import LoginResult
from voipbin_tui.backend.context import backend_of
from voipbin_tui.backend.errors import ApiProblem
from voipbin_tui.protocols.signatures import constant_time_equals

SANDBOX_USERNAME = "sandbox"
JWT_LIFETIME = timedelta(days=7)
_JWT_HEADER = {"alg": "HS256", "typ": "JWT"}

Endpoint = Callable[[Request], Awaitable[Response]]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signing_key(accesskey: SecretStr) -> bytes:
    return hmac.new(accesskey.get_secret_value().encode("utf-8"), b"voipbin-tui sandbox JWT", hashlib.sha256).digest()


def _compact_json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def issue_jwt(accesskey: SecretStr, *, username: str, now: datetime) -> str:
    """An HS256 JWT for ``username``, valid for JWT_LIFETIME from ``now``."""
    claims = {
        "username": username,
        "iat": int(now.timestamp()),
        "exp": int((now + JWT_LIFETIME).timestamp()),
    }
    signing_input = f"{_b64url(_compact_json(_JWT_HEADER))}.{_b64url(_compact_json(claims))}"
    signature = hmac.new(_signing_key(accesskey), signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def jwt_is_valid(accesskey: SecretStr, token: str, *, now: datetime) -> bool:
    """True for a JWT this sandbox issued that has not expired; False for anything else."""
    parts = token.split(".")
    if len(parts) != 3 or not token.isascii():
        return False
    header, claims, signature = parts
    expected = hmac.new(_signing_key(accesskey), f"{header}.{claims}".encode("ascii"), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_b64url_decode(signature), expected):
            return False
        decoded_header = json.loads(_b64url_decode(header))
        decoded_claims = json.loads(_b64url_decode(claims))
    except (binascii.Error, ValueError):
        return False
    if not isinstance(decoded_header, dict) or decoded_header.get("alg") != "HS256":
        return False
    expiry = decoded_claims.get("exp") if isinstance(decoded_claims, dict) else None
    return isinstance(expiry, int) and now.timestamp() < expiry


def _presented_credential(request: Request) -> tuple[str, str] | None:
    """The first credential present, in VoIPBIN's order: ("jwt" | "accesskey", value)."""
    if token := request.cookies.get("token"):
        return "jwt", token
    if token := request.query_params.get("token"):
        return "jwt", token
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return "jwt", value.strip()
    if accesskey := request.cookies.get("accesskey"):
        return "accesskey", accesskey
    if accesskey := request.query_params.get("accesskey"):
        return "accesskey", accesskey
    return None


def authenticate(request: Request) -> None:
    """Raise a 401 ApiProblem unless the request carries a valid credential."""
    backend = backend_of(request)
    credential = _presented_credential(request)
    if credential is None:
        raise ApiProblem(401, "AUTHENTICATION_REQUIRED", "no credentials: send the access key as Cookie: accesskey=...")
    kind, value = credential
    accesskey = backend.config.accesskey
    if kind == "jwt":
        valid = jwt_is_valid(accesskey, value, now=backend.config.clock())
    else:
        valid = constant_time_equals(value, accesskey.get_secret_value())
    if not valid:
        raise ApiProblem(401, "INVALID_CREDENTIALS", "the credentials are invalid or expired")


def requires_credentials(endpoint: Endpoint) -> Endpoint:
    """Wrap a REST or feed endpoint so it answers 401 without a valid credential.

    Applied per endpoint rather than as middleware, so an unknown path is still a 404
    whatever the credentials, as on VoIPBIN.
    """

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        authenticate(request)
        return await endpoint(request)

    return guarded


async def login(request: Request) -> Response:
    """``POST /auth/login``: ``{"username", "password"}`` -> ``{"username", "token"}``.

    A failed login is a bare 400 with an empty body, as on VoIPBIN.
    """
    backend = backend_of(request)
    try:
        body = json.loads(await request.body())
    except (ValueError, RecursionError):
        return Response(status_code=400)
    if not isinstance(body, dict):
        return Response(status_code=400)
    username, password = body.get("username"), body.get("password")
    accesskey = backend.config.accesskey
    if not (
        isinstance(username, str)
        and isinstance(password, str)
        and constant_time_equals(username, SANDBOX_USERNAME)
        and constant_time_equals(password, accesskey.get_secret_value())
    ):
        return Response(status_code=400)
    token = issue_jwt(accesskey, username=SANDBOX_USERNAME, now=backend.config.clock())
    return JSONResponse(LoginResult(username=SANDBOX_USERNAME, token=SecretStr(token)).wire_json())
