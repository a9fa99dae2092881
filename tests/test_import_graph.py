"""The house's shape, checked from the source: no import loop between the project's modules and no module over
300 lines (migrations and tests aside).

The graph is built from module-level imports only (read with `ast`, nothing is imported): an import inside a
function runs when it is called, after every module has loaded, so it cannot take part in a loop at import time.
Imports under `if TYPE_CHECKING:` do not run either. An edge goes to the module an import names: `from .engines
import ENGINES` depends on `inference.engines` (its __init__), `from . import channel` on `inference.channel`.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 300


def _is_test_or_migration(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return ("migrations" in parts or "tests" in parts or path.name.startswith("test_")
            or path.name == "conftest.py")


def project_modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the project's top-level packages (not tests or migrations)."""
    modules = {}
    for package in sorted(p.parent for p in ROOT.glob("*/__init__.py")):
        for path in sorted(package.rglob("*.py")):
            if _is_test_or_migration(path) or any(part.startswith(".") for part in path.parts):
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(tree: ast.Module):
    """Import statements that run when the module is imported (also inside module-level if/try blocks)."""
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody
                           + [stmt for handler in node.handlers for stmt in handler.body])
        elif isinstance(node, ast.With):
            pending.extend(node.body)


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module `name` is, or lies in (an attribute of a module); None outside the project."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rpartition(".")[0]
        for node in _module_level_imports(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")
                    anchor = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # `from package import submodule` depends on the submodule; `from module import name` on the module
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                resolved = _resolve(target, modules)
                if resolved is not None and resolved != name:
                    graph[name].add(resolved)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), each as a sorted list."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


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


def test_no_project_module_is_over_300_lines():
    long = {str(path.relative_to(ROOT)): lines for path in project_modules().values()
            if (lines := len(path.read_text().splitlines())) > MAX_LINES}

    assert long == {}, f"modules over {MAX_LINES} lines (split them by sub-domain): {long}"
