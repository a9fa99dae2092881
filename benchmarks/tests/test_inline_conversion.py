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
    from registry.conversions.services import conversion_options_key
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


def test_a_tensorrt_engine_built_for_another_gpu_or_tensorrt_version_is_not_reused(tiny_model, monkeypatch):
    """A conversion run on another host (`run_on`) built its engine for that host's GPU: it would not load here."""
    from benchmarks import sources

    monkeypatch.setattr(sources, "tensorrt_build_site", lambda: {"gpu": "NVIDIA L4", "tensorrt_version": "10.3.0"})
    for index, (gpu, version) in enumerate([("NVIDIA H100 80GB HBM3", "10.3.0"), ("NVIDIA L4", "8.6.1")], start=3):
        built = _trt_conversion(tiny_model, half=True, index=index)
        built.result.metadata = {**built.result.metadata, "gpu": gpu, "tensorrt_version": version}
        built.result.save(update_fields=["metadata"])
    assert sources._existing_conversion(source=tiny_model, target="tensorrt", imgsz=64) is None
    here = _trt_conversion(tiny_model, half=True, index=5)
    here.result.metadata = {**here.result.metadata, "gpu": "NVIDIA L4", "tensorrt_version": "10.3.0"}
    here.result.save(update_fields=["metadata"])
    assert sources._existing_conversion(source=tiny_model, target="tensorrt", imgsz=64) == here.result


@pytest.mark.django_db(transaction=True)
def test_an_inline_conversion_heartbeats_while_it_runs_without_checkpoints(alice, tiny_model, settings, monkeypatch):
    import time

    from benchmarks import sources

    settings.JOB_HEARTBEAT_SECONDS = 0.2
    stamps = []

    def long_build(*, ctx):  # a TensorRT build: minutes without a checkpoint
        for _ in range(8):
            time.sleep(0.15)
            stamps.append(Job.objects.get(pk=ctx.job_id).heartbeat_at)
        raise RuntimeError("stop here")

    monkeypatch.setattr(sources, "conversion_execute", long_build)
    benchmark_job = Job.objects.create(kind=JobKind.BENCHMARK, owner=alice, queue="gpu", params={})
    with pytest.raises(sources.SourceFailed):
        convert_inline(source=tiny_model, target="tensorrt", imgsz=64, ctx=_CancelledBenchmark(benchmark_job),
                       progress=lambda message: None, worker="test-worker")
    assert len(set(stamps)) >= 3, stamps  # before: the claim's stamp only, and the reaper took it for lost
    failed = Conversion.objects.select_related("job").get(source=tiny_model, target="tensorrt").job
    assert (failed.state, failed.error) == (JobState.FAILED, "RuntimeError: stop here")  # as a conversion job's


class _RunningBenchmark:
    def __init__(self, job: Job):
        self.job, self.job_id = job, job.pk

    def checkpoint(self) -> None:
        pass


def test_benchmarking_another_users_shared_model_keeps_its_conversions_with_the_user_who_asked(
        alice, carol, tiny_model, demo_dataset):
    from benchmarks.sources import int8_version
    from registry.models import ModelVersion

    tiny_model.shared = True
    tiny_model.save(update_fields=["shared"])
    alices_before = set(ModelVersion.objects.filter(owner=alice).values_list("pk", flat=True))
    benchmark_job = Job.objects.create(kind=JobKind.BENCHMARK, owner=carol, queue="gpu", params={})

    onnx = convert_inline(source=tiny_model, target="onnx", imgsz=64, ctx=_RunningBenchmark(benchmark_job),
                          progress=lambda message: None, worker="test-worker")
    int8 = int8_version(onnx=onnx, dataset=demo_dataset, imgsz=64, job=benchmark_job, progress=lambda message: None)

    assert onnx.owner == carol and not onnx.shared and onnx.parent == tiny_model  # before: alice's, in her quota
    assert int8.owner == carol and not int8.shared and int8.parent == onnx
    assert Conversion.objects.get(result=onnx).job.owner == carol
    assert Conversion.objects.get(result=onnx).job.state == JobState.SUCCEEDED
    assert set(ModelVersion.objects.filter(owner=alice).values_list("pk", flat=True)) == alices_before
    # a later benchmark by alice does not reuse carol's private conversion
    from benchmarks.sources import _existing_conversion

    assert _existing_conversion(source=tiny_model, target="onnx", imgsz=64, user=alice) is None
    assert _existing_conversion(source=tiny_model, target="onnx", imgsz=64, user=carol) == onnx
