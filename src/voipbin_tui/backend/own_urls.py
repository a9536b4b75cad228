"""The backend's own URLs, as the emulated providers need them: the hook URL of an account on
this sandbox (for the seeded callback and endpoint), and whether a webhook URL is one this
sandbox serves, and so one its emulated Meta and LINE may post to.

The address comes from the listening socket the request arrived on (``scope["server"]``),
never from the ``Host`` header a client chose, so that nobody can make the sandbox post to
another host. A webhook URL the sandbox does not serve is never called: not the internet,
not another service on this machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

from starlette.requests import Request

from voipbin_tui.api.hooks import hook_url_for
from voipbin_tui.backend.context import backend_of

_LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True, slots=True)
class OwnUrls:
    """Where this backend answers, taken from one request."""

    local_base: str
    """``http://127.0.0.1:PORT``: the socket the request came in on."""
    public_hook_base: str | None
    """The hook base providers are told to use, when it is not the local one (a tunnel)."""

    @classmethod
    def of(cls, request: Request) -> OwnUrls:
        host, port = request.scope.get("server") or ("127.0.0.1", 80)
        local_base = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        public = backend_of(request).config.public_hook_url
        return cls(local_base=local_base, public_hook_base=public.rstrip("/") if public else None)

    @property
    def local_hook_base(self) -> str:
        return f"{self.local_base}/v1.0"

    @property
    def hook_base(self) -> str:
        """The hook base as the sandbox gives it to providers (``EmbeddedBackend.hook_url``)."""
        return self.public_hook_base or self.local_hook_base

    def account_hook(self, account_id: UUID | None) -> str | None:
        """An account's hook URL on this sandbox."""
        return hook_url_for(self.hook_base, account_id) if account_id is not None else None

    def deliverable(self, url: str) -> str | None:
        """The loopback URL to post to for ``url`` when this sandbox serves it (its public hook
        base stands for its local one, as a tunnel would carry it), else None."""
        if self.public_hook_base and url.startswith(self.public_hook_base + "/"):
            return self.local_hook_base + url[len(self.public_hook_base) :]
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        local = urlsplit(self.local_base)
        if parts.scheme != "http" or port != local.port or parts.username or parts.password:
            return None
        if not _is_loopback(parts.hostname or "") and parts.hostname != local.hostname:
            return None
        return urlunsplit(("http", local.netloc, parts.path or "/", parts.query, ""))


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
