"""Signals of the job lifecycle, for apps that react to jobs they do not run (a search steps when an individual ends).

`job_finished` is sent by jobs/lifecycle.py after every move to a terminal state (SUCCEEDED, FAILED, CANCELLED),
outside the transition's transaction, with `job_id`, `state` and `kind`. It is sent with `send_robust`: a
receiver's exception is logged and never reaches the lifecycle (a job's end must not fail because a listener did).
"""
import django.dispatch

job_finished = django.dispatch.Signal()
