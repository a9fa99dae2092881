"""Searches (searches/; docs/searches.md): the size of a search and how a lost latency measurement is sent again.
How often the sweep resumes stalled searches (SEARCH_SWEEP_SECONDS) is in queues.py's beat schedule."""
from core.env import env_float, env_int

SEARCH_MAX_TRIALS = env_int("SEARCH_MAX_TRIALS", 200, minimum=1)  # population x generations of one search
SEARCH_LATENCY_RESEND_SECONDS = env_float("SEARCH_LATENCY_RESEND_SECONDS", 600.0, minimum=1.0)  # lost measurement
# re-sent at most this many times (like JOB_LOST_MESSAGE_RESENDS), then the individual fails saying so
SEARCH_LATENCY_RESENDS = env_int("SEARCH_LATENCY_RESENDS", 2, minimum=0)
