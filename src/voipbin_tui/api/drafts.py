"""What a user wants an account to be, checked per type before anything is sent.

VoIPBIN validates little server-side (a WhatsApp account with no app secret is accepted and
then silently drops every message), so the rules live here, shared by the CLI, the TUI form
and the sandbox backend. Update bodies are diffs: only changed keys, never ``type``, never an
empty body (VoIPBIN zeroes the account on ``{}``), and ``provider_data`` always whole.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, SecretStr

from voipbin_tui.api.account_types import CREDENTIAL_KEYS, FieldProblem, spec_of
from voipbin_tui.api.errors import AccountValidationError, NothingToUpdate
from voipbin_tui.api.models import NIL_UUID, Account, AccountType, ProviderData

MAX_NAME_LENGTH = 255
TRIMMED_FIELDS = CREDENTIAL_KEYS
"""Ids and secrets: pasted with a stray space or newline they break signatures silently."""


def _present(secret: SecretStr | None) -> bool:
    return secret is not None and secret.get_secret_value() != ""


def _plain(value: SecretStr | str | None) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value or ""


def describe_surrounding_whitespace(value: str) -> str:
    """What surrounds ``value`` ("a trailing space", "2 leading newlines"), or "" for nothing."""
    if value and not value.strip():
        return "only whitespace"
    parts = []
    leading = value[: len(value) - len(value.lstrip())]
    trailing = value[len(value.rstrip()) :]
    for where, extra in (("leading", leading), ("trailing", trailing)):
        if extra:
            names = {" ": "space", "\n": "newline", "\r": "carriage return", "\t": "tab"}
            kind = names.get(extra[0], "whitespace character") if len(set(extra)) == 1 else "whitespace character"
            parts.append(f"a {where} {kind}" if len(extra) == 1 else f"{len(extra)} {where} {kind}s")
    return " and ".join(parts)


class AccountDraft(BaseModel):
    """The full desired state of an account. Secrets left ``None`` mean "keep" on update."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, defer_build=True)

    type: AccountType
    name: str = ""
    detail: str = ""
    message_flow_id: UUID = NIL_UUID
    token: SecretStr | None = None
    secret: SecretStr | None = None
    phone_number_id: str = ""
    app_secret: SecretStr | None = None

    @classmethod
    def from_account(cls, account: Account) -> AccountDraft:
        """Start an edit from what the server has; write-only secrets start unknown."""
        if not isinstance(account.type, AccountType):
            raise AccountValidationError([FieldProblem("type", f"unknown account type {account.type!r}")])
        return cls(
            type=account.type,
            name=account.name,
            detail=account.detail,
            message_flow_id=account.message_flow_id,
            phone_number_id=account.phone_number_id,
            app_secret=account.app_secret,
        )

    def unsaved_account(self, original: Account | None = None) -> Account:
        """This draft as an account not saved yet, for checks before saving: ``original``'s id
        and times on an edit, the nil id on a create (VoIPBIN gives the id). Write-only
        secrets have no place in an ``Account``: the caller holds them."""
        return Account(
            id=original.id if original is not None else NIL_UUID,
            customer_id=original.customer_id if original is not None else None,
            type=self.type,
            name=self.name,
            detail=self.detail,
            message_flow_id=self.message_flow_id,
            provider_data=(
                ProviderData(phone_number_id=self.phone_number_id, app_secret=self.app_secret)
                if self._uses_provider_data
                else None
            ),
            tm_create=original.tm_create if original is not None else None,
            tm_update=original.tm_update if original is not None else None,
            tm_delete=original.tm_delete if original is not None else None,
        )

    def problems(self, *, creating: bool) -> list[FieldProblem]:
        """Every error and warning for this draft; on update, unset secrets are kept, not missing."""
        found: list[FieldProblem] = []
        if len(self.name) > MAX_NAME_LENGTH:
            found.append(FieldProblem("name", f"at most {MAX_NAME_LENGTH} characters ({len(self.name)} given)"))
        for field in TRIMMED_FIELDS:
            around = describe_surrounding_whitespace(_plain(getattr(self, field)))
            if around:
                found.append(FieldProblem(field, f"has {around}: remove it (pasted values often carry one)"))
        spec = spec_of(self.type)
        if spec is None:
            return found
        for credential in spec.fields:
            raw = getattr(self, credential.key)
            value = _plain(raw)
            if not (value.strip() if isinstance(raw, str) else value):
                if creating or not credential.write_only:  # a write-only field left unset on update is kept
                    found.append(FieldProblem(credential.key, credential.missing))
            elif credential.check is not None:
                found.extend(credential.check(value))
        if spec.warns_without_flow and creating and self.message_flow_id == NIL_UUID:
            found.append(FieldProblem("message_flow_id", "no flow: inbound messages will not be answered", True))
        return found

    def trimmed(self) -> tuple[AccountDraft, list[FieldProblem]]:
        """This draft with whitespace around ids and secrets removed, and a warning per field
        that had some, to say so: callers strip and tell rather than save it, or refuse."""
        updates: dict[str, Any] = {}
        notes: list[FieldProblem] = []
        for field in TRIMMED_FIELDS:
            value = getattr(self, field)
            around = describe_surrounding_whitespace(_plain(value))
            if around:
                stripped = _plain(value).strip()
                updates[field] = stripped if isinstance(value, str) else (SecretStr(stripped) if stripped else None)
                notes.append(FieldProblem(field, f"removed {around}", True))
        return self.model_copy(update=updates), notes

    def errors(self, *, creating: bool) -> list[FieldProblem]:
        return [problem for problem in self.problems(creating=creating) if not problem.is_warning]

    def warnings(self, *, creating: bool) -> list[FieldProblem]:
        return [problem for problem in self.problems(creating=creating) if problem.is_warning]

    def _raise_on_errors(self, *, creating: bool) -> None:
        errors = self.errors(creating=creating)
        if errors:
            raise AccountValidationError(errors)

    @property
    def _uses_provider_data(self) -> bool:
        spec = spec_of(self.type)
        return spec is not None and spec.uses_provider_data

    def _provider_data(self, kept_app_secret: SecretStr | None = None) -> dict[str, str]:
        secret = self.app_secret if _present(self.app_secret) else kept_app_secret
        return {
            "phone_number_id": self.phone_number_id.strip(),
            "app_secret": secret.get_secret_value() if secret else "",
        }

    def create_body(self) -> dict[str, Any]:
        """The POST body; raises AccountValidationError before anything is sent."""
        self._raise_on_errors(creating=True)
        body: dict[str, Any] = {"type": self.type.value, "name": self.name, "detail": self.detail}
        if self.message_flow_id != NIL_UUID:
            body["message_flow_id"] = str(self.message_flow_id)
        for field in ("secret", "token"):
            value: SecretStr | None = getattr(self, field)
            if _present(value):
                body[field] = value.get_secret_value()  # type: ignore[union-attr]
        if self._uses_provider_data:
            body["provider_data"] = self._provider_data()
        return body

    def update_body(self, current: Account) -> dict[str, Any]:
        """The PUT body: only what differs from ``current``. Raises NothingToUpdate if nothing does."""
        if current.type != self.type:
            raise AccountValidationError([FieldProblem("type", "the type of an account cannot be changed")])
        self._raise_on_errors(creating=False)
        body: dict[str, Any] = {}
        if self.name != current.name:
            body["name"] = self.name
        if self.detail != current.detail:
            body["detail"] = self.detail
        if self.message_flow_id != current.message_flow_id:
            # On PUT an empty string unassigns the flow; the nil UUID would be a 400.
            body["message_flow_id"] = "" if self.message_flow_id == NIL_UUID else str(self.message_flow_id)
        for field in ("secret", "token"):
            value: SecretStr | None = getattr(self, field)
            if _present(value):
                body[field] = value.get_secret_value()  # type: ignore[union-attr]
        if self._uses_provider_data:
            wanted = self._provider_data(kept_app_secret=current.app_secret)
            had = self.__class__.from_account(current)._provider_data()
            if wanted != had:
                body["provider_data"] = wanted
        if not body:
            raise NothingToUpdate([FieldProblem("account", "nothing changed")])
        return body
