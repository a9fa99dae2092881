"""Serving per hardware class with real inference pool processes: two pools started as two classes (HARDWARE_CLASS
cpu:avx2 and cpu:baseline) serve one ONNX model. A choice made for one class is used by that class's pool only; the
other pool serves the default and the predict answer says which engine, which class and which choice. A change is
seen by the next predict without restarting a pool, and requests in between make no database lookup.

Pools take requests from one shared queue, and the suite's own pool may run too: each answer is checked against
the class of the pool that gave it, and requests are sent until both pools have answered."""
import time

import pytest

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]  # the pools read the committed rows

X, Y = "cpu:avx2", "cpu:baseline"
DEFAULT = "onnxruntime-cpu"  # the default engine for ONNX on a CPU pool (inference.engines.DEFAULT_ORDER)


@pytest.fixture(scope="module")
def two_class_pools(_database_sessions_closed):
    from inference.tests.conftest import start_pool

    suffix = int(time.time())
    pools = [start_pool(f"class-x-{suffix}", HARDWARE_CLASS=X), start_pool(f"class-y-{suffix}", HARDWARE_CLASS=Y)]
    yield pools
    for pool in pools:
        pool.stop()


def _predict(client, model, image) -> dict:
    with open(image, "rb") as handle:
        response = client.post(f"/api/inference/{model.pk}/predict/", {"image": handle}, format="multipart")
    assert response.status_code == 200, response.json()
    return response.json()


def _answers_from_both(client, model, image, tries: int = 40) -> dict[str, dict]:
    """The first answer of each class's pool (and of any other pool that answered: checked by the caller too)."""
    seen: dict[str, dict] = {}
    for _ in range(tries):
        body = _predict(client, model, image)
        seen.setdefault(body["hardware_class"], body)
        if X in seen and Y in seen:
            return seen
    raise AssertionError(f"both class pools did not answer in {tries} requests: {sorted(seen)}")


def _lookups(pool_ids: list[str], after: float) -> dict[str, int]:
    """Each pool's count of database resolutions, from a heartbeat sent after `after`."""
    from inference import channel
    from tests.waiting import wait_for

    def fresh():
        beats = {p["id"]: p for p in channel.pools_live(max_age=0) if p["id"] in pool_ids}
        return beats if len(beats) == len(pool_ids) and all(b["at"] > after for b in beats.values()) else None

    beats = wait_for(fresh, timeout=10, message="fresh heartbeats")
    return {pool_id: beat["serving_lookups"] for pool_id, beat in beats.items()}


def test_each_pool_serves_the_choice_for_its_own_class_or_the_default_and_sees_changes_at_once(
        alice, api, onnx_model, test_image, two_class_pools):
    client = api(alice)
    url = f"/api/models/{onnx_model.pk}/serving/"
    assert client.post(url, {"engine": "openvino-cpu", "hardware_class": X}, format="json").status_code == 200

    seen = _answers_from_both(client, onnx_model, test_image)
    assert seen[X]["engine"] == "openvino-cpu" and seen[X]["choice"] == {"hardware_class": X,
                                                                         "engine": "openvino-cpu", "benchmark": None}
    assert seen[Y]["engine"] == DEFAULT and seen[Y]["choice"] is None  # X's choice is not forced on Y
    for cls, body in seen.items():  # a third pool (the suite's, of this machine's class) serves the default too
        assert body["served_model"] == onnx_model.pk and body["results"][0]["engine"] == body["engine"]
        if cls not in (X, Y):
            assert body["engine"] == DEFAULT and body["choice"] is None

    # No database lookup per request while serving stays the same.
    ids = [pool.name.removeprefix("pool-") for pool in two_class_pools]
    before = _lookups(ids, after=time.time())
    for _ in range(6):
        _predict(client, onnx_model, test_image)
    assert _lookups(ids, after=time.time()) == before

    # A change is seen by the next answer of the class it concerns, without restarting anything.
    assert client.post(url, {"engine": "onnxruntime-cpu", "hardware_class": X}, format="json").status_code == 200
    assert client.post(url, {"engine": "openvino-cpu", "hardware_class": Y}, format="json").status_code == 200
    seen = _answers_from_both(client, onnx_model, test_image)
    assert (seen[X]["engine"], seen[X]["choice"]["engine"]) == ("onnxruntime-cpu", "onnxruntime-cpu")
    assert (seen[Y]["engine"], seen[Y]["choice"]["hardware_class"]) == ("openvino-cpu", Y)

    assert client.post(url, {"engine": ""}, format="json").status_code == 200  # cleared everywhere: defaults
    seen = _answers_from_both(client, onnx_model, test_image)
    assert {(body["engine"], body["choice"]) for body in seen.values()} == {(DEFAULT, None)}
