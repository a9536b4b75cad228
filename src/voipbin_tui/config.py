"""Profiles, environment variables and where files live; decides sandbox vs live VoIPBIN.

Precedence is flag -> environment -> config file. With no profile and no credentials at all,
the target is the embedded sandbox, so a fresh install shows real, working screens.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import platformdirs
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from voipbin_tui.api.client import DEFAULT_API_URL, DEFAULT_HOOK_URL

DEFAULT_SANDBOX_PORT = 8631
DEFAULT_GRAPH_BASE = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v26.0"
"""The newest Graph API version Meta served in late 2026 (v21.0 to v26.0 are usable)."""
DEFAULT_LINE_BASE = "https://api.line.me"

APP_NAME = "voipbin-tui"


class ConfigError(Exception):
    """The configuration is unusable (bad file, unknown profile, missing credentials)."""


class Profile(BaseModel):
    """A saved connection to a VoIPBIN installation."""

    model_config = ConfigDict(extra="forbid")

    api_url: str = DEFAULT_API_URL
    hook_url: str | None = None
    """None: derived from ``api_url`` (see ``derive_hook_url``)."""
    accesskey: SecretStr | None = None
    username: str | None = None
    inspector_url: str | None = None
    inspector_accesskey: SecretStr | None = None
    """The relay's own key for its feed: the VoIPBIN key never travels to ``inspector_url``."""
    graph_base: str | None = None
    graph_version: str | None = None
    line_base: str | None = None
    """Where the account doctor reaches Meta's Graph API and LINE's API (None: the providers' own)."""

    @field_validator("hook_url")
    @classmethod
    def _old_default_means_derive(cls, value: str | None) -> str | None:
        """Files written before hook URLs were derived saved the production hook in every
        profile; kept, it would send a staging profile's test traffic to production."""
        if value is not None and value.rstrip("/") == DEFAULT_HOOK_URL:
            return None
        return value


class ConfigFile(BaseModel):
    """The whole ``config.toml``: profiles, the default one, and key remaps for the TUI."""

    model_config = ConfigDict(extra="forbid")

    default_profile: str | None = None
    sandbox_port: int | None = Field(default=None, ge=0, le=65535)
    """The sandbox's loopback port (default 8631)."""
    profiles: dict[str, Profile] = Field(default_factory=dict)
    keys: dict[str, str] = Field(default_factory=dict)


ENV_PREFIX = "VOIPBIN_"


class Environment(BaseModel):
    """The environment variables the tool reads (``VOIPBIN_*``, any case), validated.

    A plain model filled from ``os.environ`` rather than pydantic-settings' ``BaseSettings``:
    importing pydantic-settings cost every command about 50 ms of CPU (measured with
    ``bench/cli_list.py``), a sixth of a bare httpx script, for twelve prefixed variables.
    Arguments given to the constructor win over the environment (as with ``BaseSettings``).
    """

    model_config = ConfigDict(extra="ignore")

    def __init__(self, **given: Any) -> None:
        found = {
            name[len(ENV_PREFIX) :].lower(): value
            for name, value in os.environ.items()
            if name.upper().startswith(ENV_PREFIX)
        }
        try:
            super().__init__(**{**found, **given})
        except ValidationError as exc:  # one line naming the variable, never a traceback
            problems = "; ".join(
                f"{ENV_PREFIX}{'.'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
                for error in exc.errors()
            )
            raise ConfigError(f"invalid environment variable {problems}") from None

    api_url: str | None = None
    hook_url: str | None = None
    accesskey: SecretStr | None = None
    inspector_accesskey: SecretStr | None = None
    profile: str | None = None
    password: SecretStr | None = None
    tui_config: Path | None = None
    tui_data_dir: Path | None = None
    tui_port: int | None = Field(default=None, ge=0, le=65535)
    graph_base: str | None = None
    graph_version: str | None = None
    line_base: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderBases:
    """Where the account doctor calls Meta's Graph API and LINE's API: the real ones, a
    profile's or the environment's (a proxy, a test double), or the sandbox's emulation."""

    graph_base: str = DEFAULT_GRAPH_BASE
    graph_version: str = DEFAULT_GRAPH_VERSION
    line_base: str = DEFAULT_LINE_BASE

    @classmethod
    def chosen(cls, env: Environment, profile: Profile | None = None) -> ProviderBases:
        """Environment first, then the profile, then the providers' own."""

        def pick(name: str, default: str) -> str:
            given = getattr(env, name) or (getattr(profile, name) if profile is not None else None)
            return str(given).rstrip("/") if given else default

        return cls(
            graph_base=pick("graph_base", DEFAULT_GRAPH_BASE),
            graph_version=pick("graph_version", DEFAULT_GRAPH_VERSION),
            line_base=pick("line_base", DEFAULT_LINE_BASE),
        )

    @classmethod
    def emulated_by(cls, backend_url: str, env: Environment | None = None) -> ProviderBases:
        """The sandbox's emulation of both providers, mounted on its own origin; a Graph
        version from the environment still applies (the emulation serves v21.0 to v26.0)."""
        origin = backend_url.rstrip("/")
        version = env.graph_version if env is not None and env.graph_version else DEFAULT_GRAPH_VERSION
        return cls(graph_base=f"{origin}/emulated/graph", graph_version=version, line_base=f"{origin}/emulated/line")


