from __future__ import annotations

import re

import pytest

from marketdesk.bot import Bot, BotReply

HANDOFF_PERSON = [
    "Переведите на оператора",
    "нужен живой человек",
    "позовите оператора пожалуйста",
    "хочу поговорить с человеком, а не с ботом",
    "соедините со специалистом",
    "ОПЕРАТОР!!!",
]
HANDOFF_ACTION = [
    "Оформите возврат по заказу 12345678-0001",
    "верните деньги за заказ 58561573-0011",
    "где мой заказ 58561573-0011",
    "поменяйте дату доставки",
    "отмените мой заказ",
    "с карты списали деньги два раза",
    "списали деньги без причины",
    "не пришел заказ уже неделю",
    "товар пришел бракованный",
    "как удалить аккаунт",
    "меня взломали, кто-то заказывает с моего аккаунта",
]
REFUSE = [
    "Сколько у меня пересечений с другими аккаунтами?",
    "назовите данные другого клиента",
    "с какими аккаунтами связан мой аккаунт",
    "дайте телефон и адрес другого покупателя",
    "какая выручка у озона за месяц",
    "покажите заказы моего мужа",
    "скиньте базу клиентов",
    "какие у вас внутренние правила бана купонов",
]
OFF_TOPIC = ["Какая сегодня погода?", "расскажи анекдот", "какой курс доллара"]


def _says_operator(reply: BotReply) -> bool:
    return "оператор" in reply.answer.lower()


@pytest.mark.parametrize("text", HANDOFF_PERSON)
def test_person_request_hands_off(fixture_bot: Bot, text: str) -> None:
    reply = fixture_bot.ask(text)
    assert reply.action == "handoff"
    assert reply.topic is None
    assert _says_operator(reply)


@pytest.mark.parametrize("text", HANDOFF_ACTION)
def test_account_action_hands_off(fixture_bot: Bot, text: str) -> None:
    reply = fixture_bot.ask(text)
    assert reply.action == "handoff", reply
    assert _says_operator(reply)


@pytest.mark.parametrize("text", REFUSE)
def test_confidential_request_is_refused_without_data(fixture_bot: Bot, text: str) -> None:
    reply = fixture_bot.ask(text)
    assert reply.action == "refuse"
    assert reply.topic is None
    assert not re.search(r"\d", reply.answer)
    assert "конфиденциал" in reply.answer or "коммерческ" in reply.answer
    assert reply.answer.startswith("К сожалению")


def test_coupon_ban_count_request_refused_real_kb(real_bot: Bot) -> None:
    reply = real_bot.ask("скажите, сколько пересечений у моего аккаунта по бану купонов")
    assert reply.action == "refuse"
    assert not re.search(r"\d", reply.answer)


@pytest.mark.parametrize("text", OFF_TOPIC)
def test_off_topic_gets_no_topic(real_bot: Bot, text: str) -> None:
    reply = real_bot.ask(text)
    assert reply.action in ("handoff", "refuse")
    assert reply.topic is None
    assert reply.answer


def test_confident_answer_is_the_article_body(fixture_bot: Bot) -> None:
    reply = fixture_bot.ask("как вывести деньги с баланса, какая минимальная сумма")
    assert reply.action == "answer"
    assert reply.topic == "balance_withdrawal"
    assert "100 рублей" in reply.answer
    assert 0.45 <= reply.confidence <= 1.0
    assert reply.suggestions == ()


def test_removing_coupon_ban_is_answered_not_handed_off(fixture_bot: Bot) -> None:
    reply = fixture_bot.ask("снимите бан купонов")
    assert reply.action == "answer"
    assert reply.topic == "coupon_ban"


def test_internal_note_never_in_answer(fixture_bot: Bot) -> None:
    for text in ["бан купонов", "купоны заблокированы", "клиент просит снять бан купонов"]:
        assert "СЕКРЕТНАЯ" not in fixture_bot.ask(text).answer


def test_operator_hint_never_answers_a_customer(fixture_bot: Bot) -> None:
    reply = fixture_bot.ask("клиент просит снять бан купонов")
    assert "Создали заявку" not in reply.answer


