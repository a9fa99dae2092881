"""`vp login`, `vp logout`, `vp whoami` and `vp tokens` (personal API tokens for CI)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Optional

import typer
from rich.table import Table

from .. import config
from ..client import Client
from .common import AUTH, JsonOpt, client, emit, err, handled, out

tokens_app = typer.Typer(help="Personal API tokens (for CI): create (shown once), list, revoke.", no_args_is_help=True)


@handled
def login(username: Annotated[Optional[str], typer.Option("--username", "-u", help="Your user name.")] = None,
          password: Annotated[Optional[str], typer.Option("--password", "-p", envvar="VP_PASSWORD",
                                                          help="Asked when left out.")] = None,
          url: Annotated[Optional[str], typer.Option("--url", envvar="VP_URL", help="The platform's address.")] = None,
          token: Annotated[Optional[str], typer.Option("--token", help="Store a personal API token instead.")] = None,
          as_json: JsonOpt = False):
    """Log in and keep the credentials in your config directory (mode 0600)."""
    creds = config.load()
    url = url or creds.url
    if token:
        probe = Client(url, token=token)
        me = probe.me()
        creds = config.Credentials(url=url, access=token, username=me["username"])
    else:
        username = username or typer.prompt("username")
        password = password or typer.prompt("password", hide_input=True)
        logged = Client.login(url, username, password)
        creds = logged.creds
        me = logged.me()
    path = config.save(creds)
    if as_json:
        emit({"url": url, "username": me["username"], "role": me["role"], "credentials": str(path)})
    else:
        out().print(f"logged in to {url} as [bold]{me['username']}[/] ({me['role']}); credentials in {path}")


@handled
def logout(as_json: JsonOpt = False):
    """Log out: the refresh token is blacklisted and the stored credentials removed."""
    creds = config.load()
    if creds.access and creds.refresh:
        try:
            Client(credentials=creds).logout()
        except Exception:  # an expired session: forgetting it locally is what matters
            pass
    config.forget()
    emit({"logged_out": True}) if as_json else out().print("logged out")


@handled
def whoami(as_json: JsonOpt = False):
    """Who the stored credentials (or VP_TOKEN) act as."""
    me = client().me()
    emit(me) if as_json else out().print(f"{me['username']} ({me['role']}) on {config.load().url}")


@tokens_app.command("create")
@handled
def tokens_create(name: Annotated[str, typer.Argument(help="What the token is for, e.g. ci-nightly.")],
                  days: Annotated[Optional[int], typer.Option(help="Expires after this many days.", min=1)] = None,
                  as_json: JsonOpt = False):
    """Create a token: it is printed once, keep it in your CI's secrets (VP_TOKEN)."""
    expires = (datetime.now(timezone.utc) + timedelta(days=days)).isoformat() if days else None
    created = client().token_create(name, expires)
    if as_json:
        return emit(created)
    out().print(f"token {created['id']} ({name}), shown once:\n[bold]{created['token']}[/]")
    err().print("use it as VP_TOKEN=… or `vp login --token …`; it acts with your role")


@tokens_app.command("list")
@handled
def tokens_list(as_json: JsonOpt = False):
    """Your tokens (never their secret)."""
    tokens = client().tokens()
    if as_json:
        return emit(tokens)
    table = Table("id", "name", "prefix", "created", "expires", "last used", "revoked")
    for t in tokens:
        table.add_row(str(t["id"]), t["name"], t["prefix"] + "…", *(_day(t[k]) for k in
                      ("created_at", "expires_at", "last_used_at", "revoked_at")))
    out().print(table)


@tokens_app.command("revoke")
@handled
def tokens_revoke(token_id: int, as_json: JsonOpt = False):
    """Revoke a token: it answers 401 from now on."""
    client().token_revoke(token_id)
    emit({"revoked": token_id}) if as_json else out().print(f"token {token_id} revoked")


def _day(value) -> str:
    return (value or "–")[:16].replace("T", " ")


__all__ = ["login", "logout", "whoami", "tokens_app", "AUTH"]
