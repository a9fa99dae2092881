"""What a report holds, built from rows: raw tables equal to the source, deltas, sentences, schema, snapshots."""
import re

import pytest

from jobs.models import JobState
from reports.snapshot_schema import snapshot_errors
from training.models import TrainingEpoch
from tests.support.results import (EPOCHS, finished_job_row, measured_benchmark_row, report_row, shapes_dataset_row,
                                   trained_run_row)
from tests.support.rows import model_row

pytestmark = pytest.mark.django_db


def test_a_training_run_report_has_one_row_per_epoch_equal_to_the_stored_epochs(alice):
    run = trained_run_row(owner=alice)
    snapshot = report_row(owner=alice, subject_kind="training_run", subject_id=run.pk).snapshot
    assert snapshot_errors(snapshot) == []
    rows = snapshot["tables"]["epochs"]["rows"]
    stored = list(TrainingEpoch.objects.filter(run=run).order_by("epoch").values())
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    for row, source in zip(rows, stored):
        for column in ("box_loss", "cls_loss", "dfl_loss", "precision", "recall", "map50", "map50_95", "lr", "seconds"):
            assert row[column] == pytest.approx(source[column]), column
    assert snapshot["metrics"]["map50_95"]["value"] == pytest.approx(EPOCHS[-1]["map50_95"])
    assert snapshot["metrics"]["train_seconds"]["value"] == pytest.approx(sum(e["seconds"] for e in EPOCHS))
    assert {p["id"] for p in snapshot["plots"]} == {"training-losses", "training-accuracy", "training-lr"}


def test_the_metadata_names_the_lineage_the_people_the_jobs_and_the_environment(alice):
    run = trained_run_row(owner=alice)
    snapshot = report_row(owner=alice, subject_kind="training_run", subject_id=run.pk).snapshot
    lineage = snapshot["metadata"]["lineage"]
    assert lineage["dataset"]["sha256"] == run.dataset.sha256 and lineage["preset"] == "yolov8n"
    assert lineage["hyperparameters"]["hyperparameters"] == {"lr0": 0.01}
    assert lineage["models"][0]["id"] == run.result_model_id
    assert snapshot["metadata"]["people"]["owner"] == "alice"
    assert snapshot["metadata"]["jobs"][0] == {**snapshot["metadata"]["jobs"][0], "id": run.job_id,
                                                "worker": "gpu-abc@test", "state": "SUCCEEDED"}
    environment = snapshot["metadata"]["environment"]
    assert re.fullmatch(r"[0-9a-f]{40}|unknown", environment["platform_version"])
    assert environment["measured_by"]["worker"] == "gpu-abc@test"
    assert environment["renderer"]["libraries"]["torch"] and environment["renderer"]["host"]["cpu_count"] >= 1


def test_deltas_against_another_run_are_absolute_and_percent_with_the_better_direction(alice):
    baseline = trained_run_row(owner=alice)
    better = trained_run_row(owner=alice, scale=1.2)
    snapshot = report_row(owner=alice, subject_kind="training_run", subject_id=better.pk, baseline_kind="training_run",
                          baseline_id=baseline.pk).snapshot
    assert snapshot_errors(snapshot) == []
    deltas = {d["metric"]: d for d in snapshot["deltas"]}
    expected = EPOCHS[-1]["map50_95"]
    assert deltas["map50_95"]["baseline"] == pytest.approx(expected)
    assert deltas["map50_95"]["abs"] == pytest.approx(expected * 0.2)
    assert deltas["map50_95"]["pct"] == pytest.approx(20.0)
    assert deltas["map50_95"]["better"] == "higher" and deltas["map50_95"]["verdict"] == "better"
    assert deltas["box_loss"]["verdict"] == "same" and deltas["box_loss"]["better"] == "lower"
    assert deltas["map50_95"]["within_noise"] is None  # a training run has no repeated measurement to call noise
    sentences = " ".join(f["text"] for f in snapshot["summary"]["findings"])
    assert f"mAP50-95 {expected * 1.2:.3g} against {expected:.3g} (+20.0%, better)" in sentences


def test_the_simple_sentences_quote_the_numbers_of_the_tables(alice):
    run = trained_run_row(owner=alice)
    snapshot = report_row(owner=alice, subject_kind="training_run", subject_id=run.pk).snapshot
    texts = [f["text"] for f in snapshot["summary"]["findings"]]
    assert f"3 of 3 planned epochs ran in {sum(e['seconds'] for e in EPOCHS):.1f} s on cpu." in texts
    best = max(row["map50_95"] for row in snapshot["tables"]["epochs"]["rows"])
    assert any(f"mAP50-95 {EPOCHS[-1]['map50_95']:.3f}" in t and f"best epoch reached {best:.3f}" in t for t in texts)
    assert snapshot["summary"]["status"] == "amber"  # mAP50-95 0.47 is under the 0.5 a green light needs


