"""The Django admin is for admins only and shows jobs with their progress."""
import pytest
from django.test import Client

from conftest import PASSWORD
from jobs.models import Job

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_an_admin_sees_jobs_with_progress_and_filters(root, alice):
    Job.objects.create(kind="probe", owner=alice, progress=0.4, progress_message="epoch 2/5")
    page = signed_in(root).get("/admin/jobs/job/?state__exact=QUEUED")
    assert page.status_code == 200
    body = page.content.decode()
    assert "40%" in body and "epoch 2/5" in body and "By state" in body and "By kind" in body


def test_an_admin_sees_users_with_their_role(root, bob):
    body = signed_in(root).get("/admin/accounts/user/").content.decode()
    assert "bob" in body and "Viewer" in body


def test_an_engineer_cannot_use_the_admin(alice):
    response = signed_in(alice).get("/admin/jobs/job/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
