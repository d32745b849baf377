"""Dialogues with the bot (issue 14, items 6 and 8): ``marketdesk ask --jsonl --dialogs``,
the topic kept between turns, the clarifying question, the visitor's login offer, the
seller and Travel lines, and the dialogue evaluation of ``marketdesk bot eval``."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from marketdesk.bot import Bot, BotReply
from marketdesk.bot.actions import BalanceFact, ItemFact, OrderFact, Outcome, WithdrawalFact
from marketdesk.bot.dialog import Dialog, DialogState, chat_reply, reply_in_context
from marketdesk.bot.dialog_eval import read_dialogs
from marketdesk.bot.dialog_state import choice_named
from marketdesk.cli import main

from .conftest import REAL_KB

DIALOGS = Path(__file__).parent / "dialogs.tsv"


def ask(lines: str, *args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(main, ["ask", "--jsonl", *args, "--kb-dir", str(REAL_KB)], lines)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def test_a_follow_up_is_answered_about_the_last_topic_in_a_dialogue() -> None:
    replies = ask("как вывести деньги с баланса\nа сколько ждать?\n", "--dialogs")
    assert [r["topic"] for r in replies] == ["balance_withdrawal", "balance_withdrawal"]
    assert "100 рублей" in str(replies[1]["answer"])


def test_without_dialogs_every_line_is_a_dialogue_of_its_own() -> None:
    replies = ask("как вывести деньги с баланса\nа сколько ждать?\n")
    assert replies[0]["topic"] == "balance_withdrawal"
    assert replies[1]["topic"] != "balance_withdrawal"


def test_an_empty_line_starts_a_new_dialogue_and_gets_no_output() -> None:
    replies = ask("как вывести деньги с баланса\n\nа сколько ждать?\n\n\n", "--dialogs")
    assert len(replies) == 2  # the empty lines answered nothing
    assert replies[1]["topic"] != "balance_withdrawal"  # the new dialogue has no topic yet
    for reply in replies:
        assert set(reply) <= {"action", "topic", "confidence", "answer", "suggestions"}


def test_without_dialogs_an_empty_line_is_still_answered() -> None:
    replies = ask("\n")
    assert [r["action"] for r in replies] == ["handoff"]


def test_dialogs_needs_jsonl() -> None:
    result = CliRunner().invoke(main, ["ask", "--dialogs", "текст"])
    assert result.exit_code == 2
    assert "--jsonl" in result.output


def test_two_close_topics_are_asked_about_then_the_choice_is_answered() -> None:
    replies = ask("сертификат\n2\n", "--dialogs")
    first, second = replies
    assert first["action"] == "answer" and first["topic"] is None
    options = [s["slug"] for s in first["suggestions"]]  # type: ignore[union-attr]
    assert len(options) >= 2 and "1." in str(first["answer"])
    assert second["action"] == "answer" and second["topic"] == options[1]


@pytest.mark.parametrize(
    ("choice", "topic"),
    [
        ("активировать", "certificate_activation"),
        ("купить", "certificate_purchase"),
        ("на что потратить", "certificate_usage"),
    ],
)
def test_an_option_named_by_a_word_of_its_own_title_is_answered(
    real_bot: Bot, choice: str, topic: str
) -> None:
    """Not only its number: «активировать» after «1. Как активировать подарочный
    сертификат 2. Как купить …» picks the first (it used to be handed to a person)."""
    _, state = reply_in_context(real_bot, "сертификат", DialogState())
    assert state.pending == "choose_topic" and topic in state.options
    reply, after = reply_in_context(real_bot, choice, state)
    assert (reply.action, reply.topic) == ("answer", topic)
    assert after == DialogState(topic=topic)


def test_a_word_every_option_has_or_a_long_message_names_no_option(real_bot: Bot) -> None:
    _, state = reply_in_context(real_bot, "сертификат", DialogState())
    titles = [real_bot.understand(real_bot.topic_title(slug) or "") for slug in state.options]
    assert choice_named(real_bot.understand("активировать"), titles) == 0
    assert choice_named(real_bot.understand("подарочный"), titles) is None  # in every title
    long = "хочу активировать сертификат который подарили коллеги на работе"
    assert choice_named(real_bot.understand(long), titles) is None  # a question of its own
    assert choice_named(real_bot.understand("активировать"), titles[:1]) is None
    assert real_bot.topic_title("no_such_topic") is None


def test_a_clear_question_after_a_clarifying_one_is_answered_on_its_own(real_bot: Bot) -> None:
    reply, state = reply_in_context(real_bot, "сертификат", DialogState())
    assert state.pending == "choose_topic"
    reply, state = reply_in_context(real_bot, "как купить подарочный сертификат", state)
    assert reply.topic == "certificate_purchase" and state.pending is None


def test_a_new_clear_topic_moves_the_dialogue_on() -> None:
    replies = ask("как вывести деньги с баланса\nа как активировать сертификат?\n", "--dialogs")
    assert [r["topic"] for r in replies] == ["balance_withdrawal", "certificate_activation"]


def test_a_visitor_is_offered_the_login_first() -> None:
    [reply] = ask("где мой заказ\n", "--visitor")
    assert reply["action"] == "answer"
    assert str(reply["answer"]).startswith("Чтобы я показал ваши заказы")
    assert "войдите" in str(reply["answer"])


def test_without_a_login_state_the_bot_answers_as_before(real_bot: Bot) -> None:
    [reply] = ask("где мой заказ\n")
    assert reply["answer"] == real_bot.ask("где мой заказ").answer


def test_a_confidential_question_is_refused_and_so_is_its_follow_up() -> None:
    replies = ask(
        "почему мне нельзя использовать купоны\nсколько у меня пересечений с другими "
        "аккаунтами\nа с какими именно?\n",
        "--dialogs",
    )
    assert [r["action"] for r in replies] == ["answer", "refuse", "refuse"]


@pytest.mark.parametrize(
    ("question", "action"),
    [
        ("дайте телефон покупателя, который оставил отзыв", "refuse"),
        ("какая выручка у других продавцов", "refuse"),
        ("как вывести деньги с баланса", "handoff"),  # no seller article: not the buyer's
    ],
)
def test_the_seller_line_refuses_or_hands_off_what_its_articles_do_not_answer(
    question: str, action: str
) -> None:
    [reply] = ask(question + "\n", "--line", "seller")
    assert reply["action"] == action
    assert reply["topic"] is None


def test_the_seller_line_answers_from_the_seller_articles(real_bot: Bot) -> None:
    seller = real_bot.ask("как связаться с поддержкой", line="seller")
    customer = real_bot.ask("как связаться с поддержкой")
    assert seller.topic == "seller_support"
    assert customer.topic != "seller_support"


@pytest.mark.parametrize(
    "question",
    [
        "хочу вернуть деньги за авиабилет",
        "вопрос по брони отеля",
        "как вернуть билет",
        "нужна страховка для путешествия это к вам",  # weak, but only Travel matches
    ],
)
def test_the_travel_line_knows_the_travel_topics(real_bot: Bot, question: str) -> None:
    reply = real_bot.ask(question, line="travel_priority")
    assert (reply.action, reply.topic) == ("answer", "travel_support")


def test_on_the_general_line_a_ticket_refund_is_not_a_travel_article(real_bot: Bot) -> None:
    assert real_bot.ask("хочу вернуть деньги за авиабилет").topic != "travel_support"


def test_the_travel_line_hands_off_what_is_not_travel(real_bot: Bot) -> None:
    reply = real_bot.ask("какая погода в сочи", line="travel_priority")
    assert (reply.action, reply.topic) == ("handoff", None)


def test_the_travel_line_refuses_another_passengers_data(real_bot: Bot) -> None:
    reply = real_bot.ask("скажите данные другого пассажира", line="travel_priority")
    assert reply.action == "refuse"


def test_the_chat_reply_keeps_the_conversations_topic(real_bot: Bot) -> None:
    kept = chat_reply(real_bot, "а сколько ждать?", topic="balance_withdrawal", line="general")
    fresh = chat_reply(real_bot, "а сколько ждать?", topic=None, line="general")
    assert kept.topic == "balance_withdrawal"
    assert fresh.topic != "balance_withdrawal"
    assert "Уточните" not in kept.answer  # the chat asks no clarifying question
    order = chat_reply(real_bot, "а если не меняется?", topic="order_status", line="general")
    assert order.topic == "order_status"
    assert "чат поддержки" not in order.answer  # said as in a conversation with support
    assert "«Позовите оператора»" in order.answer


def test_a_dialogue_never_raises_on_odd_input(real_bot: Bot) -> None:
    async def run() -> None:
        dialog = Dialog(real_bot, visitor=True)
        for text in (None, "", "   ", "1", "ё" * 5000, 42):
            reply = await dialog.turn(text)
            assert reply.answer

    asyncio.run(run())


def test_the_dialogue_file_has_at_least_sixty_multi_turn_dialogues() -> None:
    dialogs = read_dialogs(DIALOGS)
    assert len(dialogs) >= 60
    assert sum(len(d.turns) > 1 for d in dialogs) >= 40


def test_bot_eval_reports_the_dialogues_with_their_figures() -> None:
    args = ["bot", "eval", str(DIALOGS), "--kb-dir", str(REAL_KB)]
    result = CliRunner().invoke(main, [*args, "--min-topic", "0.9", "--min-action", "0.85"])
    assert result.exit_code == 0, result.output
    assert "dialogues:" in result.output
    assert "turn accuracy:" in result.output and "dialogue accuracy:" in result.output


def test_bot_eval_holds_dialogues_to_their_own_default_bars() -> None:
    args = ["bot", "eval", str(DIALOGS), "--kb-dir", str(REAL_KB)]
    assert CliRunner().invoke(main, args).exit_code == 0  # 90 % each by default
    strict = CliRunner().invoke(main, [*args, "--min-action", "1.0"])
    assert strict.exit_code == 1 and "dialogue accuracy" in strict.output


def test_bot_eval_fails_below_the_bar_and_on_a_bad_file(tmp_path: Path) -> None:
    file = tmp_path / "d.tsv"
    file.write_text("# dialogs\ncoupons\tanswer\tкак вывести деньги с баланса\n", "utf-8")
    args = ["bot", "eval", str(file), "--kb-dir", str(REAL_KB)]
    assert CliRunner().invoke(main, args).exit_code == 1
    file.write_text("# dialogs\ncoupons\tmaybe\tкупон\n", "utf-8")
    bad = CliRunner().invoke(main, args)
    assert bad.exit_code == 1 and "d.tsv:2" in bad.output


class _Account:
    """An account of one order, with a privacy guard that objects to a word."""

    def __init__(self, forbidden: str = "") -> None:
        self.forbidden = forbidden
        self.activated: list[str] = []

    async def orders(self, limit: int) -> list[OrderFact]:
        item = ItemFact(1, "Наушники", 1)
        return [OrderFact("100001-0001", "Выполнен", "completed", "01.12.2026", (item,))]

    async def balances(self) -> list[BalanceFact]:
        return [BalanceFact("Баллы Ozon", Decimal(320), "Б")]

    async def withdrawal(self) -> WithdrawalFact:
        zero = Decimal(0)
        return WithdrawalFact(zero, zero, zero, Decimal(100), "/#withdraw")

    async def activate_certificate(self, code: str) -> Outcome:
        self.activated.append(code)
        return Outcome(False, "Код не найден.", "unknown_code")

    async def request_return(
        self, order_number: str, product_id: int, quantity: int, reason: str
    ) -> Outcome:
        return Outcome(True, f"{order_number}/{product_id}/{quantity}/{reason}")

    async def passes_guard(self, text: str) -> bool:
        return not (self.forbidden and self.forbidden in text)


def _turns(bot: Bot, account: _Account, *texts: str) -> list[BotReply]:
    async def run() -> list[BotReply]:
        dialog = Dialog(bot, account=account)
        return [await dialog.turn(t) for t in texts]

    return asyncio.run(run())


def test_a_reply_the_privacy_guard_objects_to_is_not_sent(real_bot: Bot) -> None:
    [reply] = _turns(real_bot, _Account(forbidden="100001-0001"), "где мой заказ")
    assert reply.action == "handoff" and "100001-0001" not in reply.answer
    [allowed] = _turns(real_bot, _Account(), "где мой заказ")
    assert allowed.action == "answer" and "100001-0001" in allowed.answer


def test_the_certificate_code_is_passed_as_written_and_a_refusal_said(real_bot: Bot) -> None:
    account = _Account()
    asked, refused = _turns(real_bot, account, "активировать сертификат", "код ab12-cd34-ef56-gh78")
    assert "код сертификата" in asked.answer
    assert account.activated == ["ab12-cd34-ef56-gh78"]
    assert (
        refused.answer == "Код не найден." and refused.reason == "certificate_refused:unknown_code"
    )


def test_the_one_item_and_the_reason_named_go_straight_to_the_rule(real_bot: Bot) -> None:
    [reply] = _turns(real_bot, _Account(), "хочу вернуть наушники, пришли с браком")
    assert reply.answer == "100001-0001/1/1/defect"


def test_on_the_seller_line_the_account_is_not_the_customers(real_bot: Bot) -> None:
    async def run() -> BotReply:
        return await Dialog(real_bot, account=_Account(), line="seller").turn("где мой заказ")

    assert asyncio.run(run()).topic != "my_orders"


@pytest.mark.parametrize(
    "text",
    [
        "Как активировать подарочный сертификат?",
        "как актевировать сертефикат",  # typos the index fixes
        "Мне пришло письмо, что заказ отменён. Как вернуть деньги?",  # the question apart
        "спасибо большое",
        "https://example.com/a",  # only a link
        "",
    ],
)
def test_a_reading_holds_the_reply_and_the_understanding_of_the_text(
    real_bot: Bot, text: str
) -> None:
    """``Bot.read`` analyses the text once for both: its reply is ``ask``'s and its
    analysis ``understand``'s (typos fixed), whatever the text."""
    for line in (None, "general", "seller"):
        for in_conversation in (False, True):
            read = real_bot.read(text, in_conversation=in_conversation, line=line)
            assert read.alone == real_bot.ask(text, in_conversation=in_conversation, line=line)
            assert read.analysis == real_bot.understand(text)


def test_a_turn_uses_the_reading_made_before_and_the_same_reply_comes(real_bot: Bot) -> None:
    """``Bot.read`` (the bot's reading of a text alone, worked out before a conversation's
    lock): a turn given it replies as a turn that reads the text itself; given the reading
    of another text or line, it reads again."""
    question = "Как активировать подарочный сертификат?"

    async def turn(text: str, read: Any = None, line: str = "general") -> BotReply:
        return await Dialog(real_bot, visitor=True, line=line, in_conversation=True).turn(
            text, read
        )

    async def run() -> None:
        read = real_bot.read(question, in_conversation=True, line="general")
        assert read.alone == real_bot.ask(question, in_conversation=True, line="general")
        assert await turn(question, read) == await turn(question)
        # the reading is what the turn answers from: a different reply in it comes out
        planted = replace(read, alone=replace(read.alone, answer="из чтения"))
        # (to a visitor after the offer to log in: the certificate is their account's)
        assert (await turn(question, planted)).answer.endswith("\n\nиз чтения")
        # of another text, or of another line: not used
        assert "из чтения" not in (await turn("где мой заказ", planted)).answer
        assert "из чтения" not in (await turn(question, planted, line="seller")).answer

    asyncio.run(run())
