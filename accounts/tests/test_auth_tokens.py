"""Login, refresh rotation, logout and token tampering."""
import pytest
from rest_framework.test import APIClient

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def login(username, password=PASSWORD):
    return APIClient().post("/api/auth/token/", {"username": username, "password": password}, format="json")


def test_it_logs_in_with_the_right_password(alice):
    response = login("alice")
    assert response.status_code == 200
    assert {"access", "refresh"} <= response.json().keys()


def test_it_refuses_a_wrong_password(alice):
    response = login("alice", "nope")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_it_names_the_missing_field(alice):
    response = APIClient().post("/api/auth/token/", {"username": "alice"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["detail"]


def test_refresh_rotates_and_the_old_refresh_token_is_refused(alice):
    refresh = login("alice").json()["refresh"]
    client = APIClient()
    first = client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert first.status_code == 200
    assert first.json()["refresh"] != refresh
    again = client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert again.status_code == 401


def test_a_logged_out_refresh_token_is_refused(alice):
    tokens = login("alice").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json").status_code == 205
    refused = APIClient().post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == 401


def test_a_tampered_access_token_is_refused(alice):
    access = login("alice").json()["access"]
    header, payload, signature = access.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tampered}")
    assert client.get("/api/auth/me/").status_code == 401


def test_me_says_who_and_which_role(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login('alice').json()['access']}")
    body = client.get("/api/auth/me/").json()
    assert body["username"] == "alice" and body["role"] == "engineer"


def test_the_api_requires_authentication():
    assert APIClient().get("/api/jobs/").status_code == 401
    assert APIClient().get("/api/auth/me/").status_code == 401


def test_login_is_throttled(alice, settings):
    settings.LOGIN_THROTTLE_RATE = "3/min"
    codes = [login("alice", "wrong").status_code for _ in range(4)]
    assert codes[:3] == [401, 401, 401]
    assert codes[3] == 429


def test_password_change_needs_the_old_password(alice, api):
    client = api(alice)
    wrong = client.post("/api/auth/password/", {"old_password": "x", "new_password": "a-new-long-pass-99"})
    assert wrong.status_code == 400 and "old_password" in wrong.json()["detail"]
    weak = client.post("/api/auth/password/", {"old_password": PASSWORD, "new_password": "123"})
    assert weak.status_code == 400 and "new_password" in weak.json()["detail"]
    ok = client.post("/api/auth/password/", {"old_password": PASSWORD, "new_password": "a-new-long-pass-99"})
    assert ok.status_code == 204
    assert login("alice", "a-new-long-pass-99").status_code == 200
