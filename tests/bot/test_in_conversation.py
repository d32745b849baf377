"""Answers know where they are given (issue 20, item 3): inside a conversation with support
the bot does not send the customer to «напишите нам в чат поддержки»."""

from __future__ import annotations

import re

import pytest

from marketdesk.bot import Bot
from marketdesk.bot.core import said_in_conversation
from marketdesk.kb.articles import parse_article

SENDS_TO_SUPPORT = re.compile(
    r"напишите (?:нам )?в (?:чат поддержки|поддержку|чат)\b|нам в (?:чат поддержки|поддержку)",
    re.IGNORECASE,
)

ARTICLE = """---
slug: coupon_ban
title: Бан купонов
audience: customer
in_conversation:
  перешлите его нам: перешлите его сюда
---
Если сомневаетесь, перешлите его нам. Напишите нам в чат поддержки — оператор проверит.
"""


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("почему на моем аккаунте бан купонов", "coupon_ban"),
        ("не могу активировать подарочный сертификат код не принимается", "certificate_activation"),
        # topics whose operator hints come before the customer's article in the index
        ("что значит причина уценки на странице товара", "markdown_grade"),
        ("как проверить вес ювелирного изделия на бирке", "jewelry_weight"),
    ],
)
def test_the_chat_answer_does_not_send_to_the_chat(real_bot: Bot, question: str, topic: str):
    outside = real_bot.ask(question)
    inside = real_bot.ask(question, in_conversation=True)
    assert outside.topic == inside.topic == topic
    assert SENDS_TO_SUPPORT.search(outside.answer)  # the widget's pre-chat and the API say it
    assert not SENDS_TO_SUPPORT.search(inside.answer)
    assert "«Позовите оператора»" in inside.answer


def test_no_customer_answer_sends_a_customer_in_a_conversation_to_support(real_bot: Bot):
    offenders = {
        article.slug: SENDS_TO_SUPPORT.search(said_in_conversation(article)).group(0)  # type: ignore[union-attr]
        for article in real_bot.articles
        if article.customer_facing and SENDS_TO_SUPPORT.search(said_in_conversation(article))
    }
    assert offenders == {}


def test_an_article_says_its_own_phrases_otherwise():
    article = parse_article(ARTICLE)
    assert article.answer() == article.body
    said = said_in_conversation(article)
    assert said == (
        "Если сомневаетесь, перешлите его сюда. "
        "Напишите здесь «Позовите оператора» — оператор проверит."
    )


def test_the_seller_chat_is_not_rewritten(real_bot: Bot):
    article = next(a for a in real_bot.articles if a.slug == "description_error")
    said = said_in_conversation(article)
    assert "напишите ему в чат" in said  # the seller's chat is another place: it stays


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("in_conversation: [a, b]", "must map phrases"),
        ("in_conversation:\n  нет такой фразы: другая", "which the body lacks"),
    ],
)
def test_bad_in_conversation_phrases_are_refused(front: str, message: str):
    text = ARTICLE.replace("in_conversation:\n  перешлите его нам: перешлите его сюда", front)
    with pytest.raises(ValueError, match=message):
        parse_article(text)
