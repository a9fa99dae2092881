"""Reads for users (admin user management): the list, filtered by role, and one user by id."""
from django.db.models import QuerySet
from django.http import Http404

from .models import User


def user_list(*, role: str | None = None) -> QuerySet[User]:
    users = User.objects.order_by("id")
    if role:
        users = users.filter(role=role)
    return users


def user_get(*, user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404("No user with this id.")
    return user
