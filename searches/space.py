"""The search space: its schema (checked against the training schema's names and limits), the default space, and
the mapping between a space, Optuna distributions and one training run's arguments.

A gene is written as in the request:
- a training hyperparameter with a number range: `[low, high]` or `[low, high, "log"]` (log-uniform);
- `optimizer` (and `cos_lr`): a list of the values to choose from;
- `imgsz`: `[low, high]`, multiples of 32 (the individual trains and is measured at that size);
- `preset`: a list of presets (`["yolov8n", "yolov8s"]`), only when the search starts from presets.
"""
import importlib.util
from pathlib import Path

import numpy as np
import yaml
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from training import parameters
from training.models import TrainingPreset

# The recipe: the hyperparameters that move mAP most on small detection sets, in ranges that train.
DEFAULT_SPACE: dict[str, list] = {
    "lr0": [1e-4, 1e-1, "log"],
    "momentum": [0.6, 0.98],
    "weight_decay": [0.0, 0.001],
    "warmup_epochs": [0, 5],
    "box": [1, 20],
    "cls": [0.2, 4],
    "hsv_h": [0, 0.1],
    "degrees": [0, 45],
    "translate": [0, 0.9],
    "scale": [0, 0.95],
    "fliplr": [0, 1],
    "mosaic": [0, 1],
    "mixup": [0, 1],
}
DEFAULT_OPTIMIZER = "AdamW"
RUN_GENES = ("imgsz", "preset")  # genes that are arguments of the run, not ultralytics hyperparameters
MAX_GENES = 40


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _range_errors(name: str, spec, low_limit: float, high_limit: float) -> str | None:
    if not isinstance(spec, list) or len(spec) not in (2, 3) or not all(_is_number(v) for v in spec[:2]):
        return 'must be [low, high] or [low, high, "log"] with numbers'
    low, high = spec[0], spec[1]
    if len(spec) == 3 and spec[2] != "log":
        return f'the third item may only be "log" (got {spec[2]!r})'
    if not low < high:
        return f"low must be less than high (got {low:g} >= {high:g})"
    if low < low_limit or high > high_limit:
        return f"must lie within the training limits [{low_limit:g}, {high_limit:g}] (got [{low:g}, {high:g}])"
    if len(spec) == 3 and low <= 0:
        return f"a log range needs low > 0 (got {low:g})"
    return None


def _choice_errors(spec, allowed) -> str | None:
    if not isinstance(spec, list) or not spec:
        return f"must be a non-empty list of choices from {', '.join(map(str, allowed))}"
    wrong = [value for value in spec if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool)]
    if wrong:
        return f"unknown choice(s) {', '.join(map(str, wrong))}; choose from {', '.join(map(str, allowed))}"
    if len(set(map(str, spec))) != len(spec):
        return "lists a choice twice"
    return None


def space_validate(space: dict, *, from_preset: bool) -> dict[str, str]:
    """Errors by gene name (empty: the space is valid). Every problem is reported, not only the first."""
    errors: dict[str, str] = {}
    if len(space) > MAX_GENES:
        return {"space": f"at most {MAX_GENES} genes"}
    for name, spec in space.items():
        if name in parameters.NUMERIC_HYPERPARAMETERS:
            kind, low, high = parameters.NUMERIC_HYPERPARAMETERS[name]
            problem = _range_errors(name, spec, low, high)
            if problem is None and kind is int and any(int(v) != v for v in spec[:2]):
                problem = "must be whole numbers"  # else IntDistribution truncates [1.5, 1.7] to [1, 1]
        elif name == "optimizer":
            problem = _choice_errors(spec, list(parameters.OPTIMIZERS))
        elif name in parameters.BOOLEAN_HYPERPARAMETERS:
            problem = _choice_errors(spec, [False, True])
        elif name == "imgsz":
            problem = _range_errors(name, spec, *parameters.IMGSZ)
            if problem is None and (len(spec) == 3 or any(int(v) != v or int(v) % 32 for v in spec)):
                problem = "must be [low, high], whole multiples of 32"
        elif name == "preset":
            problem = (_choice_errors(spec, list(TrainingPreset.values)) if from_preset
                       else "a preset gene needs a search that starts from a preset (no `model`)")
        else:
            problem = (f"unknown gene; known: the training hyperparameters "
                       f"({', '.join(parameters.HYPERPARAMETER_NAMES)}), imgsz, preset")
        if problem:
            errors[name] = problem
    return errors


