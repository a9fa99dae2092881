"""Personal API tokens: created by their owner and shown once, used as `Bearer vp_…`, listed, revoked; they act with
the owner's role and die with the owner's password or deactivation."""
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _with_token(raw: str, scheme: str = "Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {raw}")
    return client


def _create(api, user, **body) -> dict:
    response = api(user).post("/api/auth/tokens/", {"name": "ci", **body}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_created_token_is_shown_once_and_stored_hashed(alice, api):
    created = _create(api, alice)
    assert created["token"].startswith("vp_") and created["prefix"] == created["token"][:10]
    row = ApiToken.objects.get(pk=created["id"])
    assert created["token"] not in (row.digest, row.prefix) and len(row.digest) == 64
    listed = api(alice).get("/api/auth/tokens/").json()["results"]
    assert [t["id"] for t in listed] == [created["id"]] and "token" not in listed[0]
    assert "token" not in api(alice).get(f"/api/auth/tokens/{created['id']}/").json()


def test_a_token_authenticates_as_its_owner_and_records_its_last_use(alice, api):
    created = _create(api, alice)
    for scheme in ("Bearer", "Token"):
        me = _with_token(created["token"], scheme).get("/api/auth/me/")
        assert me.status_code == 200 and me.json()["username"] == "alice"
    assert ApiToken.objects.get(pk=created["id"]).last_used_at is not None


def test_a_revoked_token_is_a_401_that_says_so(alice, api):
    created = _create(api, alice)
    assert api(alice).delete(f"/api/auth/tokens/{created['id']}/").status_code == 204
    refused = _with_token(created["token"]).get("/api/auth/me/")
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert api(alice).get(f"/api/auth/tokens/{created['id']}/").json()["revoked_at"] is not None


def test_an_unknown_or_expired_token_is_a_401(alice, api):
    assert _with_token("vp_not-a-real-token").get("/api/auth/me/").status_code == 401
    created = _create(api, alice, expires_at=(timezone.now() + timedelta(hours=1)).isoformat())
    ApiToken.objects.filter(pk=created["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = _with_token(created["token"]).get("/api/auth/me/")
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]


def test_an_expiry_in_the_past_or_a_missing_name_is_a_400(alice, api):
    past = api(alice).post("/api/auth/tokens/", {"name": "x", "expires_at": "2000-01-01T00:00:00Z"}, format="json")
    assert past.status_code == 400 and "expires_at" in str(past.json()["detail"])
    assert api(alice).post("/api/auth/tokens/", {}, format="json").status_code == 400


def test_another_users_tokens_are_neither_listed_nor_revocable(alice, carol, root, api):
    mine = _create(api, alice)
    assert api(carol).get("/api/auth/tokens/").json()["results"] == []
    assert api(root).get("/api/auth/tokens/").json()["results"] == []
    assert api(carol).get(f"/api/auth/tokens/{mine['id']}/").status_code == 404
    assert api(carol).delete(f"/api/auth/tokens/{mine['id']}/").status_code == 404
    assert _with_token(mine["token"]).get("/api/auth/me/").status_code == 200


def test_a_viewers_token_reads_but_cannot_write(bob, api):
    created = _create(api, bob)
    client = _with_token(created["token"])
    assert client.get("/api/datasets/").status_code == 200
    refused = client.post("/api/training-runs/", {"dataset": 1, "preset": "yolov8n"}, format="json")
    assert refused.status_code == 403


def test_a_deactivated_owners_token_fails(alice, root, api):
    created = _create(api, alice)
    assert api(root).delete(f"/api/users/{alice.pk}/").status_code == 204
    assert _with_token(created["token"]).get("/api/auth/me/").status_code == 401
    alice.is_active = True  # even re-activated: the deactivation revoked it
    alice.save()
    assert _with_token(created["token"]).get("/api/auth/me/").status_code == 401


def test_a_password_change_revokes_the_owners_tokens(alice, api):
    created = _create(api, alice)
    changed = api(alice).post("/api/auth/password/", {"old_password": PASSWORD,
                                                       "new_password": "another-long-pass-88"}, format="json")
    assert changed.status_code == 204
    assert _with_token(created["token"]).get("/api/auth/me/").status_code == 401


def test_a_token_opens_a_jobs_event_stream(alice, api):
    created = _create(api, alice)
    refused = _with_token("vp_wrong").get("/api/jobs/1/events/")
    assert refused.status_code == 401
    assert _with_token(created["token"]).get("/api/jobs/999999/events/").status_code == 404
