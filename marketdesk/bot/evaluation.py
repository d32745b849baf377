"""Evaluate the bot on a TSV of questions (``topic<TAB>action<TAB>question``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from marketdesk.bot.core import BotReply
from marketdesk.kb.articles import Topic

__all__ = ["EvalItem", "EvalReport", "Miss", "evaluate", "format_report", "read_questions"]


class _Asks(Protocol):
    def ask(self, text: object) -> BotReply: ...


@dataclass(frozen=True, slots=True)
class EvalItem:
    topic: str | None  # expected; None for "-"
    action: str  # expected
    question: str
    line: int


@dataclass(frozen=True, slots=True)
class Miss:
    kind: str  # "topic" | "action" | "facts"
    line: int
    question: str
    expected: str
    got: str
    detail: str = ""


@dataclass
class EvalReport:
    answer_total: int = 0
    topic_correct: int = 0
    other_total: int = 0
    action_correct: int = 0
    fact_total: int = 0
    fact_complete: int = 0
    misses: list[Miss] = field(default_factory=list)
    replies: list[tuple[EvalItem, BotReply]] = field(default_factory=list)

    @property
    def topic_accuracy(self) -> float:
        return self.topic_correct / self.answer_total if self.answer_total else 1.0

    @property
    def action_accuracy(self) -> float:
        return self.action_correct / self.other_total if self.other_total else 1.0

    @property
    def fact_coverage(self) -> float:
        return self.fact_complete / self.fact_total if self.fact_total else 1.0

    @property
    def total(self) -> int:
        return self.answer_total + self.other_total

    def passed(self, topic_bar: float = 0.95, action_bar: float = 0.95) -> bool:
        return self.topic_accuracy >= topic_bar and self.action_accuracy >= action_bar


def read_questions(path: Path) -> list[EvalItem]:
    """Items of a TSV file; lines starting with ``#`` and blank lines are skipped."""
    items: list[EvalItem] = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            raise ValueError(f"{path}:{n}: expected topic<TAB>action<TAB>question")
        topic, action, question = parts[0].strip(), parts[1].strip(), "\t".join(parts[2:])
        if action not in ("answer", "handoff", "refuse"):
            raise ValueError(f"{path}:{n}: unknown action {action!r}")
        items.append(EvalItem(None if topic in ("-", "") else topic, action, question, n))
    return items


def evaluate(bot: _Asks, tsv_path: Path, topics: Mapping[str, Topic]) -> EvalReport:
    """Topic accuracy on ``answer`` items, action accuracy on the others, and fact
    coverage: for each ``answer`` item, every fact of the expected topic is in the
    answer the bot returned."""
    report = EvalReport()
    for item in read_questions(tsv_path):
        reply = bot.ask(item.question)
        report.replies.append((item, reply))
        got = f"{reply.action}/{reply.topic or '-'}"
        if item.action == "answer":
            report.answer_total += 1
            if reply.action == "answer" and reply.topic == item.topic:
                report.topic_correct += 1
            else:
                report.misses.append(
                    Miss(
                        "topic",
                        item.line,
                        item.question,
                        f"answer/{item.topic}",
                        got,
                        f"confidence {reply.confidence:.2f}",
                    )
                )
            topic = topics.get(item.topic or "")
            if topic is not None:
                report.fact_total += 1
                missing = topic.missing_facts(reply.answer)
                if not missing:
                    report.fact_complete += 1
                else:
                    report.misses.append(
                        Miss(
                            "facts",
                            item.line,
                            item.question,
                            item.topic or "-",
                            got,
                            "missing: " + "; ".join(" | ".join(f) for f in missing),
                        )
                    )
        else:
            report.other_total += 1
            if reply.action == item.action:
                report.action_correct += 1
            else:
                report.misses.append(
                    Miss(
                        "action",
                        item.line,
                        item.question,
                        item.action,
                        got,
                        f"confidence {reply.confidence:.2f}",
                    )
                )
    return report


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def format_report(report: EvalReport) -> str:
    lines = [
        f"questions:       {report.total}",
        f"topic accuracy:  {_pct(report.topic_accuracy)} "
        f"({report.topic_correct}/{report.answer_total} answer items)",
        f"action accuracy: {_pct(report.action_accuracy)} "
        f"({report.action_correct}/{report.other_total} handoff/refuse items)",
        f"fact coverage:   {_pct(report.fact_coverage)} "
        f"({report.fact_complete}/{report.fact_total} answers state every fact of their topic)",
    ]
    if report.misses:
        lines.append("")
        lines.append(f"misses ({len(report.misses)}):")
        for m in report.misses:
            extra = f"  [{m.detail}]" if m.detail else ""
            lines.append(
                f"  line {m.line} {m.kind}: {m.question!r} "
                f"expected {m.expected}, got {m.got}{extra}"
            )
    else:
        lines.append("")
        lines.append("no misses")
    return "\n".join(lines)
