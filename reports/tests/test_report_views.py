"""The HTML views /reports/{id}/ and /reports/{id}/simple/: session login, signed links, 403 and 404."""
import time
from unittest import mock

import pytest
from django.test import Client, override_settings

from reports.links import link_token
from tests.support.results import report_row, trained_run_row
from tests.support.rows import model_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(alice):
    return report_row(owner=alice, subject_kind="training_run", subject_id=trained_run_row(owner=alice).pk)


def browser(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # the admin login sets the same session
    return client


def test_the_owner_signed_in_sees_both_views_with_every_table_and_plot(alice, report):
    technical = browser(alice).get(f"/reports/{report.pk}/")
    assert technical.status_code == 200 and technical["Content-Type"].startswith("text/html")
    html = technical.content.decode()
    assert html.count("<svg") == len(report.snapshot["plots"]) == 3
    assert 'data-table="epochs"' in html and "Metrics per epoch" in html
    assert 'id="host"' in html and report.snapshot["metadata"]["environment"]["renderer"]["host"]["cpu_model"] in html
    simple = browser(alice).get(f"/reports/{report.pk}/simple/").content.decode()
    for item in report.snapshot["summary"]["findings"]:
        assert f'data-light="{item["light"]}"' in simple and item["text"] in simple
    assert "Measured by gpu-abc@test on " in simple and "the job kept none" in simple


def test_without_a_session_or_a_link_the_browser_is_sent_to_the_login(report):
    response = browser().get(f"/reports/{report.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=/reports/")


def test_a_signed_link_opens_the_report_without_a_login(report):
    token = link_token(report_id=report.pk)
    for path in (f"/reports/{report.pk}/", f"/reports/{report.pk}/simple/"):
        response = browser().get(path, {"sig": token})
        assert response.status_code == 200, path
        assert response["Referrer-Policy"] == "no-referrer" and "no-store" in response["Cache-Control"]


def test_the_link_from_the_api_answer_works_in_a_browser(alice, api, report):
    links = api(alice).get(f"/api/reports/{report.pk}/").json()["links"]
    assert browser().get(links["simple"].removeprefix("http://testserver")).status_code == 200


def test_a_tampered_link_is_refused_with_403(report):
    token = link_token(report_id=report.pk)
    tampered = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    response = browser().get(f"/reports/{report.pk}/", {"sig": tampered})
    assert response.status_code == 403 and "signature does not match" in response.content.decode()


def test_a_link_for_another_report_is_refused_with_403(alice, report):
    other = report_row(owner=alice, subject_kind="model", subject_id=model_row(owner=alice).pk)
    response = browser().get(f"/reports/{report.pk}/", {"sig": link_token(report_id=other.pk)})
    assert response.status_code == 403 and "another report" in response.content.decode()


@override_settings(REPORT_LINK_MAX_AGE_SECONDS=60)
def test_an_expired_link_is_refused_with_403(report):
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 61):
        old = link_token(report_id=report.pk)
    response = browser().get(f"/reports/{report.pk}/simple/", {"sig": old})
    assert response.status_code == 403 and "expired" in response.content.decode()


def test_another_engineers_report_is_404_and_a_viewer_reads_a_shared_one(carol, bob, alice):
    private = report_row(owner=alice, subject_kind="model", subject_id=model_row(owner=alice).pk)
    shared = report_row(owner=alice, subject_kind="model",
                        subject_id=model_row(owner=alice, name="open", shared=True).pk, shared=True)
    assert browser(carol).get(f"/reports/{private.pk}/").status_code == 404
    assert browser(bob).get(f"/reports/{private.pk}/simple/").status_code == 404
    assert browser(bob).get(f"/reports/{shared.pk}/").status_code == 200
    assert browser(bob).get(f"/reports/{shared.pk}/simple/").status_code == 200


def test_a_report_still_rendering_says_so(alice):
    pending = report_row(owner=alice, subject_kind="model", subject_id=model_row(owner=alice).pk, build=False)
    response = browser(alice).get(f"/reports/{pending.pk}/")
    assert response.status_code == 200 and "being rendered" in response.content.decode()
