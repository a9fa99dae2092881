"""POST/GET /api/reports/ and the exports: who may create and read, errors that name the field, the files."""
import csv
import io
import json
import re
import zipfile
import zlib

import pytest

from jobs.models import Job
from reports.models import Report
from reports.snapshot_schema import snapshot_errors
from tests.support.results import report_row, trained_run_row
from tests.support.rows import model_row

pytestmark = pytest.mark.django_db
URL = "/api/reports/"


def test_an_engineer_queues_a_report_and_gets_its_id_job_and_signed_links(alice, api):
    run = trained_run_row(owner=alice)
    response = api(alice).post(URL, {"subject": "training_run", "id": run.pk, "title": "Shapes"}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    report = Report.objects.get(pk=body["id"])
    assert body["job"] == report.job_id and report.job.kind == "report" and report.job.queue == "default"
    assert body["state"] == "QUEUED" and body["report"] is None and body["title"] == "Shapes"
    assert body["subject"] == {"subject": "training_run", "id": run.pk} and body["baseline"] is None
    assert re.fullmatch(rf"http://testserver/reports/{report.pk}/\?sig=.+", body["links"]["technical"])
    assert body["links"]["simple"].startswith(f"http://testserver/reports/{report.pk}/simple/?sig=")


def test_a_viewer_may_not_create_a_report(bob, alice, api):
    model = model_row(owner=alice, shared=True)
    response = api(bob).post(URL, {"subject": "model", "id": model.pk}, format="json")
    assert response.status_code == 403


def test_a_subject_or_baseline_you_cannot_see_answers_404(alice, carol, api):
    theirs = trained_run_row(owner=carol)
    mine = trained_run_row(owner=alice)
    assert api(alice).post(URL, {"subject": "training_run", "id": theirs.pk}, format="json").status_code == 404
    response = api(alice).post(URL, {"subject": "training_run", "id": mine.pk,
                                     "baseline": {"subject": "training_run", "id": theirs.pk}}, format="json")
    assert response.status_code == 404
    assert not Report.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"subject": "experiment", "id": 1}, "subject"),
    ({"subject": "model"}, "id"),
    ({"subject": "model", "id": 0}, "id"),
    ({"subject": "model", "id": "twelve"}, "id"),
    ({"subject": "model", "id": 1, "baseline": {"subject": "model"}}, "baseline"),
    ({"subject": "model", "id": 1, "baseline": "model 2"}, "baseline"),
    ({"subject": "model", "id": 1, "baseline": {"subject": "model", "id": 1}}, "baseline"),
    ({"subject": "model", "id": 1, "colour": "red"}, "colour"),
    ({"subject": "model", "id": 1, "title": "x" * 201}, "title"),
])
def test_a_bad_request_is_a_400_naming_the_field(alice, api, body, field):
    response = api(alice).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()


def test_lists_show_your_reports_and_shared_ones_but_not_other_engineers_private_ones(alice, carol, bob, api):
    mine = report_row(owner=alice, subject_kind="model", subject_id=model_row(owner=alice).pk, build=False)
    private = report_row(owner=carol, subject_kind="model", subject_id=model_row(owner=carol).pk, build=False)
    shared = report_row(owner=carol, subject_kind="model", subject_id=model_row(owner=carol, name="s", shared=True).pk,
                        shared=True, build=False)
    ids = [r["id"] for r in api(alice).get(URL).json()["results"]]
    assert mine.pk in ids and shared.pk in ids and private.pk not in ids
    assert api(alice).get(f"{URL}{private.pk}/").status_code == 404
    assert [r["id"] for r in api(bob).get(URL).json()["results"]] == [shared.pk]
    assert api(bob).get(f"{URL}{shared.pk}/").status_code == 200
    assert api(bob).delete(f"{URL}{shared.pk}/").status_code == 403


def test_the_detail_carries_the_report_json_which_validates_against_the_schema(alice, api):
    run = trained_run_row(owner=alice)
    report = report_row(owner=alice, subject_kind="training_run", subject_id=run.pk)
    body = api(alice).get(f"{URL}{report.pk}/").json()
    assert body["report"] == report.snapshot and snapshot_errors(body["report"]) == []
    exported = api(alice).get(f"{URL}{report.pk}/report.json")
    assert exported.status_code == 200 and json.loads(exported.content) == report.snapshot


