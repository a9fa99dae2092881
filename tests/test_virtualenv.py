"""The virtual environment `make` builds is usable on its own: its console scripts point at its own interpreter.

It used to be built in a temporary folder and then moved, which left every script (`celery`, `pip`, `gunicorn`)
pointing at an interpreter path that no longer existed.
"""
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="the suite is not running in a virtual environment")
@pytest.mark.parametrize("script", ["celery", "gunicorn", "pip"])
def test_the_environments_console_scripts_run(script):
    result = subprocess.run([str(BIN / script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_makefile_builds_the_environment_where_it_stays():
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    assert ".tmp" not in makefile and 'touch "$@"' in makefile
