"""The folders are the architecture: imports go commands -> gateway -> core, never back; in
the core, the engine knows kinds only through the registry; no module imports itself round
a circle; modules stay small. Each rule is checked on the package and on a planted tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "reconciler"
# What each folder may not import: the core stays pure, the gateway layer knows no commands,
# the engine reaches kinds only through reconciler.core.registry.
FORBIDDEN = {
    "core": ("reconciler.gateway", "reconciler.commands", "reconciler.sandbox", "httpx",
             "subprocess", "socket"),
    "core/engine": ("reconciler.core.kinds",),
    "gateway": ("reconciler.commands", "reconciler.sandbox"),
}
MAX_LINES = 300


def _module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path) -> set[str]:
    """Every module imported, at any depth (lazy imports count), except under TYPE_CHECKING."""
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
               and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def forbidden_imports(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)} imports {name}"
        for folder, banned in FORBIDDEN.items()
        for path in sorted((root / folder).rglob("*.py"))
        for name in sorted(_runtime_imports(path))
        if any(name == bad or name.startswith(bad + ".") for bad in banned)
    ]


def import_circles(root: Path) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), by runtime imports."""
    modules = {_module(p, root): p for p in root.rglob("*.py")}
    graph = {m: sorted({n for n in _runtime_imports(p) if n in modules and n != m})
             for m, p in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return circles


def long_modules(root: Path) -> list[str]:
    return [f"{p.relative_to(root)}: {n} lines" for p in sorted(root.rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]


def test_layers_import_only_downwards_and_the_engine_no_kind() -> None:
    assert forbidden_imports(PACKAGE) == []


def test_no_import_circle() -> None:
    assert import_circles(PACKAGE) == []


def test_modules_stay_small() -> None:
    assert long_modules(PACKAGE) == []


def test_only_the_registry_and_the_kinds_themselves_name_a_kind_in_the_core() -> None:
    offending = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted((PACKAGE / "core").rglob("*.py"))
        if "kinds" not in path.parts and path.name != "registry.py"
        and path.relative_to(PACKAGE).parts[:2] != ("core", "input")  # kind schemas
        and path.relative_to(PACKAGE).parts[:2] != ("core", "observe")  # reads keys/models
        for name in sorted(_runtime_imports(path))
        if name.startswith("reconciler.core.kinds.")
    ]
    assert offending == []


def _plant(root: Path, files: dict[str, str]) -> Path:
    package = root / "reconciler"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("core/engine/plan.py", "from reconciler.core.kinds.key.diff import diff\n",
     "core/engine/plan.py imports reconciler.core.kinds.key.diff"),
    ("core/engine/plan.py", "def f():\n    import reconciler.core.kinds.key\n",
     "core/engine/plan.py imports reconciler.core.kinds.key"),
    ("core/render/text.py", "import httpx\n", "core/render/text.py imports httpx"),
    ("gateway/client.py", "from reconciler.commands import cli\n",
     "gateway/client.py imports reconciler.commands"),
])
def test_a_planted_forbidden_import_is_named(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    assert expected in forbidden_imports(_plant(tmp_path, {name: text}))


def test_a_planted_circle_is_named_and_type_checking_imports_are_not_one(tmp_path: Path) -> None:
    package = _plant(tmp_path, {
        "core/a.py": "from reconciler.core import b\n",
        "core/b.py": "def f():\n    from reconciler.core.a import x\n",
        "core/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                     "    from reconciler.core.d import y\n",
        "core/d.py": "from reconciler.core.c import z\n",
    })
    assert import_circles(package) == [["reconciler.core.a", "reconciler.core.b"]]


def test_a_planted_long_module_is_named(tmp_path: Path) -> None:
    package = _plant(tmp_path, {"core/big.py": "x = 1\n" * (MAX_LINES + 1)})
    assert long_modules(package) == [f"core/big.py: {MAX_LINES + 1} lines"]
