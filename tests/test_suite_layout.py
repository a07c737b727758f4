"""The test suite's own layout: helpers live in one place and no test module imports another.

A test module that others import is a fixture library in disguise: moving or renaming
one of its tests breaks files that never ran it, and what it shares is found only by
reading every importer. So helpers are `tests/harness/` (builders, drivers, waiting,
journals, virtual time), stand-ins are `tests/fakes/` (servers, generated chat and
journals), fixtures are in `conftest.py`; every other module under tests/ is a test
module (`test_*.py`), and nothing, the benchmarks included, imports one.

And `make test-fast` (pytest -m "not slow") leaves out what drives a browser, a real
terminal or a package build: every test that uses those drivers is marked slow.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELPERS = ("harness", "fakes")  # the packages under tests/ that hold what tests share


def module_of(path: Path, root: Path) -> str:
    """The dotted name `path` (under `root`) is imported as."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, module) for each import in `path`, relative ones resolved; `from X import Y`
    counts as X and as X.Y (Y may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_of(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def enclosing_test_module(name: str) -> str | None:
    """The test module `name` is, or is in (a test_*.py under tests/, or a conftest,
    which pytest imports itself), else None."""
    parts = name.split(".")
    if parts[0] != "tests":
        return None
    for end, part in enumerate(parts[1:], start=2):
        if part.startswith("test_") or part == "conftest":
            return ".".join(parts[:end])
    return None


def layout_problems(root: Path) -> list[str]:
    """What breaks the rules in `root`'s tests/ (and benchmarks/, which may use the
    harness): one line each, naming the file and line."""
    problems: list[str] = []
    tests = root / "tests"
    sources = sorted(tests.rglob("*.py"))
    if (root / "benchmarks").is_dir():
        sources += sorted((root / "benchmarks").rglob("*.py"))
    for path in sources:
        where = path.relative_to(root)
        if path.is_relative_to(tests):
            inner = path.relative_to(tests).parts
            allowed = path.name in ("__init__.py", "conftest.py") or path.name.startswith("test_")
            if not allowed and inner[0] not in HELPERS:
                problems.append(
                    f"{where}: a helper outside tests/harness and tests/fakes "
                    "(move it there, or name it test_*.py if it holds tests)"
                )
        found = {(line, enclosing_test_module(name)) for line, name in imports_of(path, root)}
        for line, module in sorted((line, module) for line, module in found if module):
            problems.append(f"{where}:{line}: imports the test module {module}")
    return problems


# What makes a test slow, by where it comes from (a module, or one of its names).
SLOW_DRIVERS = ("tests.harness.browser", "tests.harness.tmux", "tests.harness.cli.copy_checkout")


def _marks_slow(decorators: list[ast.expr]) -> bool:
    return any("mark.slow" in ast.unparse(decorator) for decorator in decorators)


def unmarked_slow_tests(path: Path, root: Path) -> list[str]:
    """The tests in `path` that use a slow driver (directly, through a helper, class or
    fixture of the module) without the `slow` mark (theirs or the module's)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    drivers: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if node.module in SLOW_DRIVERS or full in SLOW_DRIVERS:
                    drivers.add(alias.asname or alias.name)
    module_slow = any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
        and "mark.slow" in ast.unparse(node.value)
        for node in tree.body
    )
    defined = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]

    def uses_a_driver(node: ast.AST) -> bool:
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        names |= {a.arg for n in ast.walk(node) if isinstance(n, ast.arguments) for a in n.args}
        return bool(names & drivers)

    growing = True
    while growing:  # helpers, classes and fixtures that use a driver are drivers too
        found = {
            node.name
            for node in defined
            if not node.name.startswith("test_") and uses_a_driver(node)
        }
        growing = not found <= drivers
        drivers |= found
    if module_slow:
        return []
    return [
        f"{path.relative_to(root)}::{node.name}"
        for node in defined
        if node.name.startswith("test_")
        and uses_a_driver(node)
        and not _marks_slow(node.decorator_list)
    ]


def test_no_test_module_imports_another_and_helpers_live_in_one_place() -> None:
    problems = layout_problems(ROOT)
    assert problems == [], "\n".join(problems)


def test_the_check_finds_a_test_module_imported_any_way_and_a_stray_helper(
    tmp_path: Path,
) -> None:
    tests = tmp_path / "tests"
    (tests / "engine").mkdir(parents=True)
    (tests / "harness").mkdir()
    (tmp_path / "benchmarks").mkdir()
    for package in (tests, tests / "engine", tests / "harness"):
        (package / "__init__.py").write_text("")
    (tests / "conftest.py").write_text("from tests.harness.builders import build\n")
    (tests / "harness" / "builders.py").write_text("def build() -> None: ...\n")
    (tests / "engine" / "test_router.py").write_text("from tests.harness import builders\n")
    (tests / "engine" / "helpers.py").write_text("X = 1\n")
    (tests / "engine" / "test_console.py").write_text(
        "import os\n"
        "from tests.engine.test_router import build, test_a_mention\n"
        "from tests.engine import test_router\n"
        "from . import test_router as again\n"
        "from .test_router import build as built\n"
        "import tests.engine.test_router\n"
        "from tests.harness.builders import build as fine\n"
    )
    (tmp_path / "benchmarks" / "bench.py").write_text("from tests.engine.test_router import x\n")
    assert layout_problems(tmp_path) == [
        "tests/engine/helpers.py: a helper outside tests/harness and tests/fakes "
        "(move it there, or name it test_*.py if it holds tests)",
        "tests/engine/test_console.py:2: imports the test module tests.engine.test_router",
        "tests/engine/test_console.py:3: imports the test module tests.engine.test_router",
        "tests/engine/test_console.py:4: imports the test module tests.engine.test_router",
        "tests/engine/test_console.py:5: imports the test module tests.engine.test_router",
        "tests/engine/test_console.py:6: imports the test module tests.engine.test_router",
        "benchmarks/bench.py:1: imports the test module tests.engine.test_router",
    ]


def test_every_test_driving_a_browser_a_terminal_or_a_package_build_is_marked_slow() -> None:
    tests = sorted((ROOT / "tests").rglob("test_*.py"))
    unmarked = [name for path in tests for name in unmarked_slow_tests(path, ROOT)]
    assert unmarked == [], "mark these @pytest.mark.slow:\n" + "\n".join(unmarked)


def test_the_slow_check_follows_helpers_fixtures_and_module_marks(tmp_path: Path) -> None:
    module = tmp_path / "test_page.py"
    module.write_text(
        "import pytest\n"
        "from tests.harness.browser import Page\n"
        "from tests.harness.cli import copy_checkout, run_botdeck\n"
        "def opened(): return Page(None)\n"
        "@pytest.fixture\n"
        "def checkout(tmp_path): return copy_checkout(tmp_path, tmp_path)\n"
        "def test_direct(): Page(None)\n"
        "def test_through_a_helper(): opened()\n"
        "def test_through_a_fixture(checkout): pass\n"
        "@pytest.mark.slow\n"
        "def test_marked(): opened()\n"
        "def test_quick(): run_botdeck('check')\n"
    )
    assert unmarked_slow_tests(module, tmp_path) == [
        "test_page.py::test_direct",
        "test_page.py::test_through_a_helper",
        "test_page.py::test_through_a_fixture",
    ]
    module.write_text(module.read_text() + "pytestmark = pytest.mark.slow\n")
    assert unmarked_slow_tests(module, tmp_path) == []
