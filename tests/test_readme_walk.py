"""The README's first walk, run verbatim against a platform started as `make run` starts it.

The walk is the fenced bash block under "## A first walk" in README.md, cut into its numbered steps (`# 1. ...`).
The walk uses the `vp` CLI (client/bin/vp). Steps that call the apps still being built (benchmarks, searches,
reports) run only once their endpoint exists,
and only when the steps they take variables from ran; every other step always runs. The platform runs on free
ports with a temporary var dir, as tests/test_make_run.py starts it.
"""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from core.embedded_redis import free_port
from tests.environment import ROOT
from tests.waiting import wait_for

pytestmark = pytest.mark.workers

WALK_HEADING = "## A first walk"
NEW_APPS = {"benchmarks": "vp bench", "searches": "vp search", "reports": "vp report"}  # app -> its command
FRESH_SHELL_DROPS = ("REDIS_URL", "DATABASE_URL", "PLATFORM_TEST_DB_NAME", "PLATFORM_DEMO_PASSWORD", "SECRET_KEY",
                     "SECRET_KEY_FILE", "DEBUG", "VP_URL", "VP_TOKEN", "VP_CONFIG_DIR")
STEP = re.compile(r"^# (\d+)\. ", re.MULTILINE)
ASSIGNED = re.compile(r"(?:^|;\s*)([A-Z][A-Z0-9_]*)=", re.MULTILINE)
USED = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")


def readme_walk() -> tuple[str, list[tuple[str, str]]]:
    """The walk's preamble and its numbered steps, as (title, text), from README.md."""
    readme = (ROOT / "README.md").read_text()
    assert WALK_HEADING in readme, f"README.md has no {WALK_HEADING!r} section"
    section = readme.split(WALK_HEADING, 1)[1]
    block = re.search(r"^```bash\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert block, "the walk has no ```bash block"
    text = block.group(1)
    starts = [m.start() for m in STEP.finditer(text)]
    assert starts, "the walk has no numbered steps (# 1. ...)"
    steps = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)])]
    return text[:starts[0]], [(step.splitlines()[0], step) for step in steps]


def test_the_walk_has_the_steps_a_newcomer_needs():
    preamble, steps = readme_walk()
    calls = "\n".join(text for _, text in steps)
    for command in ("vp login", "vp datasets upload", "vp train", "vp convert", "vp predict", *NEW_APPS.values()):
        assert command in calls, f"the walk never runs {command}"
    assert "vp train" in calls and "--watch" in calls
    assert "jq " not in preamble + calls, "the walk needs only curl and python3"


def plan(preamble: str, steps, existing_apps: set[str]) -> tuple[str, list[str]]:
    """The script to run, and the titles of the steps left out (an app not there yet, or a variable it needs)."""
    defined = set(ASSIGNED.findall(preamble)) | {"PORT", "PLATFORM_VAR_DIR"}
    script, skipped = [preamble], []
    for title, text in steps:
        apps = {app for app, command in NEW_APPS.items() if command in text}
        needs = set(USED.findall(text)) - set(ASSIGNED.findall(text)) - {"STATE"}
        if apps - existing_apps or needs - defined:
            skipped.append(title)
            continue
        defined |= set(ASSIGNED.findall(text))
        script.append(text)
    return "set -eo pipefail\n" + "\n".join(script) + '\necho "WALK DONE"\n', skipped


def test_the_readme_walk_runs_verbatim_against_make_run(tmp_path):
    web, flower, redis_port = free_port(), free_port(), free_port()
    # A fresh clone's shell: none of the test session's services, secrets or passwords.
    env = {k: v for k, v in os.environ.items() if k not in FRESH_SHELL_DROPS}
    env.update(PLATFORM_VAR_DIR=str(tmp_path / "var"), ARTIFACT_ROOT=str(tmp_path / "artifacts"), PORT=str(web),
               FLOWER_PORT=str(flower), EMBEDDED_REDIS_PORT=str(redis_port), PLATFORM_DEMO_JOBS="0",
               XDG_CONFIG_HOME=str(tmp_path / "config"))  # vp login's credentials: not the real ~/.config
    base = f"http://127.0.0.1:{web}"
    log = open(tmp_path / "launch.log", "wb")
    launcher = subprocess.Popen([sys.executable, "platform/launch.py"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def ready():
            try:
                workers = requests.get(f"{base}/api/health/", timeout=5).json()["checks"].get("workers")
            except (requests.RequestException, ValueError, KeyError):
                return False
            return isinstance(workers, dict) and all(workers.values())

        started = time.monotonic()
        wait_for(ready, timeout=240, interval=1, message="every worker in /api/health/")
        up = time.monotonic()
        existing = {app for app in NEW_APPS if requests.get(f"{base}/api/{app}/", timeout=10).status_code != 404}
        preamble, steps = readme_walk()
        script, skipped = plan(preamble, steps, existing)
        walk = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=480)
        output = walk.stdout + walk.stderr
        print(f"platform up in {up - started:.0f} s, walk {time.monotonic() - up:.0f} s")
        assert walk.returncode == 0 and "WALK DONE" in walk.stdout, \
            f"the walk stopped (exit {walk.returncode}); skipped {skipped}:\n{output[-6000:]}"
        ran = len(steps) - len(skipped)
        assert ran >= 5, f"only {ran} steps ran; skipped {skipped}"
        assert output.count("SUCCEEDED") >= 2 and "done: model" in output, output[-3000:]
        if "benchmarks" in existing:
            assert "selected" in output and "★" in output, output[-3000:]
        if skipped:
            print(f"steps waiting for their app: {skipped}")
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            raise
        log.close()
