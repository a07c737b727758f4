"""The test suite's own layout: helpers live in one place and no test module imports another.

A test module that others import is a fixture library in disguise: moving or renaming
one of its tests breaks files that never ran it, and what it shares is found only by
reading every importer. So helpers are `tests/harness/` (builders, drivers, waiting,
journals, virtual time), stand-ins are `tests/fakes/` (servers, generated chat and
journals), fixtures are in `conftest.py`; every other module under tests/ is a test
module (`test_*.py`), and nothing, the benchmarks included, imports one.
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
