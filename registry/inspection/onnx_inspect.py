"""Check an uploaded `.onnx` with the ONNX checker and read what the registry records: opset, inputs, outputs,
class names and input size from ultralytics' metadata_props (parsed as Python literals, never evaluated).

Loading an ONNX file parses a protobuf and runs no code. Files that point at external tensor data are refused:
an upload is one file, and an external-data path could name any file on the server.
"""
import ast
from pathlib import Path


class OnnxInspectionError(Exception):
    """The ONNX file was refused; the message is meant for the uploader."""


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _value_info(value) -> dict:
    import onnx

    tensor = value.type.tensor_type
    shape = []
    for dim in tensor.shape.dim:
        if dim.HasField("dim_value"):
            shape.append(dim.dim_value)
        else:
            shape.append(dim.dim_param or None)
    try:
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
    except Exception:
        dtype = onnx.TensorProto.DataType.Name(tensor.elem_type).lower()
    return {"name": value.name, "shape": shape, "dtype": dtype}


def onnx_describe(*, path: Path) -> dict:
    """Registry metadata of the ONNX model at `path`, or OnnxInspectionError naming the problem."""
    import onnx
    from onnx.external_data_helper import uses_external_data

    path = Path(path)
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:
        raise OnnxInspectionError(f"the file is not a readable ONNX model ({type(exc).__name__})") from None
    if not model.graph.node and not model.graph.input:
        raise OnnxInspectionError("the file is not an ONNX model: its graph is empty")
    external = [t.name for t in model.graph.initializer if uses_external_data(t)]
    if external:
        raise OnnxInspectionError(f"the model keeps tensors in external data files ({external[0]}...): upload a "
                                  f"single self-contained .onnx file")
    try:
        onnx.checker.check_model(str(path))  # path-based: works past protobuf's 2 GB in-memory limit
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:400] if str(exc).strip() else type(exc).__name__
        raise OnnxInspectionError(f"the ONNX checker rejected the model: {first}") from None

    props = {p.key: p.value for p in model.metadata_props}
    names = _literal(props["names"]) if "names" in props else None
    if isinstance(names, dict):
        class_names = [str(names[k]) for k in sorted(names)]
    elif isinstance(names, (list, tuple)):
        class_names = [str(n) for n in names]
    else:
        class_names = []
    initializer_names = {t.name for t in model.graph.initializer}
    inputs = [_value_info(v) for v in model.graph.input if v.name not in initializer_names]
    outputs = [_value_info(v) for v in model.graph.output]
    imgsz = _literal(props["imgsz"]) if "imgsz" in props else None
    if isinstance(imgsz, (list, tuple)) and imgsz and all(isinstance(v, int) for v in imgsz):
        input_size = max(imgsz)
    elif inputs and len(inputs[0]["shape"]) == 4 and all(isinstance(v, int) for v in inputs[0]["shape"][2:]):
        input_size = max(inputs[0]["shape"][2:])
    else:
        input_size = None
    parameters = 0
    for tensor in model.graph.initializer:
        count = 1
        for dim in tensor.dims:
            count *= dim
        parameters += count
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    return {
        "task": props.get("task") or "unknown",
        "class_names": class_names,
        "input_size": input_size,
        "parameters": parameters,
        "opset": opset,
        "ir_version": model.ir_version,
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "inputs": inputs,
        "outputs": outputs,
        "ultralytics_version": props.get("version"),
        "dynamic": any(not isinstance(d, int) for i in inputs for d in i["shape"]),
        "metadata_props": {k: v[:500] for k, v in list(props.items())[:30]},
    }
