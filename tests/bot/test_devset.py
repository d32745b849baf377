"""The development set on the real knowledge base, and the author's held-out set."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketdesk.bot import Bot
from marketdesk.bot.evaluation import evaluate, format_report
from marketdesk.kb.articles import default_topics_file, load_articles, load_topics

from .conftest import REAL_KB, dev_questions_path

HELDOUT = Path(__file__).with_name("heldout.tsv")
HELDOUT_BLIND = Path(__file__).with_name("heldout_blind.tsv")
HELDOUT_ROUND2 = Path(__file__).with_name("heldout_round2.tsv")
PROBES = Path(__file__).with_name("probes.tsv")  # round-2 tuning probes (not held out)


@pytest.fixture(scope="module")
def topics() -> dict:
    path = default_topics_file()
    if not path.is_file():
        pytest.skip(f"topics file not found: {path}")
    return load_topics(path)


def test_dev_set_accuracy(real_bot: Bot, topics: dict) -> None:
    path = dev_questions_path()
    if not path.is_file():
        pytest.skip(f"development set not found: {path} (set MARKETDESK_DEV_QUESTIONS)")
    report = evaluate(real_bot, path, topics)
    text = format_report(report)
    assert report.answer_total >= 50, text
    assert report.topic_accuracy >= 0.95, text
    assert report.action_accuracy >= 0.95, text
    assert report.fact_coverage >= 0.95, text


@pytest.mark.parametrize(
    "path",
    [HELDOUT, HELDOUT_BLIND, HELDOUT_ROUND2, PROBES],
    ids=["heldout", "blind", "round2", "probes"],
)
def test_heldout_accuracy(real_bot: Bot, topics: dict, path: Path) -> None:
    report = evaluate(real_bot, path, topics)
    text = format_report(report)
    assert report.total >= 40, text
    assert report.topic_accuracy >= 0.85, text
    assert report.action_accuracy >= 0.85, text


def test_every_topic_has_a_customer_facing_article(topics: dict) -> None:
    result = load_articles(REAL_KB, topics)
    assert result.errors == [], [str(e) for e in result.errors]
    covered = {a.slug for a in result.articles if a.customer_facing}
    assert sorted(set(topics) - covered) == []


def test_every_customer_article_states_the_facts_of_its_topic(topics: dict) -> None:
    result = load_articles(REAL_KB, topics)
    missing = {
        f"{a.path.name if a.path else a.slug}": topics[a.slug].missing_facts(a.body)
        for a in result.articles
        if a.customer_facing and topics[a.slug].missing_facts(a.body)
    }
    assert missing == {}


def test_internal_notes_are_not_in_bodies(topics: dict) -> None:
    for art in load_articles(REAL_KB, topics).articles:
        if art.internal_note:
            assert art.internal_note.strip() not in art.body
