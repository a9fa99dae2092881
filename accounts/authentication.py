"""Authentication by personal API token (`Authorization: Bearer vp_…`, or `Token vp_…`), beside simplejwt.

Only the token's SHA-256 is stored (accounts/services.py `api_token_create`): the token is 256 random bits, so a
fast hash is as good as a slow one and the lookup stays one indexed query. The last-used time is written at most
once a minute per token, so a CI loop does not turn every read into a write.
"""
import hashlib
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiToken, User

TOKEN_PREFIX = "vp_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_user(raw: str) -> User:
    """The active owner of a live token, or AuthenticationFailed saying why not."""
    token = ApiToken.objects.select_related("user").filter(digest=digest(raw)).first()
    if token is None:
        raise exceptions.AuthenticationFailed("Unknown API token.", "token_not_valid")
    now = timezone.now()
    if token.revoked_at is not None:
        raise exceptions.AuthenticationFailed("This API token was revoked.", "token_revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise exceptions.AuthenticationFailed("This API token has expired.", "token_expired")
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed("The owner of this API token is deactivated.", "user_inactive")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def bearer_api_token(request) -> str | None:
    """The `vp_…` token of an `Authorization: Bearer` (or `Token`) header, or None for anything else (a JWT)."""
    parts = authentication.get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() not in (b"bearer", b"token"):
        return None
    raw = parts[1].decode("latin-1")
    return raw if raw.startswith(TOKEN_PREFIX) else None


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Listed before JWTAuthentication: it answers for `vp_` tokens and leaves every other header to simplejwt."""

    def authenticate(self, request):
        raw = bearer_api_token(request)
        if raw is None:
            return None
        return api_token_user(raw), None

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the schema documents it (defined beside the class: drf-spectacular finds it once this module loads)."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "vp_… personal API token (/api/auth/tokens/)"}
