"""The package's shape: stages that import one way along the flow, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent.parent / "ssbtek_validator"
NAME = PACKAGE.name
#: the stages of the flow, in order: a module imports from its own stage and from earlier ones only
STAGES = ("results", "reading", "packs", "rules", "run", "report", "certify", "strategies", "fuzz", "traffic", "cli")
#: modules of the package itself, above every stage
TOP = {"__init__", "__main__", "api", "pytest_plugin"}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """The package's modules this file imports when it runs, wherever the import stands (inside a function
    too: an import moved into a function to dodge a cycle is still a cycle); ``if TYPE_CHECKING:`` blocks,
    which never run, are left out."""
    here = _module(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith(NAME))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.startswith(NAME):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module(path): path for path in PACKAGE.rglob("*.py")}
    return {name: {t for t in _runtime_imports(path) if t in modules and t != name} for name, path in modules.items()}


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_no_import_cycle_in_the_package():
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if node.startswith(target + "."):
                continue  # a module and the package it lives in
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_every_module_lives_in_a_stage():
    names = {p.stem for p in PACKAGE.glob("*.py")} | {p.name for p in PACKAGE.iterdir() if p.is_dir()}
    assert names - TOP - set(STAGES) - {"_bundled", "__pycache__"} == set()


def test_no_stage_imports_a_later_one():
    """results → reading → packs → rules → run → report → …: nothing reaches forward along the flow."""
    order = {stage: index for index, stage in enumerate(STAGES)}
    forward = [
        f"{name} → {target}"
        for name, targets in _graph().items()
        if _stage(name)
        for target in targets
        if _stage(target) and order[_stage(target)] > order[_stage(name)]
    ]
    assert forward == []
