"""The house's shape, checked from the source: no import loop between the project's modules and no module over
300 lines (migrations and tests aside). The imports are read by tests/import_graph.py.

An import inside a function runs when it is called, after every module has loaded, so it cannot take part in a loop
at import time; but a loop that only a function-level import closes is still a tangle, so those count too, except
the ones commented `# cycle: ...` (which break a loop on purpose, and say so). Whether an import inside a function
is allowed at all is tests/test_import_layers.py's question.
"""
from tests.import_graph import ROOT, import_cycles, import_graph, project_modules

MAX_LINES = 300


def test_the_graph_sees_the_project_and_its_module_level_imports():
    graph = import_graph()

    assert "inference.pool" in graph and "config.settings" in graph
    assert "jobs.models" in graph["training.models"]  # its base, JobSubject
    assert not any(name.startswith("tests") or ".migrations" in name for name in graph)


def test_a_loop_would_be_found():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_itself_back_through_others():
    cycles = import_cycles(import_graph())

    assert cycles == [], "import loops (module-level imports): " + "; ".join(" <-> ".join(c) for c in cycles)


def test_no_loop_closes_through_an_import_inside_a_function_unless_it_says_so():
    cycles = import_cycles(import_graph(function_level=True))

    assert cycles == [], ("import loops through imports inside functions (restructure, or comment the one that "
                          "breaks it `# cycle: ...`): " + "; ".join(" <-> ".join(c) for c in cycles))


def test_no_project_module_is_over_300_lines():
    long = {str(path.relative_to(ROOT)): lines for path in project_modules().values()
            if (lines := len(path.read_text().splitlines())) > MAX_LINES}

    assert long == {}, f"modules over {MAX_LINES} lines (split them by sub-domain): {long}"
