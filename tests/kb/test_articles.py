from __future__ import annotations

from pathlib import Path

import pytest

from marketdesk.kb.articles import (
    default_topics_file,
    load_articles,
    load_topics,
    parse_article,
)

FIXTURES = Path(__file__).parent / "fixtures"
TOPICS = load_topics(FIXTURES / "topics.yaml")

GOOD = """---
slug: coupons
title: Купоны
audience: customer
questions: [как применить купон]
---
Текст ответа.
"""


def test_fixture_kb_loads() -> None:
    result = load_articles(FIXTURES / "good", TOPICS)
    assert result.errors == []
    slugs = sorted(a.slug for a in result.articles)
    assert slugs == [
        "balance_withdrawal",
        "certificate_activation",
        "coupon_ban",
        "coupon_ban",
        "coupons",
        "seller_support",
    ]
    hint = next(a for a in result.articles if a.audience == "operator")
    assert hint.section == "Бан купонов"
    assert hint.situation.startswith("Клиент просит")
    ban = next(a for a in result.articles if a.slug == "coupon_ban" and a.audience == "customer")
    assert "СЕКРЕТНАЯ" in ban.internal_note
    assert "СЕКРЕТНАЯ" not in ban.body
    assert ban.path is not None and ban.path.name == "coupon_ban.md"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad_yaml.md", "---\nslug: coupons\ntitle: [unclosed\n---\nТекст\n", "not valid YAML"),
        ("no_front.md", "Просто текст без заголовка\n", "no front matter"),
        ("no_title.md", "---\nslug: coupons\naudience: customer\n---\nТекст\n", "'title'"),
        (
            "bad_audience.md",
            "---\nslug: coupons\ntitle: T\naudience: robot\n---\nТекст\n",
            "audience",
        ),
        (
            "unknown.md",
            "---\nslug: no_such_topic\ntitle: T\naudience: customer\n---\nТекст\n",
            "unknown slug 'no_such_topic'",
        ),
        ("empty_body.md", "---\nslug: coupons\ntitle: T\naudience: customer\n---\n\n", "no body"),
        (
            "bad_questions.md",
            "---\nslug: coupons\ntitle: T\naudience: customer\nquestions: {a: 1}\n---\nТекст\n",
            "'questions'",
        ),
    ],
)
def test_bad_article_gives_error_naming_the_file_and_others_load(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = load_articles(tmp_path, TOPICS)
    assert [a.slug for a in result.articles] == ["coupons"]
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.path == tmp_path / name
    assert message in error.message
    assert name in str(error)


def test_undecodable_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "latin1.md").write_bytes("---\nslug: coupons\n---\nпривет".encode("cp1251"))
    result = load_articles(tmp_path, TOPICS)
    assert len(result.articles) == 1
    assert result.errors[0].path.name == "latin1.md"


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    result = load_articles(tmp_path / "nope", TOPICS)
    assert result.articles == []
    assert "not found" in result.errors[0].message


def test_parse_article_fields() -> None:
    art = parse_article(GOOD)
    assert art.slug == "coupons"
    assert art.questions == ("как применить купон",)
    assert art.keywords == ()
    assert art.body == "Текст ответа."
    assert art.customer_facing


def test_topics_and_missing_facts() -> None:
    topic = TOPICS["balance_withdrawal"]
    assert topic.facts == (("100",), ("баланс",))
    assert topic.missing_facts("Вывести можно от 100 рублей с Баланса") == []
    assert topic.missing_facts("Вывести можно всё") == [("100",), ("баланс",)]
    # «ё» is read as «е» on both sides
    assert TOPICS["coupon_ban"].missing_facts("Ограничён; заявка") == []


def test_topics_file_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETDESK_TOPICS_FILE", str(FIXTURES / "topics.yaml"))
    assert default_topics_file() == FIXTURES / "topics.yaml"
    monkeypatch.delenv("MARKETDESK_TOPICS_FILE")
    assert default_topics_file().name == "topics.yaml"
