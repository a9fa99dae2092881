"""The steps of a benchmark job, one module each, in the order runner.py runs them: images.py (the validation
split), slot.py (the exclusive wait, where it runs), versions.py (the sources: the version each variant runs),
load.py, timing.py (measure), scoring.py (accuracy: mAP and its drop), select.py, apply.py. Each is a function of the
run's `BenchmarkState` (state.py) and leaves on it what the next step needs.
"""