def config_path(env: Environment | None = None) -> Path:
    env = env or Environment()
    if env.tui_config is not None:
        return env.tui_config.expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def data_dir(env: Environment | None = None) -> Path:
    env = env or Environment()
    if env.tui_data_dir is not None:
        return env.tui_data_dir.expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME))


def export_dir(env: Environment | None = None) -> Path:
    """Where the inspector's exports go by default: beside the data, never the working
    directory (which may be a git checkout, and message texts are personal data)."""
    return data_dir(env) / "exports"


def _open_to_others(path: Path) -> list[str]:
    """What group or others may do to the file: read it (it holds access keys) or write it
    (a changed ``api_url`` would send the next access key to someone else's server)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return []
    allowed = []
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        allowed.append("readable")
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        allowed.append("writable")
    return allowed


def permission_warning(path: Path) -> str | None:
    allowed = _open_to_others(path)
    if allowed:
        return f"warning: {path} is {' and '.join(allowed)} by other users; run: chmod 600 {path}"
    return None


def data_dir_warning(path: Path) -> str | None:
    """A warning when the sandbox's data dir lets other users in: it holds the access key, the
    accounts' secrets and every captured request (its files are 0600, but a dir made before
    may hold older ones)."""
    allowed = _open_to_others(path)
    if allowed:
        return f"warning: the data dir {path} is {' and '.join(allowed)} by other users; run: chmod 700 {path}"
    return None


def load_config(path: Path) -> ConfigFile:
    """Read the config file; a missing file is an empty configuration."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ConfigFile()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        return ConfigFile.model_validate(data)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in err["loc"]) for err in exc.errors())
        raise ConfigError(f"{path} has invalid or unknown settings: {fields}") from None


