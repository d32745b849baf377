"""Evaluate the bot on multi-turn dialogues (issue 14, item 6).

The file starts with a ``# dialogs`` line; dialogues are separated by empty lines. Each turn
is ``topic<TAB>expected<TAB>message``, where expected is ``answer`` (with the topic),
``handoff`` or ``refuse`` (topic ``-``), ``clarify`` (the bot asks which of two close topics
is meant: the topic column lists the slugs that must be among the options, ``|``-separated)
or ``login`` (a visitor is offered the login first). Comment lines before a dialogue's
first turn set it up: ``# line: seller`` (the line asked), ``# who: visitor``.

A turn is right when its action and topic are; a dialogue is right when all its turns are."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from marketdesk.bot.core import Bot, BotReply
from marketdesk.bot.dialog import Dialog

__all__ = ["DialogReport", "DialogTurn", "evaluate_dialogs", "format_dialog_report", "is_dialogs"]

EXPECTED = frozenset({"answer", "handoff", "refuse", "clarify", "login"})
HEADER = "# dialogs"


@dataclass(frozen=True, slots=True)
class DialogTurn:
    topic: str | None
    expected: str
    message: str
    line: int


@dataclass
class _DialogSpec:
    start: int
    line: str | None = None
    visitor: bool = False
    turns: list[DialogTurn] = field(default_factory=list)


@dataclass
class DialogReport:
    dialogs: int = 0
    dialogs_right: int = 0
    turns: int = 0
    turns_right: int = 0
    follow_ups: int = 0  # turns after the first
    follow_ups_right: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def turn_accuracy(self) -> float:
        return self.turns_right / self.turns if self.turns else 1.0

    @property
    def dialog_accuracy(self) -> float:
        return self.dialogs_right / self.dialogs if self.dialogs else 1.0

    @property
    def follow_up_accuracy(self) -> float:
        return self.follow_ups_right / self.follow_ups if self.follow_ups else 1.0


def is_dialogs(path: Path) -> bool:
    """Whether a file is a dialogue file (its first non-empty line is ``# dialogs``)."""
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        if raw.strip():
            return raw.strip().lower().startswith(HEADER)
    return False


def _setting(spec: _DialogSpec, comment: str) -> None:
    key, _, value = comment.lstrip("#").partition(":")
    key, value = key.strip().lower(), value.strip()
    if key == "line":
        spec.line = value or None
    elif key == "who":
        spec.visitor = value == "visitor"


def read_dialogs(path: Path) -> list[_DialogSpec]:
    specs: list[_DialogSpec] = []
    current: _DialogSpec | None = None
    for n, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            current = None
            continue
        if current is None:
            current = _DialogSpec(start=n)
            specs.append(current)
        if raw.lstrip().startswith("#"):
            if not current.turns:
                _setting(current, raw.strip())
            continue
        parts = raw.split("\t")
        if len(parts) < 3 or parts[1].strip() not in EXPECTED:
            raise ValueError(f"{path}:{n}: expected topic<TAB>answer|handoff|refuse|clarify|login")
        topic = parts[0].strip()
        current.turns.append(
            DialogTurn(None if topic in ("", "-") else topic, parts[1].strip(), parts[2], n)
        )
    return [s for s in specs if s.turns]


def turn_is_right(turn: DialogTurn, reply: BotReply) -> bool:
    if turn.expected == "clarify":
        offered = {s.slug for s in reply.suggestions}
        wanted = set((turn.topic or "").split("|")) - {""}
        return reply.reason == "clarify" and wanted <= offered
    if turn.expected == "login":
        return reply.reason == "login_offer"
    if reply.action != turn.expected:
        return False
    return turn.expected != "answer" or reply.topic == turn.topic


async def _run(bot: Bot, specs: list[_DialogSpec]) -> DialogReport:
    report = DialogReport()
    for spec in specs:
        dialog = Dialog(bot, visitor=spec.visitor, line=spec.line)
        right = True
        for number, turn in enumerate(spec.turns):
            reply = await dialog.turn(turn.message)
            ok = turn_is_right(turn, reply)
            report.turns += 1
            report.turns_right += ok
            if number:
                report.follow_ups += 1
                report.follow_ups_right += ok
            if not ok:
                right = False
                got = f"{reply.action}/{reply.topic or '-'} ({reply.reason})"
                report.misses.append(
                    f"line {turn.line}: {turn.message!r} expected "
                    f"{turn.expected}/{turn.topic or '-'}, got {got}"
                )
        report.dialogs += 1
        report.dialogs_right += right
    return report


def evaluate_dialogs(bot: Bot, path: Path) -> DialogReport:
    return asyncio.run(_run(bot, read_dialogs(path)))


def format_dialog_report(report: DialogReport) -> str:
    lines = [
        f"dialogues:         {report.dialogs} ({report.turns} turns)",
        f"dialogue accuracy: {100 * report.dialog_accuracy:.1f} % "
        f"({report.dialogs_right}/{report.dialogs} dialogues right in every turn)",
        f"turn accuracy:     {100 * report.turn_accuracy:.1f} % "
        f"({report.turns_right}/{report.turns} turns)",
        f"follow-up turns:   {100 * report.follow_up_accuracy:.1f} % "
        f"({report.follow_ups_right}/{report.follow_ups} turns after the first)",
        "",
    ]
    if report.misses:
        lines.append(f"misses ({len(report.misses)}):")
        lines.extend("  " + m for m in report.misses)
    else:
        lines.append("no misses")
    return "\n".join(lines)
