"""Operator console hints: the «Подсказки» of seed 000 first where they fit."""

from __future__ import annotations

import pytest

from marketdesk.bot import Bot

# operator situations from seed 000, in an operator's words → the hint's topic
SITUATIONS = {
    "клиент просит снять бан купонов": "coupon_ban",
    "клиент жалуется что купоны не работают только у него": "coupon_ban",
    "клиент просит активировать подарочный сертификат за него": "certificate_activation",
    "клиент хочет аннулировать сертификат и вернуть деньги": "certificate_limits",
    "клиент просит сертификат на серьги": "jewelry_authenticity",
    "клиент спрашивает вес золотой цепочки": "jewelry_weight",
    "клиент получил подозрительное письмо от имени озон": "phishing",
    "ошибка в описании товара retail": "description_error",
    "сколько единиц товара на складе": "product_stock",
    "чем fbs отличается от rfbs": "fbs_vs_rfbs",
    "клиент просит назвать количество пересечений": "support_scope",
}


@pytest.mark.parametrize(("text", "slug"), sorted(SITUATIONS.items()))
def test_operator_hint_comes_first(real_bot: Bot, text: str, slug: str) -> None:
    hints = real_bot.hints(text, k=3)
    assert hints, text
    first = hints[0]
    assert first.audience == "operator", [(h.audience, h.slug) for h in hints]
    assert first.slug == slug
    assert first.section and first.situation
    assert first.body  # the answer template


def test_customer_answers_follow_the_operator_hints(real_bot: Bot) -> None:
    hints = real_bot.hints("клиент спрашивает вес золотой цепочки", k=3)
    audiences = [h.audience for h in hints]
    assert audiences[0] == "operator"
    assert "customer" in audiences
    assert audiences == sorted(audiences, key=lambda a: a != "operator")  # operator ones first


def test_a_customer_question_without_a_hint_gets_customer_answers(real_bot: Bot) -> None:
    hints = real_bot.hints("как вывести деньги с баланса", k=3)
    assert hints[0].slug == "balance_withdrawal"
    assert hints[0].audience == "customer"


def test_hints_carry_the_internal_note_for_operators(real_bot: Bot) -> None:
    hints = real_bot.hints("клиент просит снять бан купонов", k=3)
    assert any("пересечений" in h.internal_note.lower() for h in hints)
    data = hints[0].to_json()
    assert {"slug", "section", "situation", "body", "audience", "internal_note"} <= set(data)


@pytest.mark.parametrize("text", ["", "😀", "<b></b>", "клиент просит", None, "а" * 10_000])
def test_hints_never_raise(real_bot: Bot, text: object) -> None:
    hints = real_bot.hints(text, k=3)
    assert isinstance(hints, list)
    assert len(hints) <= 3


def test_k_is_respected(real_bot: Bot) -> None:
    assert len(real_bot.hints("купон не применяется", k=1)) == 1
    assert len(real_bot.hints("купон не применяется", k=5)) <= 5
