"""Labels that say what ran: an ONNX Runtime CUDA/TensorRT session that fell back to the CPU is refused (the pool
does not serve it as that engine, a benchmark row is `failed`), a TensorRT engine's precision is read from the
built engine, and OpenVINO reports the precision its compiled model really runs. GPU-only parts use the smallest
fakes of what cannot run here: an ORT session reporting the CPU provider only, a TensorRT engine object."""
import json
from types import SimpleNamespace

import numpy as np
import pytest

from inference.engines import onnxruntime as ort_engines
from registry.conversions.tensorrt import engine_precision


class _CpuOnlySession:
    """What onnxruntime.InferenceSession gives when the CUDA provider cannot start: it runs on the CPU."""

    def __init__(self, path, sess_options=None, providers=None):
        self.asked = providers

    def get_providers(self):
        return ["CPUExecutionProvider"]

    def get_inputs(self):
        return [SimpleNamespace(name="images", shape=[1, 3, 64, 64])]

    def get_outputs(self):
        return [SimpleNamespace(name="output0")]


@pytest.fixture
def cuda_provider_falls_back(monkeypatch):
    import onnxruntime

    monkeypatch.setattr(onnxruntime, "InferenceSession", _CpuOnlySession)
    for cls in (ort_engines.OnnxRuntimeCudaEngine, ort_engines.OnnxRuntimeTensorrtEngine):
        for probe in ("available", "availability"):  # availability: a per-process cache of the probe, where present
            monkeypatch.setattr(cls, probe, classmethod(lambda cls: (True, "")), raising=False)


@pytest.mark.parametrize("cls", [ort_engines.OnnxRuntimeCudaEngine, ort_engines.OnnxRuntimeTensorrtEngine])
def test_an_onnxruntime_gpu_engine_whose_session_runs_on_the_cpu_refuses_to_load(cls, cuda_provider_falls_back,
                                                                                 tmp_path):
    with pytest.raises(ort_engines.ProviderFallback, match=f"instead of {cls.provider}"):
        cls().load(tmp_path / "model.onnx")


def test_the_pool_refuses_to_serve_a_fallen_back_session_as_the_cuda_engine(cuda_provider_falls_back, tmp_path):
    from inference.batching import RequestError
    from inference.model_cache import ModelCache

    cache = ModelCache(engines={"onnxruntime-cuda": {"available": True, "reason": ""}}, max_models=2)
    with pytest.raises(RequestError, match="CPUExecutionProvider"):
        cache.get(model_id=1, model_format="onnx", file=str(tmp_path / "model.onnx"), selected="onnxruntime-cuda",
                  imgsz=64)
    assert not cache.models


def test_a_benchmark_row_of_a_fallen_back_session_is_failed(cuda_provider_falls_back, monkeypatch, tmp_path):
    from benchmarks.steps import load
    from benchmarks.variants import VARIANTS

    rows = []
    version = SimpleNamespace(file="model.onnx", format="onnx")
    state = SimpleNamespace(params={"batch_sizes": [1], "imgsz": 64}, progress=lambda message: None,
                            row=lambda variant, batch, status, reason="", **fields: rows.append((status, reason)))
    monkeypatch.setattr(load, "model_file_local", lambda version: SimpleNamespace(held=lambda: tmp_path / version.file))
    loaded = load.engine_load(state, VARIANTS["onnxruntime-cuda"], version)
    assert loaded is None
    assert rows[0][0] == "failed" and "instead of CUDAExecutionProvider" in rows[0][1]


class _Inspector:
    def __init__(self, layers):
        self.layers = layers

    def get_engine_information(self, fmt):
        return json.dumps({"Layers": self.layers})


class _FakeTrtEngine:
    """A built engine as TensorRT's Python API shows it: an inspector and typed I/O tensors."""

    def __init__(self, layer_formats, input_dtype="FLOAT", inspector=True):
        self.layer_formats, self.input_dtype, self.inspector = layer_formats, input_dtype, inspector
        self.num_io_tensors = 2

    def create_engine_inspector(self):
        if not self.inspector:
            raise AttributeError("no inspector")
        return _Inspector([{"Name": f"l{i}", "Outputs": [{"Format/Datatype": f}]} for i, f in
                           enumerate(self.layer_formats)])

    def get_tensor_name(self, i):
        return ["images", "output0"][i]

    def get_tensor_mode(self, name):
        return "INPUT" if name == "images" else "OUTPUT"

    def get_tensor_dtype(self, name):
        return self.input_dtype


_TRT = SimpleNamespace(LayerInformationFormat=SimpleNamespace(JSON="json"),
                       TensorIOMode=SimpleNamespace(INPUT="INPUT"), DataType=SimpleNamespace(HALF="HALF"))


@pytest.mark.parametrize("formats, input_dtype, inspector, expected", [
    (["Row major linear FP16 format", "Row major linear FP32"], "FLOAT", True, "fp16"),  # FP16 build, FP32 I/O
    (["Half", "Float"], "FLOAT", True, "fp16"),  # older TensorRT wording
    (["Row major linear FP32", "Float"], "FLOAT", True, "fp32"),  # half=False: never fp16
    (["Int8", "Half"], "FLOAT", True, "int8"),
    ([], "HALF", False, "fp16"),  # no layer details: the input's type
    ([], "FLOAT", False, "unknown"),  # nothing to read it from: said, not guessed
])
def test_a_tensorrt_engine_says_the_precision_it_was_built_in(formats, input_dtype, inspector, expected):
    assert engine_precision(_FakeTrtEngine(formats, input_dtype, inspector), _TRT) == expected


def test_the_tensorrt_variant_takes_its_precision_from_the_engine():
    from benchmarks.variants import VARIANTS

    assert VARIANTS["tensorrt"].precision == ""  # "" = the loaded engine's describe()["precision"]


@pytest.fixture(scope="module")
def tiny_onnx(tiny_weights, tmp_path_factory):
    from registry.conversions.onnx import onnx_export

    return onnx_export(weights=tiny_weights, workdir=tmp_path_factory.mktemp("ov"), imgsz=64, opset=None,
                       dynamic=False, simplify=False)[0]


def test_openvino_reports_the_precision_its_compiled_model_runs(tiny_onnx, settings):
    from inference.engines import OpenVinoCpuEngine

    ok, reason = OpenVinoCpuEngine.available()
    if not ok:
        pytest.skip(reason)
    default = OpenVinoCpuEngine().load(tiny_onnx)
    hint = default.compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
    assert default.describe()["precision"] == {"f32": "fp32", "bf16": "bf16", "f16": "fp16"}[hint]
    settings.INFERENCE_OPENVINO_PRECISION = "f32"
    pinned = OpenVinoCpuEngine().load(tiny_onnx)
    assert pinned.describe()["precision"] == "fp32"
    assert pinned.run(np.zeros((1, 3, 64, 64), dtype=np.float32)).shape[1] > 4
