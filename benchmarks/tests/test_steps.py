"""The benchmark's steps one at a time, on a run's rows written by hand (no worker, no engine, no model file)."""
from types import SimpleNamespace

import pytest

from benchmarks.models import BenchmarkResult, BenchmarkRun
from benchmarks.runner import Step, steps_run
from benchmarks.steps.apply import selection_apply
from benchmarks.steps.scoring import engines_score
from benchmarks.steps.select import engine_select
from benchmarks.steps.state import BenchmarkState
from benchmarks.steps.versions import versions_resolve
from jobs.models import Job, JobKind
from jobs.runner import JobCancelled
from registry.models import ModelVersion
from serving.models import ServingChoice

pytestmark = pytest.mark.django_db

PARAMS = {"engines": ["pytorch-cpu"], "imgsz": 64, "batch_sizes": [1], "constraints": {}, "default_constraints": [],
          "objective": "p95", "apply": True, "exclusive": False}


def _model(owner, format="pytorch"):
    return ModelVersion.objects.create(name="bare", version=1, owner=owner, format=format, source="upload",
                                       file=f"models/bare.{format}", sha256="0" * 64)


def _state(owner, model=None, checkpoint=lambda: None, **params) -> BenchmarkState:
    job = Job.objects.create(kind=JobKind.BENCHMARK, owner=owner, queue="gpu", params={})
    run = BenchmarkRun.objects.create(owner=owner, job=job, model=model or _model(owner), params={**PARAMS, **params})
    ctx = SimpleNamespace(job=job, job_id=job.pk, checkpoint=checkpoint, progress=lambda fraction, message: None)
    return BenchmarkState(ctx=ctx, run=run)


def _measured(state, engine, p95_ms, **fields):
    return BenchmarkResult.objects.create(run=state.run, engine=engine, precision="fp32", batch_size=1,
                                          status="measured", p50_ms=p95_ms / 2, p95_ms=p95_ms, p99_ms=p95_ms,
                                          fps=1000 / p95_ms, source_model=state.run.model, **fields)


def test_select_chooses_the_fastest_passing_row_and_records_it_on_the_run(alice):
    state = _state(alice, constraints={"max_p95_ms": 8.0})
    _measured(state, "pytorch-cpu", 9.0)
    _measured(state, "onnxruntime-cpu", 4.0)
    BenchmarkResult.objects.create(run=state.run, engine="openvino-cpu", batch_size=1, status="unavailable")

    engine_select(state)

    assert state.selected["engine"] == "onnxruntime-cpu" and state.selected["passed"]
    assert len(state.rows) == 3
    run = BenchmarkRun.objects.get(pk=state.run.pk)
    assert run.selected["engine"] == "onnxruntime-cpu"
    assert run.results["baseline"] is None and run.results["validation_images"] == 0


def test_select_leaves_out_a_default_drop_guard_without_a_baseline_and_says_so(alice):
    state = _state(alice, constraints={"max_map50_95_drop": 0.01}, default_constraints=["max_map50_95_drop"])
    _measured(state, "onnxruntime-cpu", 4.0)

    engine_select(state)

    assert state.selected["engine"] == "onnxruntime-cpu"
    assert state.run.results["defaults_dropped"][0].startswith("max_map50_95_drop: no FP32 baseline")


def test_apply_makes_the_selected_engine_the_models_serving_engine(alice):
    state = _state(alice)
    state.selected = {"engine": "pytorch-cpu", "source_model": state.run.model.pk}
    state.run.selected = state.selected

    selection_apply(state)

    choice = ServingChoice.objects.get(model=state.run.model)
    assert (choice.engine, choice.version, choice.benchmark) == ("pytorch-cpu", state.run.model, state.run)
    assert BenchmarkRun.objects.get(pk=state.run.pk).applied


@pytest.mark.parametrize("apply, selected", [(False, "pytorch-cpu"), (True, None)])
def test_apply_does_nothing_when_not_asked_or_nothing_was_selected(alice, apply, selected):
    state = _state(alice, apply=apply)
    state.selected = state.run.selected = {"engine": selected, "source_model": state.run.model.pk}

    selection_apply(state)

    assert not ServingChoice.objects.exists() and not BenchmarkRun.objects.get(pk=state.run.pk).applied


def test_sources_plan_what_can_run_and_write_a_row_saying_why_for_the_rest(alice):
    state = _state(alice, engines=["pytorch-cpu", "pytorch-cuda", "onnxruntime-cpu-int8"])
    state.available = {"pytorch-cpu": {"available": True, "reason": ""},
                       "pytorch-cuda": {"available": False, "reason": "no CUDA device"},
                       "onnxruntime-cpu": {"available": True, "reason": ""}}

    versions_resolve(state)

    assert [(variant.name, version) for variant, version in state.planned] == [("pytorch-cpu", state.run.model)]
    rows = {row.engine: (row.status, row.reason) for row in state.run.result_rows.all()}
    assert rows == {"pytorch-cuda": ("unavailable", "no CUDA device"),
                    "onnxruntime-cpu": ("unavailable", "INT8 needs a dataset to calibrate on (give `dataset`)")}


def test_a_tensorrt_engine_runs_only_as_itself(alice):
    state = _state(alice, model=_model(alice, format="tensorrt"), engines=["pytorch-cpu"])
    state.available = {"pytorch-cpu": {"available": True, "reason": ""}}

    versions_resolve(state)

    assert state.planned == []
    assert state.run.result_rows.get().reason == "pytorch-cpu cannot run a tensorrt model (needs pytorch)"


def test_scoring_takes_each_drop_from_the_fp32_baseline(alice):
    state = _state(alice)
    _measured(state, "pytorch-cpu", 9.0, map50=0.6, map50_95=0.40)
    int8 = _measured(state, "onnxruntime-cpu", 4.0, map50=0.5, map50_95=0.37)

    engines_score(state)  # no validation images: nothing to score, the drops only

    assert state.baseline == {"engine": "pytorch-cpu", "precision": "fp32", "map50": 0.6, "map50_95": 0.40}
    int8.refresh_from_db()
    assert int8.map_drop == pytest.approx(0.03)


def test_a_cancel_stops_the_steps_before_the_next_one_and_the_engines_are_released(alice):
    cancelled, ran = [], []

    def checkpoint():
        if cancelled:
            raise JobCancelled()

    state = _state(alice, checkpoint=checkpoint)

    def first(state):
        ran.append("first")
        state.loaded.append("an engine")
        cancelled.append(True)  # a user asks to cancel while the first step runs

    with pytest.raises(JobCancelled):
        steps_run(state, [Step("one", first, 0.0, 0.5), Step("two", lambda state: ran.append("second"), 0.5, 1.0)])

    assert ran == ["first"] and state.loaded == []
