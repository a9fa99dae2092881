"""Reports (reports/; docs/reports.md): how long a signed link to a report's HTML views opens it (reports/links.py)."""
from core.env import env_int

REPORT_LINK_MAX_AGE_SECONDS = env_int("REPORT_LINK_MAX_AGE_SECONDS", 24 * 3600, minimum=1)
