"""The pool's model cache alone: a model loads and warms up once, the least recently used one is evicted past the
bound, and a format no engine here serves or a file that does not load is an error the request gets."""
import pytest

from inference.batching import RequestError
from inference.model_cache import ModelCache

ENGINES_HERE = {"onnxruntime-cpu": {"available": True, "reason": ""},
                "tensorrt": {"available": False, "reason": "no GPU"}}


class FakeEngine:
    name = "onnxruntime-cpu"
    fixed_imgsz = None

    def __init__(self, path):
        self.path, self.warmed = path, []

    def warmup(self, imgsz):
        self.warmed.append(imgsz)

    def describe(self):
        return {"device": "cpu", "input_shape": [1, 3, 64, 64], "other": "left out"}


def cache(loads: list, **kwargs) -> ModelCache:
    def load(name, path):
        if path == "broken.onnx":
            raise ValueError("not an ONNX file")
        loads.append((name, path))
        return FakeEngine(path)

    return ModelCache(engines=ENGINES_HERE, load=load, **{"max_models": 2, **kwargs})


def get(models: ModelCache, model_id: int, model_format: str = "onnx", file: str | None = None):
    return models.get(model_id=model_id, model_format=model_format, file=file or f"m{model_id}.onnx", selected="",
                      imgsz=64)


def test_a_model_is_loaded_and_warmed_up_once_then_served_warm():
    loads = []
    models = cache(loads)

    first, again = get(models, 1), get(models, 1)

    assert first is again
    assert loads == [("onnxruntime-cpu", "m1.onnx")]
    assert first.engine.warmed == [64]
    assert models.describe() == [{"model_id": 1, "engine": "onnxruntime-cpu", "note": "", "device": "cpu",
                                  "input_shape": [1, 3, 64, 64], "loaded_at": first.loaded_at,
                                  "last_used": first.last_used}]


def test_a_model_whose_local_file_comes_from_a_function_is_still_loaded_once():
    """As the pool asks: the store name is the key, the local file a new function per request (the host's artifact
    cache, asked only to load). Keyed on the function, every prediction loaded and warmed the model again."""
    loads, asked = [], []
    models = cache(loads)

    def local_file():
        asked.append(1)
        return "/cache/m1.onnx"

    for _ in range(3):
        warm = models.get(model_id=1, model_format="onnx", file="models/ab12.onnx", path=lambda: local_file(),
                          selected="", imgsz=64)

    assert loads == [("onnxruntime-cpu", "/cache/m1.onnx")] and len(asked) == 1
    assert warm.engine.warmed == [64]


def test_the_least_recently_used_model_is_evicted_past_the_count():
    loads = []
    models = cache(loads)
    get(models, 1), get(models, 2), get(models, 1)  # 2 is now the least recently used

    get(models, 3)

    assert [m["model_id"] for m in models.describe()] == [1, 3]


def test_memory_over_the_limit_evicts_all_but_the_model_just_loaded():
    models = cache([], max_models=10, max_rss_mb=100, rss_mb=lambda: 500)
    get(models, 1), get(models, 2), get(models, 3)

    assert [m["model_id"] for m in models.describe()] == [3]


def test_a_format_no_engine_here_serves_is_409_with_the_reason():
    with pytest.raises(RequestError) as refused:
        get(cache([]), 1, model_format="tensorrt", file="m.engine")

    assert refused.value.status == 409
    assert "tensorrt: no GPU" in refused.value.detail


def test_a_model_that_does_not_load_is_422_unservable_and_is_not_cached():
    models = cache([])
    with pytest.raises(RequestError) as failed:
        get(models, 1, file="broken.onnx")

    assert failed.value.status == 422 and failed.value.unservable
    assert "this model cannot be served: onnxruntime-cpu could not load model 1: not an ONNX file" in failed.value.detail
    assert models.describe() == []


def test_an_engines_availability_is_probed_once_per_process_not_on_every_load(tmp_path):
    from inference.engines import engines_available
    from inference.engines.base import Engine

    probes = []

    class Counted(Engine):
        name, formats = "counted-test-engine", ("onnx",)

        @classmethod
        def available(cls):
            probes.append(1)
            return True, ""

        def _load(self, path, device):
            self.input_shape = (1, 3, 64, 64)

    for _ in range(3):
        Counted().load(tmp_path / "m.onnx")
    engines_available()

    assert len(probes) == 1
