"""The `vp` command line: the platform from a terminal or a CI script (docs/cli.md)."""
from __future__ import annotations

import typer

from . import auth, experiments, hosts, jobs, registry, train

app = typer.Typer(name="vp", help="The vision-model platform from your terminal (docs/cli.md).",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.command()(auth.login)
app.command()(auth.logout)
app.command()(auth.whoami)
app.add_typer(auth.tokens_app, name="tokens")
app.add_typer(registry.datasets_app, name="datasets")
app.add_typer(registry.models_app, name="models")
app.command()(registry.convert)
app.command()(registry.predict)
app.command()(train.train)
app.command()(experiments.bench)
app.command()(experiments.search)
app.command()(experiments.report)
app.add_typer(jobs.jobs_app, name="jobs")
app.command()(hosts.hosts)


@app.command()
def top(refresh: float = typer.Option(2.0, help="Seconds between refreshes.")):
    """A live dashboard: queues, workers and hosts, running and finished jobs (q quits)."""
    from ..top import run_top
    from .common import client

    run_top(client(), refresh=refresh)


def main():
    app()
