"""Reads for benchmarks: the runs a user may see (their own; admins all), their rows, the latency distributions."""

from accounts.visibility import visible_to
from core.errors import NotFound

from .models import BenchmarkRun, ResultStatus, timings_unpack


def benchmark_run_list(*, user):
    return visible_to(BenchmarkRun.objects.select_related("owner", "job", "model", "dataset"), user)


def benchmark_run_get(*, user, run_id: int) -> BenchmarkRun:
    """The run if `user` may see it (owner or admin); 404 otherwise."""
    run = benchmark_run_list(user=user).prefetch_related("result_rows").filter(pk=run_id).first()
    if run is None:
        raise NotFound("No benchmark with this id is visible to you.")
    return run


def benchmark_latency_series(*, run: BenchmarkRun) -> list[tuple[str, list[float]]]:
    """(label, per-image ms per iteration) for every measured row, in measurement order."""
    series = []
    for row in run.result_rows.filter(status=ResultStatus.MEASURED).order_by("id"):
        values = timings_unpack(row.timings) / max(1, row.batch_size)
        series.append((f"{row.candidate} b{row.batch_size}", values.tolist()))
    return series
