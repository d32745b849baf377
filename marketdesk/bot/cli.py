"""Command-line commands of the bot and the knowledge base.

The lead registers them on the ``marketdesk`` group::

    main.add_command(ask_command)   # marketdesk ask "text" | --jsonl
    main.add_command(bot_group)     # marketdesk bot eval FILE.tsv
    main.add_command(kb_group)      # marketdesk kb check | reload
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from marketdesk.kb.articles import default_kb_dir, default_topics_file, load_articles, load_topics

if TYPE_CHECKING:
    from marketdesk.bot.actions import Account
    from marketdesk.bot.core import Bot

__all__ = ["ask_command", "bot_group", "kb_group", "set_account_opener"]


def _kb_dir_default() -> str:
    return os.environ.get("MARKETDESK_KB_DIR") or str(default_kb_dir())


kb_dir_option = click.option(
    "--kb-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=_kb_dir_default,
    show_default="$MARKETDESK_KB_DIR or content/kb",
    help="Directory of the knowledge-base articles.",
)


def _load_bot(kb_dir: Path) -> Bot:
    from marketdesk.bot.core import Bot

    bot = Bot.from_directory(kb_dir)
    for err in bot.errors:
        click.echo(f"warning: {err}", err=True)
    return bot


#: the default bars of a dialogue file: a dialogue is right only when every turn is
DIALOG_MIN_TURN = 0.9
DIALOG_MIN_DIALOG = 0.9

#: how ``ask --customer`` opens the customer's account: set by the ``marketdesk`` command
#: (``marketdesk.cli``), which may reach the database; the bot layer may not
AccountOpener = Callable[[int], AbstractAsyncContextManager["Account"]]
_account_opener: AccountOpener | None = None


def set_account_opener(opener: AccountOpener | None) -> None:
    global _account_opener
    _account_opener = opener


def _utf8_streams() -> None:
    for stream in (sys.stdin, sys.stdout):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # not a real file
                reconfigure(encoding="utf-8", errors="replace")


@click.command("ask")
@click.argument("text", required=False)
@click.option("--jsonl", is_flag=True, help="Read one message per line on stdin, print JSON lines.")
@click.option(
    "--dialogs",
    is_flag=True,
    help="With --jsonl: every line is the next turn of the current dialogue; an empty line "
    "starts a new dialogue (and gets no output).",
)
@click.option(
    "--customer",
    "customer_id",
    type=click.IntRange(1),
    default=None,
    help="Ask as this logged-in customer: the bot answers with their own orders, balance, "
    "certificates and returns (needs the database).",
)
@click.option(
    "--visitor",
    is_flag=True,
    help="Ask as a visitor who has not logged in: questions about one's own account are "
    "offered the login first.",
)
@click.option(
    "--line",
    type=click.Choice(["general", "seller", "travel_priority"]),
    default=None,
    help="The support line asked: seller answers from the seller articles, travel_priority "
    "knows the Travel topics first.",
)
@kb_dir_option
def ask_command(
    text: str | None,
    jsonl: bool,
    dialogs: bool,
    customer_id: int | None,
    visitor: bool,
    line: str | None,
    kb_dir: Path,
) -> None:
    """Ask the support bot: prints the answer (or JSON lines with --jsonl)."""
    if not jsonl and text is None:
        raise click.UsageError('give a message: marketdesk ask "текст", or use --jsonl')
    if dialogs and not jsonl:
        raise click.UsageError("--dialogs reads dialogues from stdin: add --jsonl")
    if customer_id is not None and visitor:
        raise click.UsageError("--customer and --visitor exclude each other")
    if customer_id is not None and _account_opener is None:
        raise click.UsageError("--customer needs the marketdesk command (the database)")
    bot = _load_bot(kb_dir)
    if jsonl:
        _utf8_streams()
    asyncio.run(_ask_all(bot, text, jsonl, dialogs, customer_id, visitor, line))


async def _ask_all(
    bot: Bot,
    text: str | None,
    jsonl: bool,
    dialogs: bool,
    customer_id: int | None,
    visitor: bool,
    line: str | None,
) -> None:
    if customer_id is None:
        await _converse(bot, None, text, jsonl, dialogs, visitor, line)
        return
    assert _account_opener is not None
    async with _account_opener(customer_id) as account:
        await _converse(bot, account, text, jsonl, dialogs, visitor, line)


async def _converse(
    bot: Bot,
    account: Account | None,
    text: str | None,
    jsonl: bool,
    dialogs: bool,
    visitor: bool,
    line: str | None,
) -> None:
    from marketdesk.bot.dialog import Dialog

    def new_dialog() -> Dialog:
        return Dialog(bot, account=account, visitor=visitor, line=line)

    if not jsonl:
        click.echo((await new_dialog().turn(text)).answer)
        return
    out = sys.stdout
    dialog = new_dialog()
    for raw in sys.stdin:
        message = raw.rstrip("\r\n")
        if dialogs and not message.strip():
            dialog = new_dialog()  # an empty line: the next dialogue starts, no output
            continue
        if not dialogs:
            dialog = new_dialog()  # every line a dialogue of its own
        reply = await dialog.turn(message)
        out.write(json.dumps(reply.to_json(), ensure_ascii=False) + "\n")
        out.flush()


@click.group("bot")
def bot_group() -> None:
    """The support bot."""


@bot_group.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@kb_dir_option
@click.option(
    "--topics",
    "topics_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="topics.yaml (default: $MARKETDESK_TOPICS_FILE, content/kb/, ../shared/kb/).",
)
@click.option("--min-topic", default=0.95, show_default=True, help="Required topic accuracy.")
@click.option("--min-action", default=0.95, show_default=True, help="Required action accuracy.")
def eval_command(
    file: Path, kb_dir: Path, topics_file: Path | None, min_topic: float, min_action: float
) -> None:
    """Evaluate the bot on FILE.tsv (topic<TAB>action<TAB>question); exit 1 below the bars.
    A file that starts with ``# dialogs`` holds multi-turn dialogues (``bot.dialog_eval``):
    the turn accuracy is held to --min-topic, the dialogue accuracy (every turn right) to
    --min-action, 90 % each unless given."""
    from marketdesk.bot.dialog_eval import is_dialogs
    from marketdesk.bot.evaluation import evaluate, format_report

    if is_dialogs(file):
        ctx = click.get_current_context()
        given = {
            name: ctx.get_parameter_source(name) is not ParameterSource.DEFAULT
            for name in ("min_topic", "min_action")
        }
        min_turn = min_topic if given["min_topic"] else DIALOG_MIN_TURN
        min_dialog = min_action if given["min_action"] else DIALOG_MIN_DIALOG
        _eval_dialogs(file, kb_dir, min_turn, min_dialog)
        return
    topics = load_topics(topics_file or default_topics_file())
    bot = _load_bot(kb_dir)
    try:
        report = evaluate(bot, file, topics)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_report(report))
    if not report.passed(min_topic, min_action):
        click.echo(
            f"FAILED: below {min_topic:.0%} topic or {min_action:.0%} action accuracy", err=True
        )
        sys.exit(1)


def _eval_dialogs(file: Path, kb_dir: Path, min_turn: float, min_dialog: float) -> None:
    from marketdesk.bot.dialog_eval import evaluate_dialogs, format_dialog_report

    bot = _load_bot(kb_dir)
    try:
        report = evaluate_dialogs(bot, file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(format_dialog_report(report))
    if report.turn_accuracy < min_turn or report.dialog_accuracy < min_dialog:
        click.echo(
            f"FAILED: below {min_turn:.0%} turn or {min_dialog:.0%} dialogue accuracy", err=True
        )
        sys.exit(1)


@click.group("kb")
def kb_group() -> None:
    """The knowledge base."""


def _load_and_report(kb_dir: Path) -> int:
    result = load_articles(kb_dir)
    by_audience: dict[str, int] = {}
    for art in result.articles:
        by_audience[art.audience] = by_audience.get(art.audience, 0) + 1
    counts = ", ".join(f"{k} {v}" for k, v in sorted(by_audience.items())) or "none"
    slugs = {a.slug for a in result.articles}
    click.echo(
        f"{len(result.articles)} articles loaded from {kb_dir} ({counts}); "
        f"{len(slugs)} topics covered"
    )
    try:
        topics = load_topics(default_topics_file())
    except (OSError, ValueError):
        topics = {}
    missing = sorted(set(topics) - {a.slug for a in result.articles if a.customer_facing})
    if missing:
        click.echo(f"topics without a customer article: {', '.join(missing)}")
    for err in result.errors:
        click.echo(f"error: {err.path}: {err.message}", err=True)
    if result.errors:
        click.echo(f"{len(result.errors)} article(s) with errors", err=True)
    return 1 if result.errors else 0


@kb_group.command("check")
@kb_dir_option
def kb_check(kb_dir: Path) -> None:
    """Load every article and list errors; exit 1 when there are any."""
    sys.exit(_load_and_report(kb_dir))


@kb_group.command("reload")
@kb_dir_option
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data dir of the running servers (default: MARKETDESK_DATA_DIR or ./data).",
)
def kb_reload(kb_dir: Path, data_dir: Path | None) -> None:
    """Check the articles, then make every running server on this data dir re-read them
    (articles with errors are skipped by the servers, the others load)."""
    from marketdesk.kb.reload import request_reload
    from marketdesk.settings import Settings

    status = _load_and_report(kb_dir)
    settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    request_reload(settings.ensure_data_dir())
    click.echo(f"Серверы с каталогом данных {settings.data_dir} перечитают базу знаний.")
    sys.exit(status)
