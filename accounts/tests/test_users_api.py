"""Admin-only user management and the role matrix."""
import pytest

pytestmark = pytest.mark.django_db


def test_an_admin_creates_an_engineer(root, api):
    response = api(root).post("/api/users/", {"username": "dave", "password": "dave-is-long-77", "role": "engineer"})
    assert response.status_code == 201
    assert response.json()["role"] == "engineer"


def test_an_engineer_cannot_manage_users(alice, api):
    assert api(alice).get("/api/users/").status_code == 403
    assert api(alice).post("/api/users/", {"username": "x", "password": "long-enough-1"}).status_code == 403


def test_a_viewer_cannot_manage_users(bob, api):
    assert api(bob).get("/api/users/").status_code == 403


def test_a_bad_role_is_named(root, api):
    response = api(root).post("/api/users/", {"username": "dave", "password": "dave-is-long-77", "role": "god"})
    assert response.status_code == 400
    assert "role" in response.json()["detail"]


def test_an_unknown_role_filter_is_a_400_naming_it(root, api):
    response = api(root).get("/api/users/?role=god")
    assert response.status_code == 400
    assert "role" in response.json()["errors"]


def test_an_admin_cannot_deactivate_themselves_with_a_patch_either(root, api):
    response = api(root).patch(f"/api/users/{root.id}/", {"is_active": False}, format="json")
    assert response.status_code == 400 and "is_active" in response.json()["errors"]
    root.refresh_from_db()
    assert root.is_active


def test_a_duplicate_username_is_refused(root, alice, api):
    response = api(root).post("/api/users/", {"username": "alice", "password": "dave-is-long-77"})
    assert response.status_code == 400 and "username" in response.json()["detail"]


def test_an_admin_changes_a_role_and_staff_follows(root, bob, api):
    response = api(root).patch(f"/api/users/{bob.id}/", {"role": "admin"}, format="json")
    assert response.status_code == 200
    bob.refresh_from_db()
    assert bob.role == "admin" and bob.is_staff


def test_deleting_a_user_deactivates_them(root, bob, api):
    assert api(root).delete(f"/api/users/{bob.id}/").status_code == 204
    bob.refresh_from_db()
    assert not bob.is_active
