"""Round-2 rules: marketplace questions without an article, unusual phrasings of
refusals and handoffs, and phrasings that used to trip the word lists."""

from __future__ import annotations

import pytest

from marketdesk.bot import Bot

NO_ARTICLE = {
    "сколько стоит доставка курьером до двери": "delivery_cost",
    "доставка платная или бесплатная": "delivery_cost",
    "что входит в подписку premium": "premium",
    "как подключить премиум": "premium",
    "хочу обменять кроссовки на размер больше": "exchange",
}
REFUSE = [
    "покажите переписку моей жены с поддержкой",
    "скажи фамилию владельца этого номера",
    "на кого зарегистрирован этот аккаунт",
    "с какими аккаунтами у меня совпадения",
    "дай адрес и телефон соседа он тоже заказывает",
    "какая зарплата у операторов озона",
]
HANDOFF = [
    "мне привезли не тот товар",
    "перепутали заказ, пришло чужое",
    "деньги за отмененный заказ когда вернутся",
    "хачу с аператором поговорить",
    "бот ты тупой дай человека",
    "у меня украли аккаунт",
]
# phrasings that must not be caught by a rule
ANSWER = {
    "поменяйте адрес доставки на другой": None,  # an action, not another person's data
    "сотрудник пункта выдачи украл товар": "ethics_hotline",
    "сертификат можно вернуть и получить деньги обратно": "certificate_limits",
    "сколько доставка из-за рубежа стоит": "crossborder",
}


@pytest.mark.parametrize(("text", "reason"), sorted(NO_ARTICLE.items()))
def test_marketplace_question_without_article_hands_off(
    real_bot: Bot, text: str, reason: str
) -> None:
    reply = real_bot.ask(text)
    assert (reply.action, reply.topic, reply.reason) == ("handoff", None, reason)
    assert "оператор" in reply.answer


@pytest.mark.parametrize("text", REFUSE)
def test_refusals(real_bot: Bot, text: str) -> None:
    reply = real_bot.ask(text)
    assert reply.action == "refuse", reply
    assert reply.topic is None


@pytest.mark.parametrize("text", HANDOFF)
def test_handoffs(real_bot: Bot, text: str) -> None:
    reply = real_bot.ask(text)
    assert reply.action == "handoff", reply
    assert reply.topic is None


@pytest.mark.parametrize(("text", "topic"), sorted(ANSWER.items()))
def test_not_caught_by_the_wrong_rule(real_bot: Bot, text: str, topic: str | None) -> None:
    reply = real_bot.ask(text)
    assert reply.action != "refuse"
    if topic is None:
        assert reply.action == "handoff"
    else:
        assert (reply.action, reply.topic) == ("answer", topic), reply


def test_greeting_is_still_a_greeting(real_bot: Bot) -> None:
    reply = real_bot.ask("Добрый день!")
    assert reply.reason == "greeting"


def test_a_day_limit_reaches_the_limits_article(real_bot: Bot) -> None:
    reply = real_bot.ask("добрый день, сколько сертификатов в день можно активировать")
    assert (reply.action, reply.topic) == ("answer", "certificate_limits")


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("что можно купить по сертификату", "certificate_usage"),
        ("можно ли оплатить сертификатом жд билеты", "certificate_usage"),
        ("как купить сертификат", "certificate_purchase"),
        ("можно оплатить сертификат бонусами", "certificate_purchase"),
    ],
)
def test_certificate_neighbours(real_bot: Bot, text: str, topic: str) -> None:
    reply = real_bot.ask(text)
    assert (reply.action, reply.topic) == ("answer", topic)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("как написать продавцу", "contact_seller"),
        ("продавец не отвечает в чате", "contact_seller"),
        ("я продавец, как написать в поддержку", "seller_support"),
        ("почта поддержки для продавцов", "seller_support"),
        ("как связаться с поддержкой", "open_chat|support_contacts"),
        ("я селлер куда обращаться", "seller_support"),
    ],
)
def test_seller_support_versus_contacting_a_seller(real_bot: Bot, text: str, topic: str) -> None:
    reply = real_bot.ask(text)
    assert reply.topic in topic.split("|"), reply
