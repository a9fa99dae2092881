"""TensorRT engine builds from ONNX with the tensorrt Python API, and a parity run of the built engine.

Needs a worker with the `tensorrt` package and a CUDA GPU (PyTorch's CUDA tensors serve as the engine's I/O
buffers, so no pycuda is required). `tensorrt_missing()` says which of the two a worker lacks, so a job on a CPU
worker fails at once with that message. Supports TensorRT 8.5+ (named I/O tensors) and 10.x.
An engine is tied to the GPU model and the TensorRT version that built it: both are recorded in the metadata, with
the precision it really computes in (`engine_precision`, which the inference engine reads too).
"""
import json
import time
from pathlib import Path

import numpy as np

from .onnx import ConversionError

# words of the inspector's "Format/Datatype" ("Half", "Row major linear FP16 format", "Int8"...) -> precision
_DATATYPES = {"half": "fp16", "fp16": "fp16", "float": "fp32", "fp32": "fp32", "int8": "int8", "fp8": "fp8",
              "bfloat16": "bf16", "bf16": "bf16"}


def engine_precision(engine, trt) -> str:
    """The precision a built engine really computes in, read from the engine (not from how it was asked for).

    The engine inspector lists every layer's output format ("Half", "Float", "Int8"...) when the engine was built
    with detailed profiling verbosity (tensorrt_build builds so); the lowest precision any compute layer uses names
    the engine (an FP16 build keeps a few layers in FP32). Without layer details, the input tensor's type: HALF
    means fp16; otherwise "unknown" rather than a guess.
    """
    found = set()
    try:
        inspector = engine.create_engine_inspector()
        info = json.loads(inspector.get_engine_information(trt.LayerInformationFormat.JSON))
        for layer in info.get("Layers", []):
            for output in (layer.get("Outputs") or []) if isinstance(layer, dict) else []:
                words = str(output.get("Format/Datatype", "")).lower().replace(",", " ").split()
                found.update(_DATATYPES[word] for word in words if word in _DATATYPES)
    except Exception:  # an engine without an inspector (older TensorRT): fall through to the I/O types
        found = set()
    for label in ("int8", "fp8", "fp16", "bf16", "fp32"):
        if label in found:
            return label
    try:
        name = next(engine.get_tensor_name(i) for i in range(engine.num_io_tensors)
                    if engine.get_tensor_mode(engine.get_tensor_name(i)) == trt.TensorIOMode.INPUT)
        if engine.get_tensor_dtype(name) == trt.DataType.HALF:
            return "fp16"
    except Exception:
        pass
    return "unknown"


def tensorrt_build_site() -> dict:
    """The GPU model and TensorRT version an engine built on this worker carries in its metadata ({} where this
    worker cannot build one): an engine built elsewhere loads here only when both match."""
    if tensorrt_missing():
        return {}
    import tensorrt  # deferred: tensorrt
    import torch  # deferred: torch

    return {"gpu": torch.cuda.get_device_name(0), "tensorrt_version": tensorrt.__version__}


def tensorrt_missing() -> list[str]:
    """What this worker lacks for TensorRT builds ([] when it can build)."""
    missing = []
    try:
        import tensorrt  # noqa: F401  # deferred: tensorrt
    except (ImportError, OSError):
        missing.append("TensorRT is not installed on this worker")
    try:
        import torch  # deferred: torch

        has_gpu = torch.cuda.is_available()
    except Exception:
        has_gpu = False
    if not has_gpu:
        missing.append("there is no CUDA GPU on this worker")
    return missing


def _logger():
    import tensorrt as trt  # deferred: tensorrt

    return trt.Logger(trt.Logger.WARNING)


