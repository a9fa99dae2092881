"""A variable that looks like one of our settings but is read nowhere is a system check warning (platform.W001)
naming the closest real name; the names read come from the few places that read the environment, and no module
outside them reads one."""
import os
import re
from pathlib import Path

from django.core import checks

from config.env_names import PREFIXES, names_read, unknown_env_names_check
from tests.environment import ROOT

MISSPELT = "JOB_STALE_AFTER_" + "SECOND"  # split, so this file never reads as a place that names it


def test_a_misspelt_setting_is_a_warning_with_the_closest_name():
    warnings = unknown_env_names_check(environ={MISSPELT: "5", "INFERENCE_MAX_QUEUE": "9", "HOME": "/root"})

    assert [(w.id, w.level) for w in warnings] == [("platform.W001", checks.WARNING)]
    assert MISSPELT in warnings[0].msg and "(did you mean JOB_STALE_AFTER_SECONDS?)" in warnings[0].msg


def test_real_settings_their_file_secrets_and_foreign_variables_are_not_reported():
    environ = {"INFERENCE_MAX_QUEUE": "9", "SECRET_KEY_FILE": "/run/secrets/key", "PLATFORM_VERSION": "1.2",
               "BENCH_CLIENTS": "4", "CELERY_BROKER_URL": "redis://", "PATH": "/bin", "MY_OWN_THING": "x"}

    assert unknown_env_names_check(environ=environ) == []


def test_a_name_nothing_resembles_is_reported_without_a_guess():
    warnings = unknown_env_names_check(environ={"PLATFORM_ZZZZZZZZZZZZZZZZZZZZ": "1"})

    assert len(warnings) == 1 and "did you mean" not in warnings[0].msg


_READ = re.compile(r"(?:environ\.get|getenv|environ\.setdefault|env_[a-z]+)\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']"
                   r"|environ\[[\"']([A-Z][A-Z0-9_]+)[\"']\]")


def test_every_name_the_project_reads_from_the_environment_is_known_to_the_check():
    known = names_read(ROOT)
    read = {}
    for directory, subdirs, filenames in os.walk(ROOT):
        subdirs[:] = [d for d in subdirs if d not in {".git", "var", "__pycache__", "node_modules", "client"}
                      and not d.startswith(".")]
        relative = os.path.relpath(directory, ROOT).split(os.sep)
        if "tests" in relative and relative[:2] != ["tests", "perf"]:
            continue  # the test harness sets variables for the processes it starts; it does not read settings
        for name in filenames:
            if name.endswith(".py"):
                path = Path(directory, name)
                for match in _READ.finditer(path.read_text(errors="replace")):
                    read.setdefault(match.group(1) or match.group(2), str(path.relative_to(ROOT)))

    missed = {name: path for name, path in read.items() if name.startswith(PREFIXES) and name not in known}
    assert missed == {}, "read outside config/env_names.READERS and DIRECT_READERS: add the module there"