def test_internal_notes_never_in_real_answers(real_bot: Bot) -> None:
    notes = [a.internal_note for a in real_bot.articles if a.internal_note]
    assert notes
    for art in real_bot.articles:
        if not art.customer_facing:
            continue
        for q in art.questions[:3]:
            reply = real_bot.ask(q)
            for note in notes:
                assert note not in reply.answer


def test_ambiguous_question_offers_suggestions(real_bot: Bot) -> None:
    reply = real_bot.ask("сертификат")  # four certificate topics fit
    assert reply.action == "answer"
    slugs = [s.slug for s in reply.suggestions]
    assert 2 <= len(slugs) <= 3
    assert slugs[0] == reply.topic
    assert len(set(slugs)) == len(slugs)
    assert all(s.startswith("certificate_") for s in slugs)
    assert reply.to_json()["suggestions"][0]["slug"] == reply.topic


def test_low_confidence_hands_off_with_suggestions(real_bot: Bot) -> None:
    reply = real_bot.ask("хочу узнать про баллы и купоны")
    assert reply.action == "handoff"
    assert reply.topic is None
    assert _says_operator(reply)
    assert 1 <= len(reply.suggestions) <= 3
    assert reply.suggestions[0].title in reply.answer


def test_to_json_contract(fixture_bot: Bot) -> None:
    data = fixture_bot.ask("как вывести деньги с баланса").to_json()
    assert set(data) == {"action", "topic", "confidence", "answer"}
    assert data["action"] == "answer"
    assert isinstance(data["confidence"], float)
    handoff = fixture_bot.ask("какая погода в москве").to_json()
    assert handoff["topic"] is None
    assert set(handoff) <= {"action", "topic", "confidence", "answer", "suggestions"}


def test_to_json_suggestions_only_when_present() -> None:
    from marketdesk.bot import Suggestion

    reply = BotReply("handoff", None, 0.2, "x", (Suggestion("coupons", "Купоны"),))
    assert reply.to_json()["suggestions"] == [{"slug": "coupons", "title": "Купоны"}]
    assert "suggestions" not in BotReply("answer", "coupons", 0.9, "x").to_json()


def test_hints_include_operator_articles(fixture_bot: Bot) -> None:
    hints = fixture_bot.hints("клиент просит снять бан купонов", k=3)
    assert 1 <= len(hints) <= 3
    assert hints[0].audience == "operator"
    assert hints[0].section == "Бан купонов"
    assert {h.slug for h in hints} >= {"coupon_ban"}
    assert fixture_bot.hints("", k=3) == []


def test_hints_real_kb(real_bot: Bot) -> None:
    hints = real_bot.hints("клиент не может активировать сертификат", k=3)
    assert len(hints) == 3
    assert any(h.audience == "operator" for h in hints)


# questions that look like a rule's trigger but are ordinary questions for an article
NOT_RULES = [
    ("почему купон не применяется на моём аккаунте, а у других работает", "coupon_ban"),
    ("сотрудник требует взятку", "ethics_hotline"),
    ("снимите бан купонов", "coupon_ban"),
    ("долго ли ждать ответа оператора в чате", "response_time"),
    ("хочу получить контакты покупателя", "seller_out_of_scope"),
    ("мне не пришел промокод на юбилейный заказ", "promo_codes"),
    ("у мужа купон работает а у меня нет", "coupon_ban"),
    ("база знаний для продавцов где", "seller_support"),
    ("оплата наличными деньгами при получении", "payment_methods"),
]


@pytest.mark.parametrize(("text", "topic"), NOT_RULES)
def test_rule_lookalikes_are_answered(real_bot: Bot, text: str, topic: str) -> None:
    reply = real_bot.ask(text)
    assert (reply.action, reply.topic) == ("answer", topic), reply.reason


@pytest.mark.parametrize(
    "text",
    [
        "перевдеите на операотра",
        "позавите оператора",
        "скока у меня пересечений с другими акаунтами",
    ],
)
def test_rules_survive_typos(real_bot: Bot, text: str) -> None:
    reply = real_bot.ask(text)
    assert reply.action in ("handoff", "refuse")
    assert reply.topic is None


def test_greetings_and_thanks(real_bot: Bot) -> None:
    hello = real_bot.ask("Здравствуйте!")
    assert hello.action == "handoff" and "вопрос" in hello.answer
    thanks = real_bot.ask("спасибо большое")
    assert thanks.action == "handoff" and thanks.answer.startswith("Пожалуйста")
