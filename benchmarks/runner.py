"""The body of a benchmark job on a gpu worker: its steps (steps/), run in order on one `BenchmarkState`.

Wait for the other gpu slot, resolve each variant's model version (converting and quantizing on the way), load
every engine, time them interleaved at every batch size, score their mAP, select, apply. An engine this worker
cannot run is an `unavailable` row with the reason; a conversion or load that fails is a `failed` row with the
error; neither fails the run. A cancel is honoured between steps and at the checkpoints inside them.
"""
from dataclasses import dataclass
from typing import Callable

from .models import ResultStatus
from .steps.apply import selection_apply
from .steps.images import images_read
from .steps.load import engines_load
from .steps.scoring import engines_score
from .steps.select import engine_select
from .steps.slot import slot_take
from .steps.state import BenchmarkState
from .steps.timing import engines_time
from .steps.versions import versions_resolve


@dataclass(frozen=True)
class Step:
    title: str  # the job's progress message as the step starts
    run: Callable[[BenchmarkState], None]
    start: float  # the job's progress when it starts, and when it is done
    end: float


STEPS = (
    Step("reading the validation images", images_read, 0.0, 0.0),
    Step("taking the gpu slot", slot_take, 0.0, 0.0),
    Step("resolving the model version of each engine", versions_resolve, 0.0, 0.25),
    Step("loading the engines", engines_load, 0.25, 0.5),
    Step("measuring", engines_time, 0.5, 0.9),
    Step("scoring mAP", engines_score, 0.9, 0.95),
    Step("releasing the engines", BenchmarkState.engines_release, 0.95, 0.95),
    Step("selecting an engine", engine_select, 0.95, 0.99),
    Step("applying the selection", selection_apply, 0.99, 0.99),
)


def benchmark_run_execute(ctx) -> dict:
    state = BenchmarkState.for_job(ctx)
    steps_run(state, STEPS)
    counts = {status: sum(1 for r in state.rows if r["status"] == status) for status in ResultStatus.values}
    selected = state.selected
    return {"benchmark_id": state.run.pk, "rows": counts, "selected": selected["engine"],
            "precision": selected["precision"], "reason": selected["reason"], "applied": bool(state.run.applied)}


def steps_run(state: BenchmarkState, steps) -> None:
    """Each step in turn, with the job's progress; a cancel asked for meanwhile stops before the next one."""
    try:
        for step in steps:
            state.ctx.checkpoint()
            state.span, state.fraction = (step.start, step.end), step.start
            state.progress(step.title)
            step.run(state)
    finally:
        state.engines_release()  # a failed step too: the engines' memory is not held until the process ends
