from __future__ import annotations

from pathlib import Path

import pytest

from marketdesk.bot import BotReply
from marketdesk.bot.evaluation import evaluate, format_report, read_questions
from marketdesk.kb.articles import Topic


class FakeBot:
    def __init__(self, replies: dict[str, BotReply]) -> None:
        self.replies = replies

    def ask(self, text: object) -> BotReply:
        return self.replies[str(text)]


def test_evaluate_counts_and_misses(tmp_path: Path) -> None:
    tsv = tmp_path / "q.tsv"
    tsv.write_text(
        "# header\na\tanswer\tq1\na\tanswer\tq2\n-\thandoff\tq3\n-\trefuse\tq4\n",
        encoding="utf-8",
    )
    topics = {"a": Topic("a", "customer", "A", (("сто",), ("баланс", "счет")))}
    bot = FakeBot(
        {
            "q1": BotReply("answer", "a", 0.9, "Сто рублей на Балансе"),
            "q2": BotReply("answer", "b", 0.9, "другое"),
            "q3": BotReply("handoff", None, 0.1, "оператор"),
            "q4": BotReply("handoff", None, 0.1, "оператор"),
        }
    )
    report = evaluate(bot, tsv, topics)
    assert (report.topic_correct, report.answer_total) == (1, 2)
    assert (report.action_correct, report.other_total) == (1, 2)
    assert (report.fact_complete, report.fact_total) == (1, 2)
    kinds = sorted(m.kind for m in report.misses)
    assert kinds == ["action", "facts", "topic"]
    text = format_report(report)
    assert "topic accuracy:  50.0 %" in text
    assert "'q4' expected refuse, got handoff/-" in text
    assert not report.passed()


def test_read_questions_rejects_bad_lines(tmp_path: Path) -> None:
    tsv = tmp_path / "bad.tsv"
    tsv.write_text("a\tmaybe\tq\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown action"):
        read_questions(tsv)
    tsv.write_text("only one column\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected topic"):
        read_questions(tsv)
