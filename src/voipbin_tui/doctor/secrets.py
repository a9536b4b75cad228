"""The secrets a check may need, which VoIPBIN never returns: held without ever being shown."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from voipbin_tui.api.account_types import spec_of
from voipbin_tui.api.drafts import AccountDraft

SECRET_NAMES = ("token", "verify_token", "channel_secret")


@dataclass(frozen=True, slots=True)
class DoctorSecrets:
    """The access token (Meta's or LINE's), Meta's webhook verify token and LINE's channel
    secret, as the operator typed them. Its repr says which are given, never what they are."""

    token: SecretStr | None = None
    verify_token: SecretStr | None = None
    channel_secret: SecretStr | None = None

    @classmethod
    def of(cls, **values: str | None) -> DoctorSecrets:
        """From plain strings (empty or None: not given); unknown names are an error."""
        unknown = set(values) - set(SECRET_NAMES)
        if unknown:
            raise TypeError(f"unknown secrets: {', '.join(sorted(unknown))}")
        return cls(**{name: SecretStr(value) if value else None for name, value in values.items()})

    @classmethod
    def typed_in(cls, draft: AccountDraft) -> DoctorSecrets:
        """The secrets a form's draft holds, by the registry's field for each (WhatsApp's
        ``secret`` is the verify token, LINE's the channel secret); blank ones are not given."""
        spec = spec_of(draft.type)
        fields = spec.fields if spec is not None else ()
        typed = {field.doctor_secret: getattr(draft, field.key) for field in fields if field.doctor_secret}
        return cls(**{name: value for name, value in typed.items() if value is not None and value.get_secret_value()})

    def given(self, name: str) -> SecretStr | None:
        value: SecretStr | None = getattr(self, name)
        return value

    def values(self) -> tuple[str, ...]:
        """The plain values, to redact them from anything shown."""
        return tuple(secret.get_secret_value() for name in SECRET_NAMES if (secret := self.given(name)) is not None)

    def __repr__(self) -> str:
        state = ", ".join(f"{name}={'given' if self.given(name) else 'missing'}" for name in SECRET_NAMES)
        return f"DoctorSecrets({state})"

    __str__ = __repr__
