from __future__ import annotations

import pytest

from marketdesk.bot import Bot

BAD_INPUTS: list[object] = [
    "",
    " ",
    "\n\t\r",
    "😀😀😀🙏🔥",
    "?!?!...,,,",
    "а" * 10_000,
    "купон " * 2000,
    "слово" + "о" * 9_000,
    "<script>alert('x')</script><b>купон</b> &lt;&gt;&amp;",
    "<" * 5000,
    "\x00\x01\x02\x7f\u200b\u202e\ufeff",
    "kупон нe pаботает",
    "ozon озон ОЗОН 0з0н",
    "中文 العربية עברית ελληνικά",
    "1234567890",
    "58561573-0011",
    "🙂 купон 🙂 " * 500,
    "\ud800",  # lone surrogate
    "e\u0301" * 3000,
    None,
    12345,
    b"bytes",
    # links and addresses: the phishing check and link stripping stay linear
    "a." * 5000,
    "a@" * 5000,
    "http://" * 2000,
    "www." * 2500,
    "это от вас? " + "a" * 9000 + "@b.ru",
    "мне пришло смс " + "ozon.ru/" * 1200,
    "<a href='https://0zon.ru/pay'>оплатите заказ</a> это от вас?",
    "пишет @ozonru. это вы?",
]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_bad_input_never_raises(fixture_bot: Bot, real_bot: Bot, text: object) -> None:
    for bot in (fixture_bot, real_bot):
        reply = bot.ask(text)
        assert reply.action in ("answer", "handoff", "refuse")
        assert reply.answer.strip()
        assert 0.0 <= reply.confidence <= 1.0
        if reply.action != "answer":
            assert reply.topic is None or isinstance(reply.topic, str)
        data = reply.to_json()
        assert data["answer"]


def test_empty_message_asks_for_text(fixture_bot: Bot) -> None:
    reply = fixture_bot.ask("")
    assert reply.action == "handoff"
    assert reply.topic is None
    assert "оператор" in reply.answer


def test_emoji_only_is_not_an_answer(real_bot: Bot) -> None:
    reply = real_bot.ask("😀😀😀")
    assert reply.action == "handoff"
    assert reply.topic is None


@pytest.mark.parametrize("text", [t for t in BAD_INPUTS if isinstance(t, str) and len(t) > 5000])
def test_long_input_is_read_only_up_to_the_bound(real_bot: Bot, text: str) -> None:
    """A long message costs what its first ``MAX_INPUT_CHARS`` cost: the bot and its hints
    read no further, which is what keeps them fast (no timing here: the bound is tested)."""
    from marketdesk.text.analyzer import MAX_WORDS, tokenize
    from marketdesk.text.normalize import MAX_INPUT_CHARS

    head = text[:MAX_INPUT_CHARS]
    assert real_bot.ask(text).to_json() == real_bot.ask(head).to_json()
    assert real_bot.hints(text) == real_bot.hints(head)
    assert len(tokenize(text)) <= MAX_WORDS