def save_config(config: ConfigFile, path: Path) -> None:
    """Write atomically with mode 0600, revealing secrets only into the file itself."""
    data = _plain(config.model_dump(exclude_none=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            tomli_w.dump(data, handle)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class SandboxTarget:
    """Use the embedded backend, with its data in ``data_dir``, on loopback ``port``."""

    data_dir: Path
    port: int = DEFAULT_SANDBOX_PORT

    @property
    def label(self) -> str:
        return "SANDBOX"


@dataclass(frozen=True, slots=True)
class RemoteTarget:
    """A VoIPBIN installation (api.voipbin.net, self-hosted, or a ``serve`` elsewhere)."""

    api_url: str
    hook_url: str
    accesskey: SecretStr | None
    username: str | None
    profile: str | None
    inspector_url: str | None
    inspector_accesskey: SecretStr | None = None
    hook_url_derived: bool = False
    """True when nobody gave the hook URL and it was derived from the API URL."""
    providers: ProviderBases = ProviderBases()
    """Where the account doctor reaches Meta and LINE."""

    @property
    def label(self) -> str:
        host = self.api_url.split("://", 1)[-1].split("/", 1)[0]
        return f"{self.profile} @ {host}" if self.profile else host


Target = SandboxTarget | RemoteTarget


def sandbox_port(given: int | None, env: Environment, config: ConfigFile) -> int:
    """The sandbox's port: flag, then ``VOIPBIN_TUI_PORT``, then the file's ``sandbox_port``, then 8631."""
    return next(p for p in (given, env.tui_port, config.sandbox_port, DEFAULT_SANDBOX_PORT) if p is not None)


def derive_hook_url(api_url: str) -> str:
    """Where the hook of the VoIPBIN behind ``api_url`` lives: ``api.X`` -> ``hook.X`` (so
    api.voipbin.net -> hook.voipbin.net), any other host -> the API's own origin, as
    ``voipbin-tui serve`` serves both. The path (``/v1.0``) is kept."""
    parts = urlsplit(api_url.rstrip("/"))
    host = parts.hostname or ""
    if host.startswith("api."):
        netloc = re.sub(re.escape(host), "hook." + host.removeprefix("api."), parts.netloc, count=1, flags=re.I)
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_warnings(target: Target) -> list[str]:
    """Warnings for URLs that carry credentials in clear over the network (http to a host
    that is not this machine)."""
    if not isinstance(target, RemoteTarget):
        return []
    carried = [("API URL", target.api_url), ("inspector URL", target.inspector_url)]
    return [
        f"warning: the {what} {url} sends credentials unencrypted over the network; use https or an SSH tunnel"
        for what, url in carried
        if url and urlsplit(url).scheme == "http" and not is_loopback(url)
    ]


def resolve_target(
    *,
    profile: str | None = None,
    api_url: str | None = None,
    hook_url: str | None = None,
    accesskey: str | None = None,
    data_dir_option: Path | None = None,
    port: int | None = None,
    env: Environment | None = None,
    config: ConfigFile | None = None,
) -> Target:
    """Decide what to talk to from flags, then environment, then the config file."""
    env = env or Environment()
    config = config if config is not None else load_config(config_path(env))

    profile_name = profile or env.profile
    explicit_profile = profile_name is not None
    profile_name = profile_name or config.default_profile
    chosen: Profile | None = None
    if profile_name is not None:
        chosen = config.profiles.get(profile_name)
        if chosen is None:
            known = ", ".join(sorted(config.profiles)) or "none saved"
            where = "" if explicit_profile else " (the default_profile in the config file)"
            raise ConfigError(f"unknown profile {profile_name!r}{where}; profiles: {known}")

    key = SecretStr(accesskey) if accesskey else env.accesskey or (chosen.accesskey if chosen else None)
    url = api_url or env.api_url or (chosen.api_url if chosen else None)

    if chosen is None and key is None and url is None:
        return SandboxTarget(data_dir=data_dir_option or data_dir(env), port=sandbox_port(port, env, config))
    if key is None and not (chosen and chosen.username):
        raise ConfigError(
            "no credentials: give --accesskey (or VOIPBIN_ACCESSKEY), or a profile with an access key or username"
        )
    url = (url or DEFAULT_API_URL).rstrip("/")
    # a profile's hook belongs to the profile's API, not to one given by flag or environment
    profile_hook = chosen.hook_url if chosen and url == chosen.api_url.rstrip("/") else None
    given_hook = hook_url or env.hook_url or profile_hook
    return RemoteTarget(
        api_url=url,
        hook_url=(given_hook or derive_hook_url(url)).rstrip("/"),
        accesskey=key,
        username=chosen.username if chosen and key is None else None,
        profile=profile_name,
        inspector_url=chosen.inspector_url if chosen else None,
        inspector_accesskey=env.inspector_accesskey or (chosen.inspector_accesskey if chosen else None),
        hook_url_derived=given_hook is None,
        providers=ProviderBases.chosen(env, chosen),
    )
