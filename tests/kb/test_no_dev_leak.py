"""The development set must not be copied into the knowledge base.

If a development question is one of an article's example questions or keywords,
the development score measures recall of the example list, not how the bot
generalises. Equality is checked after the bot's normalisation (case, ё/е,
punctuation, look-alike letters); for example questions also on the sequence of
content lemmas (synonyms applied, stop words out), because that is what the index
compares: «Какие у вас скидки?» and «где скидки» are the same example to it.
(Keywords are single terms and are not compared as whole questions, so a keyword
«скидка» is fine.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from marketdesk.bot.evaluation import read_questions
from marketdesk.kb.articles import Article, load_articles
from marketdesk.text.analyzer import TextAnalyzer
from marketdesk.text.normalize import normalize

REPO = Path(__file__).resolve().parents[2]
REAL_KB = REPO / "content" / "kb"


def _dev_path() -> Path:
    env = os.environ.get("MARKETDESK_DEV_QUESTIONS")
    return Path(env) if env else REPO.parent / "shared" / "kb" / "dev-questions.tsv"


def _texts(article: Article) -> list[tuple[str, str]]:
    return [
        *(("question", q) for q in article.questions),
        *(("keyword", k) for k in article.keywords),
    ]


def _leaks(articles: list[Article], questions: list[str]) -> list[str]:
    analyzer = TextAnalyzer()
    by_norm = {normalize(q): q for q in questions}
    by_lemmas = {analyzer.analyse(q).content: q for q in questions}
    out: list[str] = []
    for art in articles:
        name = art.path.name if art.path else art.slug
        for field, text in _texts(art):
            dev = by_norm.get(normalize(text))
            if dev is None and field == "question":
                content = analyzer.analyse(text).content
                dev = by_lemmas.get(content) if content else None
            if dev is not None:
                out.append(f"{name}: {field} {text!r} is the dev question {dev!r}")
    return out


def test_no_dev_question_in_the_knowledge_base() -> None:
    path = _dev_path()
    if not path.is_file():
        pytest.skip(f"development set not found: {path}")
    questions = [item.question for item in read_questions(path)]
    assert len(questions) >= 50
    result = load_articles(REAL_KB)
    assert result.articles
    assert _leaks(result.articles, questions) == []


HELDOUT = sorted((REPO / "tests" / "bot").glob("heldout*.tsv"))


@pytest.mark.parametrize("path", HELDOUT, ids=[p.stem for p in HELDOUT])
def test_no_heldout_question_in_the_knowledge_base(path: Path) -> None:
    """The held-out sets measure generalisation only if the articles do not contain
    them either (answer items; «оператор!!!» may well be a keyword)."""
    questions = [item.question for item in read_questions(path) if item.action == "answer"]
    assert _leaks(load_articles(REAL_KB).articles, questions) == []


def test_the_leak_check_catches_copies() -> None:
    art = Article(
        slug="discounts",
        title="Скидки",
        audience="customer",
        body="Текст.",
        questions=("КАКИЕ у вас скидки", "где скидки", "другой вопрос про распродажу"),
        keywords=("Что за флеш-распродажа", "скидка"),
    )
    leaks = _leaks([art], ["Какие у вас скидки?", "что за флеш распродажа"])
    assert len(leaks) == 3, leaks
    assert any("question" in leak for leak in leaks)
    assert any("keyword" in leak for leak in leaks)
