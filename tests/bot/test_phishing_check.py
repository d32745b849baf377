"""A pasted message is checked with the domain rule and answered with its verdict."""

from __future__ import annotations

import pytest

from marketdesk.bot import Bot
from marketdesk.domain.phishing import PhishingVerdict, check_message

FRAUD = [
    "мне пришло смс: Ozon: ваш заказ задержан, оплатите доставку по ссылке ozon-dostavka.top",
    "мне написали в телеграм что я выиграл приз и надо оплатить доставку по ссылке",
    "это от вас? support@ozon-help.ru пишут что мой аккаунт заблокируют",
    "https://0zon.ru/pay/123",
    "пришла смс от озона: вам положен возврат 5000 руб, для получения возврата перейдите по "
    "ссылке и укажите данные карты",
    "это мошенники? news@news-ozon.ru пишут скидка 90% успейте купить",
]
OFFICIAL = [
    "пришло письмо от mailer@ozon.ru о входе в аккаунт, это от вас?",
    "это от вас? noreply@ozon.ru прислали чек",
]
NOT_PASTED = {
    # questions about notifications, the phishing article, or with a link to a product
    "не приходят смс": "notifications_missing",
    "какие уведомления вы присылаете": "notifications",
    "как отключить спам на почту от вас": "unsubscribe",
    "Мне пишут мошенники от имени Ozon, что делать?": "phishing",
}


def _is_phishing_answer(reply_text: str) -> None:
    low = reply_text.lower()
    assert "мошенни" in low
    assert "ozon.ru" in low
    assert "ссылк" in low


@pytest.mark.parametrize("text", FRAUD)
def test_fraud_messages_get_the_fraud_verdict(real_bot: Bot, text: str) -> None:
    reply = real_bot.ask(text)
    assert (reply.action, reply.topic) == ("answer", "phishing"), reply
    assert reply.reason == "phishing_check:fraud"
    assert reply.answer.startswith("Это сообщение от мошенников")
    assert "Почему мы так считаем" in reply.answer
    _is_phishing_answer(reply.answer)


@pytest.mark.parametrize("text", OFFICIAL)
def test_official_senders_are_recognised(real_bot: Bot, text: str) -> None:
    reply = real_bot.ask(text)
    assert (reply.action, reply.topic) == ("answer", "phishing"), reply
    assert reply.reason == "phishing_check:official"
    assert "официальн" in reply.answer
    _is_phishing_answer(reply.answer)  # still warns about paying by link


def test_the_reasons_are_those_of_the_domain_rule(real_bot: Bot) -> None:
    text = "пришло письмо от promo@ozon-sale.xyz: купите айфон со скидкой 70%, это от вас?"
    report = check_message(sender="promo@ozon-sale.xyz", link=None, text=text)
    assert report.verdict is PhishingVerdict.FRAUD
    reply = real_bot.ask(text)
    for reason in report.reasons:
        assert reason.message_ru in reply.answer


def test_unknown_sender_is_suspicious(real_bot: Bot) -> None:
    reply = real_bot.ask("это от вас? пришло письмо с адреса info@shop-example.com")
    assert (reply.action, reply.topic) == ("answer", "phishing")
    assert reply.reason == "phishing_check:suspicious"
    assert "подозрительн" in reply.answer


@pytest.mark.parametrize(("text", "topic"), sorted(NOT_PASTED.items()))
def test_questions_are_not_taken_for_pasted_messages(real_bot: Bot, text: str, topic: str) -> None:
    reply = real_bot.ask(text)
    assert (reply.action, reply.topic) == ("answer", topic), reply
    assert not reply.reason.startswith("phishing_check")


def test_a_product_link_does_not_turn_a_question_into_a_check(real_bot: Bot) -> None:
    reply = real_bot.ask("есть ли в наличии на складе товар https://www.ozon.ru/product/235260644")
    assert not reply.reason.startswith("phishing_check")
    assert reply.topic in (None, "product_stock")


def test_a_scam_refund_offer_is_not_a_refund_request(real_bot: Bot) -> None:
    reply = real_bot.ask(
        "мне написали в вотсап: вернём деньги за заказ, напишите нам номер карты и код из смс"
    )
    assert (reply.action, reply.topic) == ("answer", "phishing"), reply
