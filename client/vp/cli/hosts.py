"""`vp hosts [NAME]`: the registered machines with their live usage (admins and engineers; a viewer is refused)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from ..top_data import cpu_text, gpu_texts, memory_text, seen_text
from .common import USAGE, JsonOpt, client, emit, err, handled, out

STATE_STYLE = {"live": "green", "gone": "dim", "unknown": "yellow"}


@handled
def hosts(name: Annotated[Optional[str], typer.Argument(help="One host: its facts, processes and usage.")] = None,
          as_json: JsonOpt = False):
    """The hosts: state, CPU %, load, memory and each GPU's utilisation, memory and temperature, as last sampled."""
    c = client()
    if name:
        host = c.host(name)
        return emit(host) if as_json else _show(host)
    rows = c.hosts()
    if rows is None:
        err().print("this platform has no /api/hosts/")
        raise typer.Exit(USAGE)
    if as_json:
        return emit(rows)
    table = Table("host", "state", "class", "CPU", "memory", "GPUs", "processes", "last seen")
    for host in rows:
        state = host.get("state", "")
        table.add_row(host["name"], f"[{STATE_STYLE.get(state, '')}]{state}[/]", host.get("hardware_class", ""),
                      cpu_text(host), memory_text(host), "\n".join(gpu_texts(host)) or "no GPU",
                      ", ".join(sorted({p["role"] for p in host.get("processes") or []})), seen_text(host))
    out().print(table)


def _show(host: dict) -> None:
    lines = [("state", host.get("state")), ("class", host.get("hardware_class")),
             ("CPU", f"{host.get('cpu_model') or '?'}, {cpu_text(host)}"), ("memory", memory_text(host))]
    lines += [(f"GPU {gpu.get('index', i)}", text) for i, (gpu, text) in
              enumerate(zip(host.get("gpus") or [], gpu_texts(host)))]
    lines += [("processes", ", ".join(f"{p['role']} {p['pid']}" for p in host.get("processes") or []) or "none"),
              ("engines", ", ".join(host.get("engines") or []) or "–"), ("last seen", seen_text(host)),
              ("usage", "" if host.get("usage") else "none (the host is gone or has not reported)")]
    for key, value in lines:
        if value:
            out().print(f"{key:>10}: {value}", soft_wrap=True, markup=False)
