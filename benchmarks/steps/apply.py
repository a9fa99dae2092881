"""Step: when the request asks (`apply`, the default) and an engine was selected, it becomes the model's serving
engine on the hardware class the run measured on (services.benchmark_selection_apply, through serving/)."""
from ..services import benchmark_selection_apply


def selection_apply(state) -> None:
    if state.params["apply"] and state.selected.get("engine"):
        benchmark_selection_apply(run=state.run)
