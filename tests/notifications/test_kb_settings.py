"""The bot's answers to «как отписаться» and «не приходят уведомления» point to settings
that exist: the widget's buttons they name are on the page, and the settings behind them are
the API's (marketing may be switched off on every channel)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from marketdesk.bot import Bot
from marketdesk.domain.notifications import CATALOGUE, NotificationType
from marketdesk.domain.senders import DEFAULT_SENDERS
from marketdesk.settings import REPO_ROOT

KB = REPO_ROOT / "content" / "kb"
WIDGET = Path(__file__).resolve().parents[2] / "marketdesk" / "web" / "templates" / "widget.html"


def _buttons() -> set[str]:
    html = WIDGET.read_text(encoding="utf-8")
    labels = re.findall(r"<button[^>]*>([^<]+)<", html)
    return {label.strip() for label in labels}


@pytest.fixture(scope="module")
def bot() -> Bot:
    return Bot.from_directory(KB)


@pytest.mark.parametrize(
    ("question", "topic", "named"),
    [
        ("как отписаться от рассылки", "unsubscribe", ["Настройки уведомлений"]),
        (
            "перестали приходить пуш уведомления",
            "notifications_missing",
            ["Настройки уведомлений", "Включить push-уведомления в этом браузере", "Уведомления"],
        ),
    ],
)
def test_the_answer_names_buttons_the_widget_has(
    bot: Bot, question: str, topic: str, named: list[str]
) -> None:
    reply = bot.ask(question)
    assert (reply.action, reply.topic) == ("answer", topic), reply
    buttons = _buttons()
    for label in named:
        assert f"«{label}»" in reply.answer, label
        assert label in buttons, (label, sorted(buttons))


def test_the_unsubscribe_answer_matches_the_catalogue(bot: Bot) -> None:
    answer = bot.ask("как отписаться от рассылки").answer
    marketing = CATALOGUE[NotificationType.MARKETING]
    assert marketing.optional and f"«{marketing.title_ru}»" in answer
    assert DEFAULT_SENDERS.address(marketing.sender) in answer  # what the e-mail uses
    for mandatory in (NotificationType.ORDERS, NotificationType.ACCOUNT):
        assert not CATALOGUE[mandatory].optional
    assert "отключить нельзя" in answer
