"""The gate an article edit passes before it goes live: ``marketdesk kb check`` on the
knowledge base with the edit (no article may fail to load that loaded before), and the bot's
evaluation sets (``marketdesk bot eval``) answered with and without it; the figures of both
are shown to the editor, and a drop needs their confirmation."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from marketdesk.bot import Bot
from marketdesk.bot.evaluation import evaluate
from marketdesk.kb.articles import Topic, default_topics_file, load_articles, load_topics

__all__ = ["Candidate", "Comparison", "SetFigures", "check_candidate"]


class SetFigures(BaseModel):
    """One evaluation set's figures (as ``marketdesk bot eval`` prints them)."""

    name: str
    questions: int
    topic_correct: int
    topic_total: int
    action_correct: int
    action_total: int
    facts_complete: int
    facts_total: int


class Comparison(BaseModel):
    before: list[SetFigures]
    after: list[SetFigures]
    drops: list[str]
    errors: list[str]  # kb check: the articles that fail with the edit (and did not before)


_MEASURES = (
    ("topic_correct", "темы"),
    ("action_correct", "действия"),
    ("facts_complete", "факты"),
)


@dataclass(frozen=True)
class Candidate:
    """An edit to try: the article's file name (without ``.md``) and its new text."""

    key: str
    text: str


def _topics(bot: Bot) -> Mapping[str, Topic]:
    if bot.topics:
        return bot.topics
    try:
        return load_topics(default_topics_file())
    except (OSError, ValueError):
        return {}


def _figures(bot: Any, sets: Sequence[Path], topics: Mapping[str, Topic]) -> list[SetFigures]:
    out: list[SetFigures] = []
    for path in sets:
        report = evaluate(bot, path, topics)
        out.append(
            SetFigures(
                name=path.name,
                questions=report.total,
                topic_correct=report.topic_correct,
                topic_total=report.answer_total,
                action_correct=report.action_correct,
                action_total=report.other_total,
                facts_complete=report.fact_complete,
                facts_total=report.fact_total,
            )
        )
    return out


def _drops(before: list[SetFigures], after: list[SetFigures]) -> list[str]:
    drops: list[str] = []
    for old, new in zip(before, after, strict=True):
        for field, title in _MEASURES:
            was, now = getattr(old, field), getattr(new, field)
            if now < was:
                drops.append(f"{old.name}, {title} {was} → {now}")
    return drops


def check_candidate(
    bot: Bot, overlay: Path, sets: Sequence[Path], candidate: Candidate
) -> Comparison:
    """Load the knowledge base with the candidate (a copy of the edits in a temporary
    directory) and evaluate the bot before and after. Blocking: run it in a thread."""
    assert bot.kb_dir is not None
    topics = _topics(bot)
    with tempfile.TemporaryDirectory(prefix="kb-candidate-") as tmp:
        trial = Path(tmp)
        if overlay.is_dir():
            for path in overlay.glob("*.md"):
                shutil.copy2(path, trial / path.name)
        (trial / f"{candidate.key}.md").write_text(candidate.text, encoding="utf-8")
        was = load_articles(bot.kb_dir, topics, overlay)
        result = load_articles(bot.kb_dir, topics, trial)
    known = {(e.path.name, e.message) for e in was.errors}
    errors = [
        f"{e.path.name}: {e.message}"
        for e in result.errors
        if (e.path.name, e.message) not in known
    ]
    if errors:
        return Comparison(before=[], after=[], drops=[], errors=errors)
    after_bot = Bot(result.articles, topics=bot.topics, analyzer=bot.analyzer)
    before = _figures(bot, sets, topics)
    after = _figures(after_bot, sets, topics)
    return Comparison(before=before, after=after, drops=_drops(before, after), errors=[])
