"""The project's imports read from the source with `ast` (nothing is imported), for tests/test_import_graph.py (no
loop, no long module) and tests/test_import_layers.py (the dependency direction, reasons for imports in functions).

An import names the module it depends on: `from .engines import ENGINES` depends on `inference.engines` (its
__init__), `from . import channel` on `inference.channel`. Imports under `if TYPE_CHECKING:` never run and are left
out. An import is *function-level* when it sits inside a function (it runs when the function is called, after every
module has loaded, so it cannot take part in a loop at import time), else *module-level* (also inside module-level
if/try/with blocks and class bodies).
"""
import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A reason comment, on the import's line or the line above: `# deferred: torch` (a heavy or optional library, or
# Django's app loading), `# cycle: <the module that imports this one back>`, `# layer: <why it goes up>`.
REASON = re.compile(r"#.*\b(deferred|cycle|layer):")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    line: int
    target: str  # the dotted name imported (a project module when `project` is True)
    project: bool
    function_level: bool
    reason: str  # the reason comment's tag ("deferred", "cycle", "layer"), "" without one

    @property
    def where(self) -> str:
        return f"{self.module}:{self.line}"


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


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _import_nodes(tree: ast.Module):
    """(import node, function_level) for every import that can run."""
    pending = [(node, False) for node in tree.body]
    while pending:
        node, in_function = pending.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, in_function
        elif _is_type_checking(node):
            continue
        else:
            inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            pending.extend((child, inside) for child in ast.iter_child_nodes(node))


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module `name` is, or lies in (an attribute of a module); None outside the project."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _reason(lines: list[str], node: ast.stmt) -> str:
    above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
    candidates = lines[node.lineno - 1:(node.end_lineno or node.lineno)] + ([above] if above.startswith("#") else [])
    return next((found.group(1) for line in candidates if (found := REASON.search(line))), "")


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    source = path.read_text()
    lines = source.splitlines()
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node, function_level in _import_nodes(ast.parse(source, filename=str(path))):
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
        reason = _reason(lines, node)
        for target in dict.fromkeys(targets):
            resolved = _resolve(target, modules)
            if resolved != name:
                found.append(Import(name, node.lineno, resolved or target, resolved is not None, function_level,
                                    reason))
    return found


def all_imports() -> list[Import]:
    modules = project_modules()
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules)]


def import_graph(*, function_level: bool = False) -> dict[str, set[str]]:
    """Module -> the project modules it imports at module level (and in functions too, with function_level, but for
    the ones commented `# cycle:`, which break a loop on purpose)."""
    graph: dict[str, set[str]] = {name: set() for name in project_modules()}
    for imp in all_imports():
        if imp.project and (not imp.function_level or (function_level and imp.reason != "cycle")):
            graph[imp.module].add(imp.target)
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
