"""A conversion's scratch directory (under SCRATCH_ROOT) outlives a child killed mid-conversion; the next
conversion sweeps the ones whose job has ended and leaves those of queued or running jobs."""
import tempfile
from pathlib import Path

import pytest

from jobs.models import Job, JobKind, JobState
from registry.conversions.runner import (SCRATCH_PREFIX, scratch_root, scratch_sweep_abandoned)

pytestmark = pytest.mark.django_db


def test_scratch_directories_of_ended_jobs_are_swept_and_live_ones_kept(alice):
    ended = Job.objects.create(kind=JobKind.CONVERSION, owner=alice, queue="gpu", state=JobState.FAILED)
    running = Job.objects.create(kind=JobKind.CONVERSION, owner=alice, queue="gpu", state=JobState.RUNNING)
    dead = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{ended.pk}-", dir=scratch_root()))
    (dead / "model.onnx").write_bytes(b"half written")
    live = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{running.pk}-", dir=scratch_root()))
    try:
        removed = scratch_sweep_abandoned()
        assert dead in removed and not dead.exists()
        assert live.is_dir() and live not in removed
    finally:
        for path in (dead, live):
            if path.exists():
                path.rmdir()