def test_tables_zip_holds_one_csv_per_table_with_the_same_numbers(alice, api):
    run = trained_run_row(owner=alice)
    report = report_row(owner=alice, subject_kind="training_run", subject_id=run.pk)
    response = api(alice).get(f"{URL}{report.pk}/tables.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == [f"{name}.csv" for name in report.snapshot["tables"]]
    rows = list(csv.DictReader(io.StringIO(archive.read("epochs.csv").decode())))
    source = report.snapshot["tables"]["epochs"]["rows"]
    assert [float(r["map50_95"]) for r in rows] == [r["map50_95"] for r in source]


def pdf_text(content: bytes) -> str:
    """The text drawn in a matplotlib PDF: inflate every stream, join the string pieces of its text operators."""
    pieces = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            data = zlib.decompress(stream)
        except zlib.error:
            continue
        for array in re.findall(rb"\[(.*?)\]\s*TJ|\((.*?)\)\s*Tj", data, re.S):
            chunk = b"".join(re.findall(rb"\(((?:\\.|[^\\)])*)\)", array[0])) if array[0] else array[1]
            chunk = re.sub(rb"\\(.)", rb"\1", chunk, flags=re.S)  # PDF string escapes: \( \) \\
            two_byte = len(chunk) % 2 == 0 and chunk[::2].strip(b"\x00") == b""  # TrueType (Type 42): UTF-16BE
            pieces.append(chunk.decode("utf-16-be") if two_byte and chunk else chunk.decode("latin-1"))
    return " ".join(pieces)


def test_the_pdf_opens_and_holds_the_tables(alice, api):
    run = trained_run_row(owner=alice)
    report = report_row(owner=alice, subject_kind="training_run", subject_id=run.pk)
    response = api(alice).get(f"{URL}{report.pk}/report.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-") and b"%%EOF" in response.content[-64:]
    pages = len(re.findall(rb"/Type\s*/Page\b", response.content))
    assert pages == 1 + 1 + len(report.snapshot["plots"])  # summary, the epochs table, one page per plot
    text = pdf_text(response.content)
    assert "Metrics per epoch" in text and "map50_95" in text
    assert "0.47" in text and "0.31" in text  # the last epochs' mAP50-95, as the table shows them


def test_exports_of_a_report_that_is_not_rendered_yet_answer_409(alice, api):
    report = report_row(owner=alice, subject_kind="model", subject_id=model_row(owner=alice).pk, build=False)
    response = api(alice).get(f"{URL}{report.pk}/report.pdf")
    assert response.status_code == 409 and "not rendered yet" in response.json()["detail"]


def test_the_owner_deletes_a_report_and_its_job(alice, api):
    report = report_row(owner=alice, subject_kind="model", subject_id=model_row(owner=alice).pk)
    assert api(alice).delete(f"{URL}{report.pk}/").status_code == 204
    assert not Report.objects.filter(pk=report.pk).exists() and not Job.objects.filter(pk=report.job_id).exists()


@pytest.mark.parametrize("state", ["QUEUED", "RUNNING"])
def test_a_report_still_queued_or_rendering_is_not_deleted_and_answers_409(alice, api, state):
    report = report_row(owner=alice, subject_kind="model", subject_id=model_row(owner=alice).pk, build=False)
    Job.objects.filter(pk=report.job_id).update(state=state, finished_at=None)
    response = api(alice).delete(f"{URL}{report.pk}/")
    assert response.status_code == 409, response.content
    assert f"POST /api/jobs/{report.job_id}/cancel/" in response.json()["detail"]
    assert Report.objects.filter(pk=report.pk).exists() and Job.objects.filter(pk=report.job_id).exists()


def test_the_owner_shares_a_report_and_a_viewer_then_reads_it_but_may_not_change_it(alice, bob, api):
    report = report_row(owner=alice, subject_kind="model", subject_id=model_row(owner=alice).pk)
    assert api(bob).get(f"{URL}{report.pk}/").status_code == 404
    response = api(alice).patch(f"{URL}{report.pk}/", {"shared": True, "title": "For the team"}, format="json")
    assert response.status_code == 200 and response.json()["shared"] is True
    assert api(bob).get(f"{URL}{report.pk}/").json()["title"] == "For the team"
    read = api(bob).get(f"{URL}{report.pk}/").json()["links"]  # downloads, but no signed links to pass on
    assert "technical" not in read and "simple" not in read and read["report.json"].endswith("/report.json")
    assert api(bob).patch(f"{URL}{report.pk}/", {"shared": False}, format="json").status_code == 403
    assert api(alice).patch(f"{URL}{report.pk}/", {"snapshot": {}}, format="json").status_code == 400


def test_a_subject_kind_whose_app_is_missing_is_a_400_saying_it_is_not_available(alice, api, monkeypatch):
    import importlib

    from reports import collectors

    real = importlib.import_module

    def without_searches(name, *args):
        if name == "reports.collectors.search":
            raise ImportError("No module named 'searches'")
        return real(name, *args)

    monkeypatch.setattr(collectors.importlib, "import_module", without_searches)
    response = api(alice).post(URL, {"subject": "search", "id": 1}, format="json")
    assert response.status_code == 400
    assert "subject kind 'search' is not available yet" in response.json()["errors"]["subject"][0]
