"""The account list last seen, kept on disk so that the next launch shows it at once.

The accounts screen draws it (marked as last seen) while the backend is still starting or a
slow link is still answering, and replaces it with the fresh list when that arrives. It holds
what the list shows and nothing secret: no ``token`` or ``secret`` (VoIPBIN never returns
them), and no ``provider_data`` at all, so not even a masked ``app_secret``. One file per
connection target (the sandbox of a data dir, or an API URL with its credentials), 0600 in a
``cache`` folder of the data dir, written whole under a temporary name and renamed into place.
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
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from voipbin_tui.api.models import Account
from voipbin_tui.config import RemoteTarget, Target

CACHE_DIRNAME = "cache"
FORMAT_VERSION = 1
LISTED_FIELDS = frozenset(
    {"id", "customer_id", "type", "name", "detail", "message_flow_id", "tm_create", "tm_update", "tm_delete"}
)
"""What the accounts list shows (and filters, sorts by): everything of an account but its
``provider_data``."""


@dataclass(frozen=True, slots=True)
class CachedList:
    """The accounts and flow names as last seen, and when."""

    accounts: list[Account]
    flow_names: dict[UUID, str]
    saved_at: datetime


def target_key(target: Target) -> str:
    """Which cache file a target uses. Remote targets differ by API URL and by who logs in
    (the profile, the user name, the access key): a digest, so no credential is in the name."""
    if not isinstance(target, RemoteTarget):
        return "sandbox"
    identity = [target.api_url, target.profile or "", target.username or ""]
    identity.append(target.accesskey.get_secret_value() if target.accesskey else "")
    return "remote-" + hashlib.sha256("\n".join(identity).encode()).hexdigest()[:24]


class AccountCache:
    """The list last seen for one target, in ``data_dir/cache/accounts-<target>.json``."""

    def __init__(self, data_dir: Path, target: Target) -> None:
        self.path = data_dir / CACHE_DIRNAME / f"accounts-{target_key(target)}.json"

    def read(self) -> CachedList | None:
        """The list last seen; none when there is none yet, or the file is not one we wrote
        (a cache is never worth an error: the fresh list follows)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != FORMAT_VERSION:
                return None
            return CachedList(
                accounts=[Account.model_validate(_listed(item)) for item in data["accounts"]],
                flow_names={UUID(key): str(name) for key, name in data["flows"].items()},
                saved_at=datetime.fromisoformat(data["saved_at"]),
            )
        except (OSError, ValueError, TypeError, KeyError, AttributeError, ValidationError):
            return None

    def write(self, accounts: Iterable[Account], flow_names: Mapping[UUID, str]) -> None:
        """Keep ``accounts`` (as the list showed them) for the next launch."""
        data = {
            "version": FORMAT_VERSION,
            "saved_at": datetime.now(UTC).isoformat(),
            "flows": {str(key): name for key, name in flow_names.items()},
            "accounts": [account.model_dump(mode="json", include=set(LISTED_FIELDS)) for account in accounts],
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


def _listed(item: Any) -> dict[str, Any]:
    """Only the listed fields of a cached account, whatever else the file holds."""
    return {key: value for key, value in item.items() if key in LISTED_FIELDS}
