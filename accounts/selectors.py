"""Reads for users (admin user management): the list, filtered by role, and one user by id; one's API tokens."""
from django.db.models import QuerySet

from core.errors import NotFound

from .models import ApiToken, User


def user_list(*, role: str | None = None) -> QuerySet[User]:
    users = User.objects.order_by("id")
    if role:
        users = users.filter(role=role)
    return users


def user_get(*, user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("No user with this id.")
    return user


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, revoked ones included (an admin sees only theirs too: a token is personal)."""
    return ApiToken.objects.filter(user=user).order_by("-id")


def api_token_get(*, user: User, token_id: int) -> ApiToken:
    token = api_token_list(user=user).filter(pk=token_id).first()
    if token is None:
        raise NotFound("No API token of yours with this id.")
    return token
