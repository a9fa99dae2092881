"""Tokens die with the password: the user's own change, an admin's reset (API and Django admin) and a deactivation
revoke every refresh token the user holds, and the access tokens issued before stop working at once."""
import pytest
from rest_framework.test import APIClient

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-pass-77"


def _login(username: str, password: str = PASSWORD) -> dict:
    response = APIClient().post("/api/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def _refresh(refresh: str):
    return APIClient().post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")


def _me(access: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/auth/me/")


def _session(user) -> dict:
    """What a login answers, without paying for the password hash (RefreshToken.for_user is what login calls)."""
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = RefreshToken.for_user(user)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


def _two_sessions(user) -> list[dict]:
    """Two logins (two devices), one of them already rotated once: every kind of outstanding refresh token."""
    first, second = _session(user), _session(user)
    rotated = _refresh(second["refresh"])
    assert rotated.status_code == 200
    return [first, rotated.json()]


def _assert_all_dead(sessions: list[dict]):
    for session in sessions:
        refused = _refresh(session["refresh"])
        assert refused.status_code == 401, refused.json()
        assert _me(session["access"]).status_code == 401


def test_changing_ones_own_password_revokes_every_refresh_and_access_token(alice):
    sessions = _two_sessions(alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {sessions[0]['access']}")
    response = client.post("/api/auth/password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
                           format="json")
    assert response.status_code == 204
    _assert_all_dead(sessions)
    fresh = _login("alice", NEW_PASSWORD)
    assert _me(fresh["access"]).status_code == 200 and _refresh(fresh["refresh"]).status_code == 200


def test_a_wrong_old_password_revokes_nothing(alice):
    sessions = _two_sessions(alice)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {sessions[0]['access']}")
    assert client.post("/api/auth/password/", {"old_password": "wrong", "new_password": NEW_PASSWORD},
                       format="json").status_code == 400
    assert _refresh(sessions[1]["refresh"]).status_code == 200


def test_an_admin_password_reset_through_the_api_revokes_the_users_tokens(alice, root, api):
    sessions = _two_sessions(alice)
    assert api(root).patch(f"/api/users/{alice.pk}/", {"password": NEW_PASSWORD}, format="json").status_code == 200
    _assert_all_dead(sessions)


def test_an_admin_role_change_alone_keeps_the_users_tokens(alice, root, api):
    sessions = _two_sessions(alice)
    assert api(root).patch(f"/api/users/{alice.pk}/", {"role": "viewer"}, format="json").status_code == 200
    assert _refresh(sessions[1]["refresh"]).status_code == 200


def test_deactivating_a_user_through_the_api_revokes_their_tokens(alice, root, api):
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    sessions = _two_sessions(alice)
    assert api(root).delete(f"/api/users/{alice.pk}/").status_code == 204
    _assert_all_dead(sessions)
    live = OutstandingToken.objects.filter(user=alice, blacklistedtoken__isnull=True)
    assert not live.exists()


def test_a_password_reset_in_the_django_admin_revokes_the_users_tokens(alice, root):
    from django.test import Client

    sessions = _two_sessions(alice)
    browser = Client()
    browser.force_login(root)
    response = browser.post(f"/admin/accounts/user/{alice.pk}/password/",
                            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 302, response.content[:500]
    _assert_all_dead(sessions)


def test_deactivating_a_user_in_the_django_admin_revokes_their_tokens(alice, root):
    from django.test import Client

    sessions = _two_sessions(alice)
    browser = Client()
    browser.force_login(root)
    page = browser.get(f"/admin/accounts/user/{alice.pk}/change/")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(is_active="", role="engineer", date_joined_0=alice.date_joined.strftime("%Y-%m-%d"),
                date_joined_1=alice.date_joined.strftime("%H:%M:%S"), groups=[], user_permissions=[])
    data.pop("is_active")  # an unticked checkbox is absent from the form
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = browser.post(f"/admin/accounts/user/{alice.pk}/change/", data)
    assert response.status_code == 302, page.context and response.context["adminform"].form.errors
    alice.refresh_from_db()
    assert not alice.is_active
    _assert_all_dead(sessions)


def test_a_refresh_token_of_a_deleted_user_is_a_401_not_a_500(alice):
    session = _session(alice)
    alice.delete()
    response = _refresh(session["refresh"])
    assert response.status_code == 401 and "No active account" in response.json()["detail"]
