"""A conversion run inside a benchmark's job: cancelling the benchmark stops it, it is not a failed variant."""
import pytest

from benchmarks.sources import convert_inline
from jobs.models import Job, JobKind, JobState
from jobs.runner import JobCancelled
from registry.models import Conversion

pytestmark = pytest.mark.django_db


class _CancelledBenchmark:
    """The benchmark job's context after a user asked to cancel it."""

    def __init__(self, job: Job):
        self.job, self.job_id = job, job.pk

    def checkpoint(self) -> None:
        raise JobCancelled()


def test_cancelling_the_benchmark_during_an_inline_conversion_cancels_both(alice, tiny_model):
    benchmark_job = Job.objects.create(kind=JobKind.BENCHMARK, owner=alice, queue="gpu", params={})
    with pytest.raises(JobCancelled):
        convert_inline(source=tiny_model, target="onnx", imgsz=64, ctx=_CancelledBenchmark(benchmark_job),
                       progress=lambda message: None, worker="test-worker")
    conversion = Conversion.objects.select_related("job").get(source=tiny_model, target="onnx")
    assert conversion.job.state == JobState.CANCELLED