def test_a_report_of_a_failed_run_says_it_failed_and_why(alice):
    run = trained_run_row(owner=alice, epochs=EPOCHS[:1], state=JobState.FAILED,
                           error="timeout: the job ran past its time limit (6 s)")
    snapshot = report_row(owner=alice, subject_kind="training_run", subject_id=run.pk).snapshot
    assert snapshot_errors(snapshot) == []
    first = snapshot["summary"]["findings"][0]
    assert first == {"light": "red", "text": "The training run failed: timeout: the job ran past its time limit (6 s)."}
    assert snapshot["summary"]["status"] == "red" and snapshot["subject"]["state"] == "FAILED"
    assert "1 of 3 planned epochs" in " ".join(f["text"] for f in snapshot["summary"]["findings"])


def test_a_model_report_lists_versions_lineage_and_compares_with_the_previous_version_by_itself(alice):
    first = model_row(owner=alice, name="det", version=1, parameters=3_011_433,
                      metrics={"map50_95": 0.40, "map50": 0.6})
    second = model_row(owner=alice, name="det", version=2, parent=first, parameters=3_011_433,
                       metrics={"map50_95": 0.50, "map50": 0.7})
    report = report_row(owner=alice, subject_kind="model", subject_id=second.pk)
    snapshot = report.snapshot
    assert snapshot_errors(snapshot) == []
    assert [r["version"] for r in snapshot["tables"]["versions"]["rows"]] == [1, 2]
    assert [m["id"] for m in snapshot["metadata"]["lineage"]["models"]] == [second.pk, first.pk]
    assert snapshot["baseline"]["chosen"] == "automatic" and snapshot["baseline"]["id"] == first.pk
    assert (report.baseline_kind, report.baseline_id) == ("model", first.pk)
    deltas = {d["metric"]: d for d in snapshot["deltas"]}
    assert deltas["map50_95"]["abs"] == pytest.approx(0.10) and deltas["map50_95"]["pct"] == pytest.approx(25.0)
    assert deltas["parameters"]["verdict"] == "same"


def test_a_report_on_another_users_shared_model_lists_only_what_its_author_may_see(alice, carol):

    shared = model_row(owner=carol, name="det", version=1, shared=True)
    model_row(owner=carol, name="det", version=2)  # carol's private next version
    measured_benchmark_row(owner=carol, model=shared)  # carol's own benchmark: visible to carol and admins only
    snapshot = report_row(owner=alice, subject_kind="model", subject_id=shared.pk).snapshot
    assert snapshot_errors(snapshot) == []
    assert [r["version"] for r in snapshot["tables"]["versions"]["rows"]] == [1]
    assert snapshot["tables"]["benchmarks"]["rows"] == []
    assert [r["version"] for r in report_row(owner=carol, subject_kind="model", subject_id=shared.pk)
            .snapshot["tables"]["versions"]["rows"]] == [1, 2]


def test_the_lineage_of_a_shared_model_stops_at_an_ancestor_its_reader_may_not_see(alice, carol):
    private = model_row(owner=carol, name="base", version=1)
    shared = model_row(owner=carol, name="det", version=1, parent=private, shared=True)
    lineage = report_row(owner=alice, subject_kind="model", subject_id=shared.pk).snapshot["metadata"]["lineage"]
    assert [m["id"] for m in lineage["models"]] == [shared.pk]
    lineage = report_row(owner=carol, subject_kind="model", subject_id=shared.pk).snapshot["metadata"]["lineage"]
    assert [m["id"] for m in lineage["models"]] == [shared.pk, private.pk]


def test_a_report_is_a_snapshot_that_outlives_changes_and_deletion_of_its_subject(alice):
    from reports.exports import report_json_bytes, report_pdf_bytes
    from reports.plots import plot_svg

    run = trained_run_row(owner=alice)
    report = report_row(owner=alice, subject_kind="training_run", subject_id=run.pk)
    before = report_json_bytes(report.snapshot)
    TrainingEpoch.objects.filter(run=run).update(map50_95=0.99)
    report.refresh_from_db()
    assert report_json_bytes(report.snapshot) == before
    run.delete()
    report.refresh_from_db()
    assert report_pdf_bytes(report.snapshot) == report_pdf_bytes(report.snapshot)  # rendering is deterministic
    assert [plot_svg(p) for p in report.snapshot["plots"]] == [plot_svg(p) for p in report.snapshot["plots"]]
    assert report.snapshot["tables"]["epochs"]["rows"][-1]["map50_95"] == pytest.approx(EPOCHS[-1]["map50_95"])


def test_a_report_on_another_users_shared_model_copies_nothing_of_their_private_dataset_or_job(alice, carol):
    private = shapes_dataset_row(owner=carol, name="carols-private")
    job = finished_job_row(owner=carol, worker="gpu-carol@secret-host")
    shared = model_row(owner=carol, name="carols-shared", dataset=private, job=job, shared=True)
    snapshot = report_row(owner=alice, subject_kind="model", subject_id=shared.pk).snapshot
    assert snapshot_errors(snapshot) == []
    text = str(snapshot)
    assert "carols-private" not in text and private.sha256 not in text and "secret-host" not in text
    assert snapshot["metadata"]["lineage"]["dataset"] == {"id": private.pk, "visible": False}
    assert snapshot["metadata"]["jobs"] == []
    own = report_row(owner=carol, subject_kind="model", subject_id=shared.pk).snapshot  # the owner sees it all
    assert own["metadata"]["lineage"]["dataset"]["name"] == "carols-private"
    assert own["metadata"]["jobs"][0]["worker"] == "gpu-carol@secret-host"
