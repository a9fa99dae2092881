"""The cross-user matrix: every API operation on an object id, tried by the owner, another engineer, a viewer and an
admin, on a private object (and on a shared one where the kind can be shared).

Rules: another engineer gets 404 on everything private (an id is not confirmed); a viewer gets 404 on everything
private, reads and writes alike (what they cannot see is not confirmed either), and 403 for any write on what they
can see (shared objects, and their own from before they became a viewer); on a shared object others may read but
never change (403); the owner and admins
pass the permission checks (any answer but 401/403/404, and never a 5xx). The operations come from the OpenAPI
schema, so a new app's routes join the matrix on their first day; each kind of object needs a row maker below
(the test names a route whose kind has none).
"""
import functools

import pytest

from tests.support.results import report_row
from tests.support.rows import (benchmark_run_row, conversion_row, dataset_row, job_row, model_row, search_row,
                                training_run_row)

pytestmark = pytest.mark.django_db

# Operations that use an object without changing it: others who see it may (a viewer only predicts).
# (Converting is a change: only the owner or an admin converts a model, shared or not.)
USES = {("POST", "/api/inference/{model_id}/predict/"): "anyone"}
# A valid body, so the answer is about permission, not about the request's shape.
BODIES = {("POST", "/api/models/{model_id}/convert/"): {"target": "onnx", "imgsz": 64},
          ("POST", "/api/models/{model_id}/serving/"): {"engine": ""}}
# Rows no user owns, with role checks of their own (accounts and hosts/tests): users for admins, hosts for writers.
NOT_OWNED = ("/api/users/", "/api/hosts/")
NOT_IN_SCHEMA = [("GET", "/api/jobs/{job_id}/events/")]  # server-sent events: a plain Django view


def _without_personal_routes(schema: dict) -> dict:
    """Personal API tokens are nobody else's, admins included (404): outside this matrix, in their own tests
    (accounts/tests/test_api_tokens.py)."""
    schema["paths"] = {path: ops for path, ops in schema["paths"].items() if not path.startswith("/api/auth/tokens/")}
    return schema


# path segment after /api/ -> (maker(owner, shared) -> row, whether the kind can be shared)
MAKERS = {
    "datasets": (lambda owner, shared: dataset_row(owner=owner, shared=shared), True),
    "models": (lambda owner, shared: model_row(owner=owner, shared=shared), True),
    "inference": (lambda owner, shared: model_row(owner=owner, shared=shared, format="onnx"), True),
    "conversions": (lambda owner, shared: conversion_row(owner=owner), False),
    "jobs": (lambda owner, shared: job_row(owner=owner, state="RUNNING"), False),
    "training-runs": (lambda owner, shared: training_run_row(owner=owner), False),
    "benchmarks": (lambda owner, shared: benchmark_run_row(owner=owner), False),
    "searches": (lambda owner, shared: search_row(owner=owner), False),
    "reports": (lambda owner, shared: report_row(owner=owner, subject_kind="model",
                                                 subject_id=model_row(owner=owner).pk, shared=shared), True),
}


@functools.cache
def _object_operations() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = _without_personal_routes(SchemaGenerator().get_schema(request=None, public=True))
    found = [(method.upper(), path) for path, operations in schema["paths"].items() for method in operations
             if "{" in path and path.startswith("/api/") and not path.startswith(NOT_OWNED)]  # /v2 names a model by
    # its registry name, not an id: its visibility is tested in inference/tests/test_v2.py
    return sorted(found + NOT_IN_SCHEMA)


def _segment(path: str) -> str:
    return path.split("/")[2]


def _call(client, method: str, path: str, pk: int):
    url = path.replace(path[path.index("{"):path.index("}") + 1], str(pk))
    if method in ("GET", "DELETE"):
        return getattr(client, method.lower())(url)
    return getattr(client, method.lower())(url, data=BODIES.get((method, path), {}), format="json")


def _make(path: str, owner, shared: bool = False):
    maker, _ = MAKERS[_segment(path)]
    return maker(owner, shared)


def _is_read(method: str, path: str) -> bool:
    return method == "GET"


def test_every_object_route_has_a_row_maker():
    missing = sorted({path for _, path in _object_operations() if _segment(path) not in MAKERS})
    assert not missing, f"add a row maker to MAKERS for: {missing}"
    assert len(_object_operations()) >= 20


def _check_allowed(response, who, method, path):
    assert response.status_code not in (401, 403, 404) and response.status_code < 500, \
        (who, method, path, response.status_code, getattr(response, "data", None))


def test_another_engineer_gets_404_on_every_private_object(alice, carol, api):
    client = api(carol)
    for method, path in _object_operations():
        row = _make(path, alice)
        response = _call(client, method, path, row.pk)
        assert response.status_code == 404, (method, path, response.status_code)


def test_a_viewer_gets_404_on_every_private_object_whatever_the_method(alice, bob, api):
    client = api(bob)
    for method, path in _object_operations():
        row = _make(path, alice)
        response = _call(client, method, path, row.pk)
        assert response.status_code == 404, (method, path, response.status_code)


def test_a_viewer_writes_nothing_even_on_objects_they_own(bob, api):
    """A viewer who owns rows from an earlier role sees them, and may still not change them (403)."""
    client = api(bob)
    for method, path in _object_operations():
        if _is_read(method, path) or USES.get((method, path)) == "anyone":
            continue
        row = _make(path, bob)
        response = _call(client, method, path, row.pk)
        assert response.status_code == 403, (method, path, response.status_code)


def test_on_a_shared_object_others_read_but_never_change(alice, carol, bob, api):
    shareable = [(m, p) for m, p in _object_operations() if MAKERS[_segment(p)][1]]
    assert {_segment(p) for _, p in shareable} >= {"datasets", "models"}
    for who, user in (("carol", carol), ("bob", bob)):
        client = api(user)
        for method, path in shareable:
            row = _make(path, alice, shared=True)
            response = _call(client, method, path, row.pk)
            use = USES.get((method, path))
            if _is_read(method, path) or use == "anyone" or (use == "writers" and user.can_write):
                _check_allowed(response, who, method, path)
            else:
                assert response.status_code == 403, (who, method, path, response.status_code)


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_the_owner_and_an_admin_pass_every_permission_check(alice, root, api, who):
    client = api(alice if who == "owner" else root)
    for method, path in _object_operations():
        row = _make(path, alice)
        _check_allowed(_call(client, method, path, row.pk), who, method, path)


def test_user_management_is_for_admins_only(alice, bob, carol, api):
    for user in (alice, bob):
        client = api(user)
        assert client.get(f"/api/users/{carol.pk}/").status_code == 403
        assert client.patch(f"/api/users/{carol.pk}/", {"role": "admin"}, format="json").status_code == 403
        assert client.delete(f"/api/users/{carol.pk}/").status_code == 403
        assert client.get("/api/users/").status_code == 403
    carol.refresh_from_db()
    assert carol.role == "engineer" and carol.is_active


def test_lists_show_others_only_what_is_shared(alice, carol, api):
    private, shared = model_row(owner=alice), model_row(owner=alice, shared=True)
    dataset_row(owner=alice)
    job_row(owner=alice)
    training_run_row(owner=alice)
    client = api(carol)
    assert [m["id"] for m in client.get("/api/models/").json()["results"]] == [shared.pk]
    assert private.pk not in [m["id"] for m in client.get("/api/models/").json()["results"]]
    for path in ("/api/datasets/", "/api/jobs/", "/api/training-runs/"):
        assert client.get(path).json()["count"] == 0, path
