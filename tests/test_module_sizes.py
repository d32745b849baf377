"""Modules stay small enough to read (issue 19): no Python module over 900 lines, migrations
aside, and no script of the web pages over 600 — split by what the code does instead."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "marketdesk"
MAX_MODULE_LINES = 900
MAX_SCRIPT_LINES = 600


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_python_module_is_over_900_lines() -> None:
    modules = [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts]
    assert len(modules) > 50  # the package is really there
    too_long = {str(p.relative_to(PACKAGE)): _lines(p) for p in modules}
    assert {p: n for p, n in too_long.items() if n > MAX_MODULE_LINES} == {}


def test_no_script_of_the_web_pages_is_over_600_lines() -> None:
    scripts = list((PACKAGE / "web").rglob("*.js"))
    assert len(scripts) > 5  # the console's modules, the widget, the shared helpers
    too_long = {str(p.relative_to(PACKAGE)): _lines(p) for p in scripts}
    assert {p: n for p, n in too_long.items() if n > MAX_SCRIPT_LINES} == {}
