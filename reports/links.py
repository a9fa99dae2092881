"""Short-lived signed links to a report's HTML views, for sharing with someone who has no account session.

The signature (django.core.signing.TimestampSigner, keyed by SECRET_KEY) covers the report id; it expires after
REPORT_LINK_MAX_AGE_SECONDS (default 24 h). A tampered or expired link is refused (403), never silently ignored.
"""
from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

SALT = "reports.link"


class LinkRefused(Exception):
    """The link's signature is wrong, names another report, or is too old; the message says which."""


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def link_token(*, report_id: int) -> str:
    return _signer().sign(str(report_id))


def link_check(*, token: str, report_id: int) -> None:
    try:
        value = _signer().unsign(token, max_age=settings.REPORT_LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise LinkRefused("This link has expired; ask for a new one.") from exc
    except signing.BadSignature as exc:
        raise LinkRefused("This link is not valid (its signature does not match).") from exc
    if value != str(report_id):
        raise LinkRefused("This link is for another report.")


def report_links(*, request, report_id: int) -> dict:
    """Absolute URLs of both views carrying a fresh signature, and when they stop working."""
    token = link_token(report_id=report_id)
    technical = reverse("report-technical", args=[report_id])
    simple = reverse("report-simple", args=[report_id])
    expires = timezone.now() + timezone.timedelta(seconds=settings.REPORT_LINK_MAX_AGE_SECONDS)
    return {"technical": request.build_absolute_uri(f"{technical}?sig={token}"),
            "simple": request.build_absolute_uri(f"{simple}?sig={token}"),
            "expires_at": expires.isoformat()}
