"""The steps of a benchmark job, one module each, in the order runner.py runs them: images (the validation split),
slot (the exclusive wait and where it runs), sources (the version each variant runs), load, timing, scoring (mAP and
its drop), select, apply. Each takes the run's `BenchmarkState` (state.py) and leaves what the next step needs on it.
"""
