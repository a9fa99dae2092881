"""The dependency direction, checked from the source (tests/import_graph.py reads the imports):

    core <- accounts <- jobs <- hosts <- registry <- serving <- training | inference <- benchmarks | searches
         <- reports <- config

`a <- b`: b may import a, never the reverse, at module level or inside a function. Siblings on one level (training
and inference; benchmarks and searches) are independent: neither imports the other (none does, so no loop between
them can start). An import that must go against the direction says why in a comment on its line or the line above
(`# cycle: ...`, `# layer: ...`). `client/` is a package of its own that imports no platform module; `tests/` and
`platform/` stand outside the layers.

And an import inside a function is the exception: one of a project module, or of a library that is not heavy, says
why it is not at the top of the module (`# deferred: Django's app registry`, `# cycle: reports.collectors imports
this module`). Heavy libraries (torch, ultralytics...) are deferred as a matter of course; their comment is welcome.
"""
import ast

from tests.import_graph import ROOT, all_imports

LAYERS = [("core",), ("accounts",), ("jobs",), ("hosts",), ("registry",), ("serving",), ("training", "inference"),
          ("benchmarks", "searches"), ("reports",), ("config",)]
RANK = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}

# Deferred without a word: importing them costs seconds or a GPU context, and only some processes need them.
HEAVY = {"torch", "torchvision", "ultralytics", "onnx", "onnxruntime", "onnxsim", "openvino", "tensorrt",
         "matplotlib", "optuna", "pycuda", "cv2"}

def _package(module: str) -> str:
    return module.split(".")[0]


def _against_the_direction(imp) -> bool:
    here, there = _package(imp.module), _package(imp.target)
    return here != there and (RANK[there] > RANK[here] or (RANK[there] == RANK[here]))


def test_every_package_has_a_layer():
    packages = {_package(imp.module) for imp in all_imports()}

    assert packages - set(RANK) == set(), "packages missing from LAYERS: place them in the house"


def test_no_import_goes_up_the_house_unless_it_says_why():
    upward = sorted(f"{imp.where} -> {imp.target}{' (in a function)' if imp.function_level else ''}"
                    for imp in all_imports() if imp.project and not imp.reason and _against_the_direction(imp))

    assert upward == [], "imports against " + " <- ".join("/".join(p) for p in LAYERS) + ":\n" + "\n".join(upward)


def test_an_import_going_up_would_be_seen():
    from tests.import_graph import Import

    assert _against_the_direction(Import("jobs.tasks", 1, "hosts.reaping", True, True, ""))
    assert _against_the_direction(Import("training.x", 1, "inference.y", True, False, ""))
    assert not _against_the_direction(Import("hosts.tasks", 1, "jobs.lifecycle", True, False, ""))


def test_an_import_inside_a_function_says_why():
    silent = sorted(f"{imp.where} {imp.target}" for imp in all_imports()
                    if imp.function_level and not imp.reason and imp.target.split(".")[0] not in HEAVY)

    assert silent == [], ("imports inside functions without `# deferred: ...` or `# cycle: ...` (move them to the "
                          "top of the module, or say why not):\n" + "\n".join(silent))


def test_the_client_imports_no_platform_module():
    packages = set(RANK)
    found = []
    for path in sorted((ROOT / "client").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            found += [f"{path.relative_to(ROOT)}:{node.lineno} {name}" for name in names
                      if name.split(".")[0] in packages]

    assert found == [], "the client talks to the API only:\n" + "\n".join(found)
