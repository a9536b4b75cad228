"""The shared VoIPBIN API client: models, drafts, errors and the async client.

Used by the CLI, the TUI, the inspector feed and the tests alike; it never imports Textual.
"""

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
