"""The shared VoIPBIN API client: models, drafts, errors and the async client.

Used by the CLI, the TUI, the inspector feed and the tests alike; it never imports Textual.
Names are loaded when first used (PEP 562), so importing one light module of the package
(``api.errors``) does not pull in httpx and pydantic: the TUI's first frame needs neither.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voipbin_tui.api.account_types import FieldProblem
    from voipbin_tui.api.client import DEFAULT_API_URL, DEFAULT_HOOK_URL, VoipbinClient
    from voipbin_tui.api.drafts import MAX_NAME_LENGTH, AccountDraft
    from voipbin_tui.api.errors import (
        AccountValidationError,
        ApiError,
        BadRequest,
        ConnectionFailed,
        NotFound,
        NothingToUpdate,
        PermissionDenied,
        RateLimited,
        ReadOnlyRefused,
        ServerError,
        Unauthenticated,
        VoipbinError,
    )
    from voipbin_tui.api.models import (
        NIL_UUID,
        Account,
        AccountType,
        Conversation,
        ConversationMessage,
        Customer,
        Flow,
        Page,
        ProviderData,
        mask_secret,
    )

_HOMES = {
    "account_types": ("FieldProblem",),
    "client": ("DEFAULT_API_URL", "DEFAULT_HOOK_URL", "VoipbinClient"),
    "drafts": ("MAX_NAME_LENGTH", "AccountDraft"),
    "errors": (
        "AccountValidationError",
        "ApiError",
        "BadRequest",
        "ConnectionFailed",
        "NotFound",
        "NothingToUpdate",
        "PermissionDenied",
        "RateLimited",
        "ReadOnlyRefused",
        "ServerError",
        "Unauthenticated",
        "VoipbinError",
    ),
    "models": (
        "NIL_UUID",
        "Account",
        "AccountType",
        "Conversation",
        "ConversationMessage",
        "Customer",
        "Flow",
        "Page",
        "ProviderData",
        "mask_secret",
    ),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_HOOK_URL",
    "MAX_NAME_LENGTH",
    "NIL_UUID",
    "Account",
    "AccountDraft",
    "AccountType",
    "AccountValidationError",
    "ApiError",
    "BadRequest",
    "ConnectionFailed",
    "Conversation",
    "ConversationMessage",
    "Customer",
    "FieldProblem",
    "Flow",
    "NotFound",
    "NothingToUpdate",
    "Page",
    "PermissionDenied",
    "ProviderData",
    "RateLimited",
    "ReadOnlyRefused",
    "ServerError",
    "Unauthenticated",
    "VoipbinClient",
    "VoipbinError",
    "mask_secret",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_MODULE_OF])
