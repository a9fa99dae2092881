"""Load an untrusted `.onnx` with ONNX Runtime and run it once on zeros; meant for the sandboxed child (sandbox.py).

Usage: `python -m registry.model_versions.inspection.onnx_load <path> <imgsz>`. Prints one JSON object on stdout: `{"ok": true}`
or `{"ok": false, "error": "..."}`. The checks on the graph (dimensions, operator domains) run in the web process
first; this is what only a real load shows: a node that allocates gigabytes (ConstantOfShape with a huge shape,
folded at load or run on the first call), an operator the runtime cannot build. The memory rlimit of the child
turns such an allocation into a refusal here instead of a dead inference worker later. Django-free on purpose.
"""
import json
import sys

import numpy as np

DTYPES = {"tensor(float)": "float32", "tensor(float16)": "float16", "tensor(double)": "float64",
          "tensor(uint8)": "uint8", "tensor(int8)": "int8", "tensor(int32)": "int32", "tensor(int64)": "int64",
          "tensor(bool)": "bool"}


def _shape(dims, imgsz: int) -> list[int]:
    """A concrete shape for an input: declared sizes as they are, a free batch 1, free spatial sizes `imgsz`."""
    shape = []
    for index, dim in enumerate(dims):
        if isinstance(dim, int) and dim > 0:
            shape.append(dim)
        else:
            shape.append(imgsz if len(dims) == 4 and index >= 2 else 1)
    return shape


def load_and_run(path: str, imgsz: int) -> None:
    import onnxruntime as ort  # deferred: onnxruntime

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
    feeds = {}
    for value in session.get_inputs():
        dtype = DTYPES.get(value.type)
        if dtype is None:
            raise ValueError(f"input {value.name!r} has an unsupported type {value.type}")
        feeds[value.name] = np.zeros(_shape(value.shape, imgsz), dtype=dtype)
    session.run(None, feeds)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # ONNX Runtime names the file it loads ("Load model from /abs/path failed"): the uploader must not see it
    return text.replace(sys.argv[1], "<model>")[:300] if len(sys.argv) > 1 else text[:300]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(json.dumps({"ok": False, "error": "usage: onnx_load <path> <imgsz>"}))
        return 2
    out = sys.stdout
    sys.stdout = sys.stderr  # library chatter must not corrupt the one JSON line on stdout
    try:
        load_and_run(argv[0], int(argv[1]))
        answer, code = {"ok": True}, 0
    except MemoryError:
        answer, code = {"ok": False, "error": "the model needs more memory than inspection allows",
                        "kind": "resources"}, 2
    except Exception as exc:  # noqa: BLE001 - any failure to load or run is the refusal's reason
        memory = any(word in str(exc) for word in ("bad_alloc", "Failed to allocate", "AllocateRaw",
                                                   "Unable to allocate"))
        answer = ({"ok": False, "error": "the model needs more memory than inspection allows", "kind": "resources"}
                  if memory else {"ok": False, "error": f"ONNX Runtime cannot load or run it: {_reason(exc)}",
                                  "kind": "invalid"})
        code = 2
    out.write(json.dumps(answer) + "\n")
    out.flush()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
