"""The buyer ↔ seller chat's guard (``domain.seller_chat``): contacts and payment details are
found however they are written; order numbers, prices, product codes and the company's
published numbers pass."""

from __future__ import annotations

import pytest

from marketdesk.domain.chat_access import Caller, ConversationFacts, may_read
from marketdesk.domain.seller_chat import ContactKind, contacts_in


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Позвоните: +7 916 123-45-67", (ContactKind.PHONE,)),
        ("мой номер 8(916)1234567", (ContactKind.PHONE,)),
        ("пишите ivan.petrov@mail.ru", (ContactKind.EMAIL,)),
        ("почта ivan＠mail.ru", (ContactKind.EMAIL,)),  # a full-width at sign
        ("карта 4276 3800 1234 5679", (ContactKind.CARD,)),
        ("карта ４２７６３８００１２３４５６７９", (ContactKind.CARD,)),  # full-width digits
        ("счёт 40817810099910004312", (ContactKind.ACCOUNT,)),
        (
            "звоните +79161234567 или ivan@mail.ru",
            (ContactKind.PHONE, ContactKind.EMAIL),
        ),
    ],
)
def test_contacts_are_found(text: str, found: tuple[ContactKind, ...]) -> None:
    assert contacts_in(text) == found


@pytest.mark.parametrize(
    "text",
    [
        "Заказ 61000001-0001 на 2 990 ₽ доставим 12.12.2026",
        "Артикул 235260644, гарантия 12 месяцев",
        "Горячая линия: 8 800 234-70-00",
        "Отправим сегодня, трек появится в заказе",
        "",
    ],
)
def test_ordinary_messages_pass(text: str) -> None:
    assert contacts_in(text) == ()


def test_only_the_sellers_accounts_read_a_seller_chat() -> None:
    facts = ConversationFacts(line="seller_chat", customer_id="7", seller_id="3")
    seller = Caller("operator", "10", frozenset({"operator"}), sellers=frozenset({"3"}))
    other_seller = Caller("operator", "11", frozenset({"operator"}), sellers=frozenset({"4"}))
    # the line gives nobody access by membership
    on_the_line = Caller("operator", "12", frozenset({"operator"}), frozenset({"seller_chat"}))
    assert may_read(seller, facts)
    assert not may_read(other_seller, facts)
    assert not may_read(on_the_line, facts)
    assert may_read(Caller("customer", "7"), facts)
    assert not may_read(Caller("customer", "8"), facts)
    assert may_read(Caller("operator", "1", frozenset({"supervisor"})), facts)
    # passed back to support: the seller keeps reading it
    passed = ConversationFacts(line="general", customer_id="7", seller_id="3")
    assert may_read(seller, passed)