def space_distributions(space: dict) -> dict[str, BaseDistribution]:
    """Optuna distributions of a validated space, in a stable (sorted) order."""
    distributions: dict[str, BaseDistribution] = {}
    for name in sorted(space):
        spec = space[name]
        if name in ("optimizer", "preset", *parameters.BOOLEAN_HYPERPARAMETERS):
            distributions[name] = CategoricalDistribution(list(spec))
        elif name == "imgsz":
            distributions[name] = IntDistribution(int(spec[0]), int(spec[1]), step=32)
        elif parameters.NUMERIC_HYPERPARAMETERS[name][0] is int:
            distributions[name] = IntDistribution(int(spec[0]), int(spec[1]), log=len(spec) == 3)
        else:
            distributions[name] = FloatDistribution(float(spec[0]), float(spec[1]), log=len(spec) == 3)
    return distributions


def genome_run_arguments(genome: dict, *, imgsz: int, preset: str) -> tuple[dict, int, str]:
    """(ultralytics hyperparameters, imgsz, preset) of one individual: run genes override the search's values."""
    hyperparameters = {name: value for name, value in genome.items() if name not in RUN_GENES}
    if "optimizer" not in hyperparameters and {"lr0", "momentum"} & set(hyperparameters):
        # ultralytics' `auto` optimizer replaces lr0 and momentum by its own choice: those genes would do nothing.
        # AdamW is what `auto` picks for short runs, so the individual trains as `auto` would, at the gene's rate.
        hyperparameters["optimizer"] = DEFAULT_OPTIMIZER
    return hyperparameters, int(genome.get("imgsz", imgsz)), genome.get("preset", preset)


def _ultralytics_defaults() -> dict:
    """ultralytics' default hyperparameters, read from its cfg/default.yaml (importing ultralytics would pull in
    torch, which the control worker does not need)."""
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "cfg" / "default.yaml"
    return yaml.safe_load(path.read_text()) if path.is_file() else {}


def baseline_genome(space: dict, *, imgsz: int, preset: str) -> dict:
    """The genome of ultralytics' defaults (the search's own imgsz and preset for those genes), each gene clipped
    into its range or replaced by the first choice when the default is not one. `model.tune()` starts from these
    defaults too; a search seeds its first generation with them, so it never does worse than the recipe that
    works without any search only because its random first generation missed it."""
    defaults = {**_ultralytics_defaults(), "imgsz": imgsz, "preset": preset}
    genome = {}
    for name, spec in space.items():
        value = defaults.get(name)
        if name in ("optimizer", "preset", *parameters.BOOLEAN_HYPERPARAMETERS):
            genome[name] = value if value in spec else spec[0]
            continue
        low, high = spec[0], spec[1]
        value = low if value is None else min(max(value, low), high)
        if name == "imgsz":
            value = min(max(int(round(value / 32)) * 32, int(low)), int(high))
        elif name in parameters.NUMERIC_HYPERPARAMETERS and parameters.NUMERIC_HYPERPARAMETERS[name][0] is int:
            value = int(round(value))
        else:
            value = float(value)
        genome[name] = value
    return genome


MUTATION_SIGMA = 0.2  # ultralytics' Tuner: gains multiplied by 1 + N(0, 0.2) scaled, clipped to [0.3, 3]
MUTATION_PROB = 0.8


def baseline_mutants(space: dict, baseline: dict, *, count: int, seed: int) -> list[dict]:
    """`count` genomes around the baseline, mutated the way ultralytics' Tuner mutates (each gene with probability
    0.8 multiplied by a factor 1 + N(0, 0.2) x U(0, 1), clipped to [0.3, 3] and into its range; a choice gene takes
    another choice with probability 0.2). With a small budget, a first generation drawn uniformly from a wide space
    is mostly far worse than the default recipe; around it, NSGA-II starts where the recipe is already good."""
    rng = np.random.default_rng(seed)
    mutants = []
    for _ in range(count):
        genome = {}
        scale = rng.random()
        for name in sorted(space):
            spec, value = space[name], baseline[name]
            if name in ("optimizer", "preset", *parameters.BOOLEAN_HYPERPARAMETERS):
                genome[name] = spec[int(rng.integers(len(spec)))] if rng.random() < 1 - MUTATION_PROB else value
                continue
            factor = 1.0
            if rng.random() < MUTATION_PROB:
                factor = float(np.clip(1 + rng.standard_normal() * scale * MUTATION_SIGMA, 0.3, 3.0))
            mutated = min(max(value * factor, spec[0]), spec[1])
            if name == "imgsz":
                mutated = min(max(int(round(mutated / 32)) * 32, int(spec[0])), int(spec[1]))
            elif name in parameters.NUMERIC_HYPERPARAMETERS and parameters.NUMERIC_HYPERPARAMETERS[name][0] is int:
                mutated = int(round(mutated))
            else:
                mutated = float(mutated)
            genome[name] = mutated
        mutants.append(genome)
    return mutants
