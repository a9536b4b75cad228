"""The account list last seen, kept on disk so that the next launch shows it at once.

The accounts screen draws it (marked as last seen) while the backend is still starting or a
slow link is still answering, and replaces it with the fresh list when that arrives. It holds
what the list shows and nothing secret: no ``token`` or ``secret`` (VoIPBIN never returns
them), and no ``provider_data`` at all, so not even a masked ``app_secret``. One file per
connection target (the sandbox of a data dir, or an API URL with its credentials), 0600 in a
``cache`` folder of the data dir, written whole under a temporary name and renamed into place.

Standard library only: the TUI draws this list in its first frame, before pydantic and the
API models are imported, so a cached account is a plain ``ListedAccount`` (the fields the list
shows, as the models would hold them) and the index draws its cells from it the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from voipbin_tui.api.ids import NIL_UUID
from voipbin_tui.api.timestamps import format_voipbin_time, parse_voipbin_time

if TYPE_CHECKING:
    from voipbin_tui.config import Target

CACHE_DIRNAME = "cache"
FORMAT_VERSION = 1
LISTED_FIELDS = frozenset(
    {"id", "customer_id", "type", "name", "detail", "message_flow_id", "tm_create", "tm_update", "tm_delete"}
)
"""What the accounts list shows (and filters, sorts by): everything of an account but its
``provider_data``."""


class Listed(Protocol):
    """An account as the list shows it: an API ``Account``, or a ``ListedAccount`` from here."""

    @property
    def id(self) -> UUID: ...
    @property
    def customer_id(self) -> UUID | None: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def message_flow_id(self) -> UUID: ...
    @property
    def tm_create(self) -> datetime | None: ...
    @property
    def tm_update(self) -> datetime | None: ...
    @property
    def tm_delete(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class ListedAccount:
    """A cached account: the listed fields, typed as the ``Account`` model types them."""

    id: UUID
    customer_id: UUID | None = None
    type: str = ""
    name: str = ""
    detail: str = ""
    message_flow_id: UUID = NIL_UUID
    tm_create: datetime | None = None
    tm_update: datetime | None = None
    tm_delete: datetime | None = None

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> ListedAccount:
        """From a cache file's entry (raises ValueError, TypeError or KeyError on a bad one)."""
        customer = item.get("customer_id")
        return cls(
            id=UUID(item["id"]),
            customer_id=UUID(customer) if customer else None,
            type=_text(item.get("type")),
            name=_text(item.get("name")),
            detail=_text(item.get("detail")),
            message_flow_id=UUID(item.get("message_flow_id") or str(NIL_UUID)),
            tm_create=parse_voipbin_time(item.get("tm_create")),
            tm_update=parse_voipbin_time(item.get("tm_update")),
            tm_delete=parse_voipbin_time(item.get("tm_delete")),
        )


def listed_json(account: Listed) -> dict[str, Any]:
    """What the cache keeps of an account (as the API's JSON has it): the listed fields only."""
    return {
        "id": str(account.id),
        "customer_id": str(account.customer_id) if account.customer_id else None,
        "type": str(account.type),
        "name": account.name,
        "detail": account.detail,
        "message_flow_id": str(account.message_flow_id),
        "tm_create": _time(account.tm_create),
        "tm_update": _time(account.tm_update),
        "tm_delete": _time(account.tm_delete),
    }


@dataclass(frozen=True, slots=True)
class CachedList:
    """The accounts and flow names as last seen, and when."""

    accounts: list[ListedAccount]
    flow_names: dict[UUID, str]
    saved_at: datetime


def target_key(target: Target) -> str:
    """Which cache file a target uses. Remote targets differ by API URL and by who logs in
    (the profile, the user name, the access key): a digest, so no credential is in the name."""
    from voipbin_tui.config import RemoteTarget  # loaded already wherever a target was resolved

    if not isinstance(target, RemoteTarget):
        return "sandbox"
    identity = [target.api_url, target.profile or "", target.username or ""]
    identity.append(target.accesskey.get_secret_value() if target.accesskey else "")
    return "remote-" + hashlib.sha256("\n".join(identity).encode()).hexdigest()[:24]


class AccountCache:
    """The list last seen for one target, in ``data_dir/cache/accounts-<target>.json``."""

    def __init__(self, data_dir: Path, target: Target) -> None:
        self.path = data_dir / CACHE_DIRNAME / f"accounts-{target_key(target)}.json"

    @classmethod
    def at(cls, path: Path) -> AccountCache:
        """The cache in ``path`` (a launch record names it, before any target is resolved)."""
        cache = cls.__new__(cls)
        cache.path = path
        return cache

    def read(self) -> CachedList | None:
        """The list last seen; none when there is none yet, or the file is not one we wrote
        (a cache is never worth an error: the fresh list follows)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != FORMAT_VERSION:
                return None
            return CachedList(
                accounts=[ListedAccount.from_json(item) for item in data["accounts"]],
                flow_names={UUID(key): str(name) for key, name in data["flows"].items()},
                saved_at=datetime.fromisoformat(data["saved_at"]),
            )
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None

    def write(self, accounts: Iterable[Listed], flow_names: Mapping[UUID, str]) -> None:
        """Keep ``accounts`` (as the list showed them) for the next launch."""
        data = {
            "version": FORMAT_VERSION,
            "saved_at": datetime.now(UTC).isoformat(),
            "flows": {str(key): name for key, name in flow_names.items()},
            "accounts": [listed_json(account) for account in accounts],
        }
        # the data dir too: a remote profile's user may not have one yet, and it is 0700
        self.path.parent.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path.parent.mkdir(exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(prefix=".accounts-", suffix=".json", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(data, file, ensure_ascii=False)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"not text: {type(value).__name__}")
    return value


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_voipbin_time(value)
