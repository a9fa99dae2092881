"""Writes for users: create, update (role keeps Django's staff flags in step), password, logout, token revocation,
personal API tokens (created with their secret shown once, revoked one by one or all with the password).

A password change, an admin's reset and a deactivation revoke every refresh token the user holds (blacklisted), and
tokens carry a digest of the password hash (SIMPLE_JWT CHECK_REVOKE_TOKEN), so access tokens die with the password.
"""
import secrets
from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from core.errors import Invalid

from .authentication import TOKEN_PREFIX, digest
from .models import ApiToken, Role, User


def _apply_role(user: User, role: str) -> None:
    user.role = role
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN


@transaction.atomic
def user_create(*, username: str, password: str, role: str = Role.VIEWER, email: str = "",
                validate: bool = True) -> User:
    user = User(username=username, email=email)
    _apply_role(user, role)
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def user_update(*, user: User, role: str | None = None, email: str | None = None, is_active: bool | None = None,
                password: str | None = None, validate: bool = True) -> User:
    if role is not None:
        _apply_role(user, role)
    if email is not None:
        user.email = email
    deactivated = is_active is False and user.is_active
    if is_active is not None:
        user.is_active = is_active
    if password is not None:
        if validate:
            validate_password(password, user)
        user.set_password(password)
    user.save()
    if password is not None or deactivated:
        user_tokens_revoke(user=user)
    return user


def user_change_password(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise Invalid(errors={"old_password": ["The current password is wrong."]})
    try:
        validate_password(new_password, user)
    except Exception as exc:  # django ValidationError: report under the field
        raise Invalid(errors={"new_password": list(getattr(exc, "messages", [str(exc)]))}) from None
    user.set_password(new_password)
    with transaction.atomic():
        user.save(update_fields=["password"])
        user_tokens_revoke(user=user)


def user_tokens_revoke(*, user: User) -> int:
    """Blacklist every outstanding, unexpired refresh token of `user`; the number newly blacklisted."""
    outstanding = (OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now())
                   .exclude(blacklistedtoken__isnull=False))
    created = BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in outstanding],
                                                   ignore_conflicts=True)
    api_tokens_revoke_all(user=user)
    return len(created)


def refresh_token_blacklist(*, token: str) -> None:
    try:
        RefreshToken(token).blacklist()
    except TokenError as exc:
        raise Invalid(errors={"refresh": [str(exc)]}) from None


def api_token_create(*, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """The new token row and the secret, which exists nowhere else once this returns."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], digest=digest(raw), expires_at=expires_at)
    return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_tokens_revoke_all(*, user: User) -> int:
    """Called with the refresh-token revocation (a password change, a reset, a deactivation)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
