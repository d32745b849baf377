"""The error catalogue: one status per code, snake_case codes, Russian messages, no free
codes at raise sites, and docs/errors.md generated from it."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from marketdesk.domain.certificates import CertificateRefusal
from marketdesk.domain.markdown import MarkdownCheck
from marketdesk.domain.withdrawal import WithdrawalRefusal
from marketdesk.services import errors
from marketdesk.services.errors import (
    CERTIFICATE_REFUSALS,
    HTTP_ERRORS,
    MARKDOWN_REFUSALS,
    WITHDRAWAL_REFUSALS,
    Conflict,
    ConversationNotFound,
    InvalidInput,
    InvalidRating,
    NotFound,
    RateLimited,
    ServiceError,
    catalogue,
    error_class,
    render_markdown,
)
from tests.errors import CYRILLIC

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "marketdesk"
SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


def test_every_code_has_exactly_one_status():
    statuses: dict[str, set[int]] = defaultdict(set)
    for entry in catalogue():
        statuses[entry.code].add(entry.status)
    assert len(statuses) > 100
    assert {code: s for code, s in statuses.items() if len(s) != 1} == {}
    for code, (status,) in statuses.items():
        assert error_class(code).status == status


def test_decided_statuses():
    # issue 19: one status for what was answered two ways
    assert error_class("not_assigned").status == 403
    assert error_class("wrong_line").status == 403
    assert error_class("operator_not_on_line").status == 409
    assert error_class("invalid_code").status == 401
    assert error_class("invalid_certificate_code").status == 422


def test_codes_are_snake_case():
    bad = [e.code for e in catalogue() if not SNAKE_CASE.fullmatch(e.code)]
    assert bad == []


def test_every_message_is_russian():
    bad = [(e.name, e.message) for e in catalogue() if not CYRILLIC.search(e.message)]
    assert bad == []


def test_a_placeholder_template_comes_with_an_example():
    for entry in catalogue():
        cls = getattr(errors, entry.name)
        if not CYRILLIC.search(cls.template):
            assert cls.example is not None, entry.name


def test_class_names_are_unique_and_exported():
    names = [e.name for e in catalogue()]
    assert len(names) == len(set(names))
    assert all(getattr(errors, name, None) is not None for name in names)


def test_a_code_registered_twice_fails():
    with pytest.raises(TypeError, match="registered twice"):
        type("AnotherNotFound", (NotFound,), {"code": "conversation_not_found"})


def test_a_variant_cannot_change_the_status():
    with pytest.raises(TypeError, match="404"):
        type("LouderNotFound", (ConversationNotFound,), {"status": 410})


def test_the_template_is_filled_and_the_rest_are_details():
    error = ConversationNotFound(conversation_id=5)
    assert error.message == "Диалог 5 не найден."
    assert (error.status, error.code, error.details) == (404, "conversation_not_found", {})
    rating = InvalidRating(fields=["rating"])
    assert (rating.message, rating.details) == ("Оценка — от 1 до 5.", {"fields": ["rating"]})
    limited = RateLimited(retry_after=0)
    assert limited.retry_after == 1 and limited.details == {"retry_after": 1}
    with pytest.raises(TypeError, match="conversation_id"):
        ConversationNotFound()


def test_a_free_code_or_message_is_refused():
    """The code and the message are the class's: a new refusal is a new class."""
    with pytest.raises(TypeError, match="catalogue"):
        InvalidInput(code="something")
    with pytest.raises(TypeError, match="catalogue"):
        Conflict(message="Текст.")
    with pytest.raises(TypeError):
        NotFound("Текст.")  # type: ignore[misc]


def test_every_class_renders_a_message():
    for entry in catalogue():
        cls = getattr(errors, entry.name)
        fields = errors.template_fields(cls.template)
        error = cls(**{name: 1 for name in fields})
        assert error.message and error.code == entry.code and error.status == entry.status


@pytest.mark.parametrize(
    ("table", "kinds"),
    [
        (WITHDRAWAL_REFUSALS, list(WithdrawalRefusal)),
        (CERTIFICATE_REFUSALS, list(CertificateRefusal)),
        (MARKDOWN_REFUSALS, [c for c in MarkdownCheck if c is not MarkdownCheck.OK]),
    ],
)
def test_every_refusal_of_a_rule_has_its_class(table, kinds):
    assert set(table) == set(kinds)
    assert all(cls.code == str(kind) for kind, cls in table.items())


def test_http_statuses_have_their_class():
    assert all(cls.status == status for status, cls in HTTP_ERRORS.items())


def _error_class_names() -> set[str]:
    found: set[str] = set()
    stack: list[type[ServiceError]] = [ServiceError]
    while stack:
        cls = stack.pop()
        found.add(cls.__name__)
        stack.extend(cls.__subclasses__())
    return found


def _free_codes(path: Path, names: set[str], root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        for keyword in node.keywords:
            if (
                keyword.arg == "code"
                and isinstance(keyword.value, ast.Constant)
                and isinstance(keyword.value.value, str)
                and name in names
            ):
                found.append(f"{path.relative_to(root)}:{node.lineno} {name}(code=...)")
    return found


def test_raise_sites_use_the_catalogue():
    """An error is raised as a catalogue class, not as a kind with a free ``code="..."``."""
    names = _error_class_names()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += _free_codes(path, names)
    assert found == []


def test_the_scan_finds_a_free_code(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        'raise NotFound("Нет.", code="nothing")\nraise errors.Conflict("Нет.", code="x")\n'
        "raise ProductNotFound(product_id=1)\nws.close(code=1008)\n",
        encoding="utf-8",
    )
    assert _free_codes(sample, _error_class_names(), tmp_path) == [
        "sample.py:1 NotFound(code=...)",
        "sample.py:2 Conflict(code=...)",
    ]


def test_docs_list_the_whole_catalogue():
    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert page == render_markdown(), (
        "docs/errors.md is stale: python3 -m marketdesk.services.errors > docs/errors.md"
    )
