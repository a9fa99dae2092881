"""individuals.csv: every individual on one line with its whole genome, a failed one (a multi-line error) included."""
import csv
import io

import pytest

from tests.support.rows import individual_row, search_row

pytestmark = pytest.mark.django_db

KILLED = ("Traceback (most recent call last):\n  File \"runner.py\", line 1\n"
          "WorkerLostError('Worker exited prematurely: signal 9 (SIGKILL)')")


def test_an_individual_killed_mid_training_keeps_its_genome_on_its_line(alice, api):
    search = search_row(owner=alice)
    individual_row(search=search, number=0, hyperparameters={"lr0": 0.01}, state="FAILED", error=KILLED)
    individual_row(search=search, number=1, hyperparameters={"lr0": 0.02}, state="SUCCEEDED", fitness=0.5)

    body = api(alice).get(f"/api/searches/{search.pk}/individuals.csv").content.decode()

    lines = body.splitlines()
    assert len(lines) == 3, body  # a header and one line per individual, whatever the error says
    header = lines[0].split(",")
    assert header[-2:] == ["lr0", "error"]
    assert [line.split(",")[header.index("lr0")] for line in lines[1:]] == ["0.01", "0.02"]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows[0]["error"].startswith("Traceback (most recent call last): | File") and "SIGKILL" in rows[0]["error"]
