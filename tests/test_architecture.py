"""The house has floors: a module imports only from its own floor or the floors below, and
no import cycle exists (``docs/architecture.md`` names the floors and why).

Read from the source with ``ast``, so a violation is found without importing anything:
an import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The floors, lowest first. A module belongs to the floor of the longest prefix naming it.
FLOORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundation",
        (
            "bot.config",
            "bot.clock",
            "bot.logs",
            "bot.metrics",
            "bot.privacy",
            "bot.urls",
            "bot.db",
            "bot.store",
            "bot.errors",
            "bot.pdf",
            "bot.files",
            "bot.data",
        ),
    ),
    ("staff roles", ("bot.staff.roles",)),
    ("models", ("bot.models",)),
    ("staff kernel", ("bot.staff",)),
    ("WeChat transport", ("bot.wechat",)),
    ("chat engine", ("bot.engine",)),
    ("cases domain", ("bot.cases",)),
    ("annual report domain", ("bot.annual",)),
    ("content domain", ("bot.content",)),
    ("public pages", ("bot.public",)),
    ("staff console", ("bot.admin",)),
    ("resident capabilities", ("handlers",)),
    ("wiring", ("bot.health", "bot.seed", "bot.cli", "bot")),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    paths = [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]
    return {module_name(p): p for p in paths if "migrations" not in p.parts}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``path`` imports (``from a import b`` counts ``a.b`` if a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                found.add(dotted if dotted in modules else node.module)
    return {name for name in found if name in modules}


def floor_of(module: str) -> int:
    best, floor = -1, -1
    for number, (_, prefixes) in enumerate(FLOORS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, floor = len(prefix), number
    assert floor >= 0, f"{module} is on no floor: add it to FLOORS and docs/architecture.md"
    return floor


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def test_every_module_imports_only_from_its_floor_or_below() -> None:
    upward = [
        f"{module} ({FLOORS[floor_of(module)][0]}) imports {target} ({FLOORS[floor_of(target)][0]})"
        for module, targets in sorted(graph().items())
        for target in sorted(targets)
        if floor_of(target) > floor_of(module)
    ]
    assert not upward, "imports that go up a floor:\n" + "\n".join(upward)


def test_no_module_imports_itself_back_through_others() -> None:
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_test_modules_share_helpers_through_the_support_module_only() -> None:
    """What several test modules use is in ``tests/support.py`` (fixtures in ``conftest.py``):
    a test module imported by another drags its fixtures and its module code along."""
    borrowed = [
        f"{path.name} imports {name}"
        for path in sorted((ROOT / "tests").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else [a.name for a in node.names]
        )
        if name.startswith(("tests.test_", "tests.conftest"))
    ]
    assert not borrowed, "test modules importing others:\n" + "\n".join(borrowed)
