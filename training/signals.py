"""Signals of a training run, for apps that watch training from the outside (a search prunes a weak individual).

`epoch_ended` is sent by the runner's EpochReporter in the gpu worker child right after an epoch's row is written,
with `run` (the TrainingRun), `epoch` (1-based) and `values` (the row's metrics). Sent with `send_robust`: a
receiver's error is logged, never raised into the training loop. A receiver that wants the run stopped requests
its job's cancel; the reporter sees the request at the end of the same callback.
"""
import django.dispatch

epoch_ended = django.dispatch.Signal()