def tensorrt_build(*, onnx_path: Path, engine_path: Path, half: bool, workspace_gb: int, imgsz: int,
                   max_batch: int = 1) -> dict:
    """Parse the ONNX, build a serialized engine (FP16 when `half`), write it; returns build facts."""
    import tensorrt as trt  # deferred: tensorrt
    import torch  # deferred: torch

    major = int(trt.__version__.split(".")[0])
    if (major, int(trt.__version__.split(".")[1])) < (8, 5):
        raise ConversionError(f"TensorRT {trt.__version__} is too old on this worker (8.5 or newer is needed)")
    logger = _logger()
    builder = trt.Builder(logger)
    flags = 0 if major >= 10 else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
    network = builder.create_network(flags)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = [str(parser.get_error(i)) for i in range(parser.num_errors)]
        raise ConversionError("TensorRT could not parse the ONNX model: " + "; ".join(errors[:5]))
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_gb) << 30)
    config.profiling_verbosity = trt.ProfilingVerbosity.DETAILED  # so the engine can say its layers' precision
    if half:
        if not getattr(builder, "platform_has_fast_fp16", True):
            raise ConversionError("this GPU has no fast FP16 support; convert with half=false")
        config.set_flag(trt.BuilderFlag.FP16)
    inputs = [network.get_input(i) for i in range(network.num_inputs)]
    if any(-1 in tuple(tensor.shape) for tensor in inputs):  # a dynamic ONNX: one optimisation profile
        profile = builder.create_optimization_profile()
        for tensor in inputs:
            shape = tuple(tensor.shape)

            def sized(batch, shape=shape):
                return tuple(batch if (i == 0 and d == -1) else (imgsz if d == -1 else d) for i, d in enumerate(shape))

            profile.set_shape(tensor.name, sized(1), sized(1), sized(max_batch))
        config.add_optimization_profile(profile)
    started = time.monotonic()
    serialized = builder.build_serialized_network(network, config)
    seconds = time.monotonic() - started
    if serialized is None:
        raise ConversionError("TensorRT failed to build the engine (see the worker log for the builder's errors)")
    engine_path.write_bytes(bytes(serialized))
    built = trt.Runtime(logger).deserialize_cuda_engine(bytes(serialized))
    precision = engine_precision(built, trt) if built is not None else "unknown"
    capability = torch.cuda.get_device_capability(0)
    return {
        "tensorrt_version": trt.__version__,
        "precision": precision,  # read from the built engine, not from the flag asked for
        "requested_precision": "fp16" if half else "fp32",
        "gpu": torch.cuda.get_device_name(0),
        "compute_capability": f"{capability[0]}.{capability[1]}",
        "build_seconds": round(seconds, 3),
        "workspace_gb": workspace_gb,
        "inputs": [{"name": t.name, "shape": list(t.shape)} for t in inputs],
        "outputs": [{"name": network.get_output(i).name, "shape": list(network.get_output(i).shape)}
                    for i in range(network.num_outputs)],
    }


_TORCH_DTYPES = {"float32": "float32", "float16": "float16", "int32": "int32", "int64": "int64", "int8": "int8",
                 "bool": "bool", "uint8": "uint8"}


def tensorrt_run(*, engine_path: Path, inputs: dict) -> dict:
    """Run the engine once on `inputs` (name → float32 numpy array); returns output name → numpy array."""
    import tensorrt as trt  # deferred: tensorrt
    import torch  # deferred: torch

    runtime = trt.Runtime(_logger())
    engine = runtime.deserialize_cuda_engine(engine_path.read_bytes())
    if engine is None:
        raise ConversionError("TensorRT could not load the engine it just built")
    context = engine.create_execution_context()
    names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
    buffers, output_names = {}, []
    for name in names:
        dtype = getattr(torch, _TORCH_DTYPES[np.dtype(trt.nptype(engine.get_tensor_dtype(name))).name])
        if engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT:
            tensor = torch.from_numpy(np.ascontiguousarray(inputs[name])).to("cuda", dtype).contiguous()
            context.set_input_shape(name, tuple(tensor.shape))
            buffers[name] = tensor
    for name in names:
        if engine.get_tensor_mode(name) == trt.TensorIOMode.OUTPUT:
            dtype = getattr(torch, _TORCH_DTYPES[np.dtype(trt.nptype(engine.get_tensor_dtype(name))).name])
            buffers[name] = torch.empty(tuple(context.get_tensor_shape(name)), dtype=dtype, device="cuda")
            output_names.append(name)
    for name, tensor in buffers.items():
        context.set_tensor_address(name, tensor.data_ptr())
    stream = torch.cuda.Stream()
    torch.cuda.synchronize()
    if not context.execute_async_v3(stream.cuda_stream):
        raise ConversionError("TensorRT failed to run the engine")
    stream.synchronize()
    return {name: buffers[name].float().cpu().numpy() for name in output_names}
