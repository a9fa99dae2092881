"""Check an uploaded `.onnx` with the ONNX checker and read what the registry records: opset, inputs, outputs,
class names and input size from ultralytics' metadata_props (parsed as Python literals, never evaluated).

Loading an ONNX file parses a protobuf and runs no code. Files that point at external tensor data are refused:
an upload is one file, and an external-data path could name any file on the server. What an engine would later
choke on is refused here too: an input dimension past training's largest imgsz (a 1x3x100000x100000 input asks
ONNX Runtime for 112 GiB), and an operator outside the standard domains the engines implement (a custom
`com.evil` op fails to load, with the server's path in the message). A load and one run on zeros in the sandbox
(sandbox.onnx_load_in_subprocess) catches what only a load shows, such as a node that allocates gigabytes.
"""
import ast
from pathlib import Path

MAX_DIMENSION = 2048  # training.parameters.IMGSZ's upper bound (kept Django-free here); also bounds batch and channels
# ONNX's own operator sets: every engine here (ONNX Runtime, OpenVINO, TensorRT's parser) implements them
STANDARD_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml"})


class OnnxInspectionError(Exception):
    """The ONNX file was refused; the message is meant for the uploader."""


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _value_info(value) -> dict:
    import onnx  # deferred: onnx

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


def _graphs(graph):
    """A graph and every subgraph of its nodes (If/Loop/Scan bodies), depth first."""
    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("g"):
                yield from _graphs(attribute.g)
            for sub in attribute.graphs:
                yield from _graphs(sub)


def _check_domains(model) -> None:
    """Every node's operator comes from a standard domain, or is a function the model defines from them."""
    functions = {(f.domain, f.name) for f in model.functions}
    nodes = [node for graph in _graphs(model.graph) for node in graph.node]
    nodes += [node for function in model.functions for node in function.node]
    for node in nodes:
        if node.domain not in STANDARD_DOMAINS and (node.domain, node.op_type) not in functions:
            raise OnnxInspectionError(f"operator {node.domain}:{node.op_type} is not from a standard ONNX domain "
                                      f"({', '.join(repr(d) for d in sorted(STANDARD_DOMAINS))}): no engine here "
                                      f"can run custom operators")
    for opset in model.opset_import:
        if opset.domain not in STANDARD_DOMAINS and not any(d == opset.domain for d, _ in functions):
            raise OnnxInspectionError(f"the model imports the operator set {opset.domain!r}, which is not a "
                                      f"standard ONNX domain")


def _check_dimensions(inputs: list[dict], input_size) -> None:
    for value in inputs:
        for dim in value["shape"]:
            if isinstance(dim, int) and not 0 <= dim <= MAX_DIMENSION:
                raise OnnxInspectionError(f"input {value['name']!r} has a dimension of {dim}, over the limit of "
                                          f"{MAX_DIMENSION} (the largest training imgsz)")
    if isinstance(input_size, int) and not 0 < input_size <= MAX_DIMENSION:
        raise OnnxInspectionError(f"the model's input size {input_size} is outside 1..{MAX_DIMENSION} "
                                  f"(the largest training imgsz)")


def onnx_describe(*, path: Path) -> dict:
    """Registry metadata of the ONNX model at `path`, or OnnxInspectionError naming the problem."""
    import onnx  # deferred: onnx
    from onnx.external_data_helper import uses_external_data  # deferred: onnx

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

    _check_domains(model)
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
    _check_dimensions(inputs, input_size)
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
