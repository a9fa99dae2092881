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


def _trt_conversion(source, *, half: bool, index: int):
    from registry.conversion_services import conversion_options_key
    from registry.models import ModelVersion

    options = {"imgsz": 64, "half": half, "workspace_gb": 4}
    job = Job.objects.create(kind=JobKind.CONVERSION, owner=source.owner, queue="gpu", state=JobState.SUCCEEDED,
                             params={"source": source.pk, "target": "tensorrt", **options})
    engine = ModelVersion.objects.create(name=source.name, version=10 + index, owner=source.owner, format="tensorrt",
                                         source="conversion", parent=source, file=f"models/fake{index}.engine",
                                         sha256=f"{index:064d}", metadata={"precision": "fp16" if half else "fp32"})
    return Conversion.objects.create(source=source, target="tensorrt", options=options, result=engine, job=job,
                                     options_key=conversion_options_key("tensorrt", options))


def test_a_tensorrt_conversion_built_with_half_false_is_never_reused_as_the_fp16_engine(tiny_model):
    from benchmarks.sources import _existing_conversion

    fp32 = _trt_conversion(tiny_model, half=False, index=1)
    assert _existing_conversion(source=tiny_model, target="tensorrt", imgsz=64) is None
    fp16 = _trt_conversion(tiny_model, half=True, index=2)
    assert _existing_conversion(source=tiny_model, target="tensorrt", imgsz=64) == fp16.result != fp32.result
