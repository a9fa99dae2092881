"""Where the CLI keeps its credentials: `<config dir>/vp/credentials.json`, mode 0600; `VP_URL` / `VP_TOKEN` win.

The config directory is `$VP_CONFIG_DIR`, else `$XDG_CONFIG_HOME/vp`, else `~/.config/vp`. The file holds the
platform's URL and either a JWT pair (from `vp login`, refreshed as it expires) or a personal API token.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass
class Credentials:
    url: str = DEFAULT_URL
    access: str | None = None  # a JWT access token, or a personal `vp_` token
    refresh: str | None = None  # the JWT refresh token; None with a personal token
    username: str | None = None


def config_dir() -> Path:
    if os.environ.get("VP_CONFIG_DIR"):
        return Path(os.environ["VP_CONFIG_DIR"])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "vp"


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def load() -> Credentials:
    """The stored credentials, with VP_URL / VP_TOKEN (CI) taking precedence."""
    creds = Credentials()
    path = credentials_path()
    if path.exists():
        try:
            stored = json.loads(path.read_text())
            creds = Credentials(**{k: stored.get(k) for k in asdict(creds)})
        except (ValueError, TypeError):
            pass  # a damaged file: as if logged out
    creds.url = os.environ.get("VP_URL") or creds.url or DEFAULT_URL
    if os.environ.get("VP_TOKEN"):
        creds.access, creds.refresh = os.environ["VP_TOKEN"], None
    return creds


def save(creds: Credentials) -> Path:
    """Written 0600 from its first byte (os.open with the mode), never world-readable even for a moment."""
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(creds), handle)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def forget() -> None:
    credentials_path().unlink(missing_ok=True)
