"""Writes for users: create, update (role keeps Django's staff flags in step), password, logout, token revocation.

A password change, an admin's reset and a deactivation revoke every refresh token the user holds (blacklisted), and
tokens carry a digest of the password hash (SIMPLE_JWT CHECK_REVOKE_TOKEN), so access tokens die with the password.
"""
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from .models import Role, User


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
    from rest_framework.exceptions import ValidationError

    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is wrong."]})
    try:
        validate_password(new_password, user)
    except Exception as exc:  # django ValidationError: report under the field
        raise ValidationError({"new_password": list(getattr(exc, "messages", [str(exc)]))}) from None
    user.set_password(new_password)
    with transaction.atomic():
        user.save(update_fields=["password"])
        user_tokens_revoke(user=user)


def user_tokens_revoke(*, user: User) -> int:
    """Blacklist every outstanding, unexpired refresh token of `user`; the number newly blacklisted."""
    from django.utils import timezone
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    outstanding = (OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now())
                   .exclude(blacklistedtoken__isnull=False))
    created = BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in outstanding],
                                                   ignore_conflicts=True)
    return len(created)


def refresh_token_blacklist(*, token: str) -> None:
    from rest_framework.exceptions import ValidationError

    try:
        RefreshToken(token).blacklist()
    except TokenError as exc:
        raise ValidationError({"refresh": [str(exc)]}) from None
