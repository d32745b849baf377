"""The sync's record rules (``domain/sync.py``), without a database."""

from __future__ import annotations

import pytest

from marketdesk.domain.sync import (
    CustomerRecord,
    OrderRecord,
    RecordInvalid,
    StockRecord,
    SyncKind,
    mask_contacts,
    parse_record,
)
from marketdesk.services.sync.common import VOCABULARY

CUSTOMER = {"id": 1, "full_name": "Иванов Иван", "registered_on": "2024-01-01"}


def customer(**fields) -> CustomerRecord:
    record = parse_record(SyncKind.CUSTOMERS, {**CUSTOMER, **fields}, VOCABULARY)
    assert isinstance(record, CustomerRecord)
    return record


@pytest.mark.parametrize("phone", ["+7 912 345-67-89", "8 (912) 345-67-89", "9123456789"])
def test_phones_go_through_the_one_phone_rule(phone: str) -> None:
    assert customer(phone=phone).phone == "+79123456789"


def test_e_mails_are_lower_cased_and_defaults_apply() -> None:
    record = customer(email=" Ivan.Petrov@Mail.RU ")
    assert record.email == "ivan.petrov@mail.ru"
    assert (record.kind, record.timezone, record.coupon_ban_given) == (
        "individual",
        "Europe/Moscow",
        False,
    )


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"phone": "+1 212 555 0100"}, "phone"),
        ({"email": "не почта"}, "email"),
        ({"id": 0}, "id"),
        ({"id": True}, "id"),
        ({"registered_on": "2024-13-01"}, "registered_on"),
        ({"timezone": "Moscow"}, "timezone"),
        ({"kind": "alien"}, "kind"),
        ({"full_name": "   "}, "full_name"),
        ({"coupon_ban": {"intersections": 0}}, "intersections"),
        ({"nickname": "x"}, "nickname"),
    ],
)
def test_a_bad_field_is_named_in_russian(fields: dict, named: str) -> None:
    with pytest.raises(RecordInvalid) as caught:
        customer(**fields)
    assert named in caught.value.message
    assert any("а" <= ch <= "я" for ch in caught.value.message.lower())


def order(**fields) -> OrderRecord:
    base = {
        "number": "1-1",
        "customer_id": 1,
        "status": "completed",
        "delivery": "courier",
        "created_at": "2024-01-01T10:00:00+03:00",
        "total": "1499.90",
    }
    record = parse_record(SyncKind.ORDERS, {**base, **fields}, VOCABULARY)
    assert isinstance(record, OrderRecord)
    return record


def test_money_is_kept_in_kopecks_and_checked() -> None:
    assert order().total == 149990
    for bad in ("14.999", "-1", "много", True):
        with pytest.raises(RecordInvalid):
            order(total=bad)
    with pytest.raises(RecordInvalid, match="сумме товаров"):
        order(total=100, items=[{"name": "Чай", "quantity": 2, "price": 60}])
    with pytest.raises(RecordInvalid, match="часовым поясом"):
        order(created_at="2024-01-01T10:00:00")
    with pytest.raises(RecordInvalid, match="истории заказа"):
        order(history=[{"status": "created", "at": "2024-01-01T10:00:00+03:00"}])


def test_stock_takes_one_shape_at_a_time() -> None:
    snapshot = parse_record(
        SyncKind.STOCK, {"product_id": 5, "warehouses": {"A": 1, "B": 0}}, VOCABULARY
    )
    assert isinstance(snapshot, StockRecord) and snapshot.snapshot == (("A", 1), ("B", 0))
    with pytest.raises(RecordInvalid, match="что-то одно"):
        parse_record(
            SyncKind.STOCK,
            {"product_id": 5, "warehouse": "A", "quantity": 1, "delta": 2},
            VOCABULARY,
        )
    with pytest.raises(RecordInvalid, match="delta_id"):
        parse_record(SyncKind.STOCK, {"product_id": 5, "warehouse": "A", "delta": 2}, VOCABULARY)


def test_contacts_in_a_text_are_masked() -> None:
    text = "Мой номер +7 (912) 345-67-89, почта ivan@mail.ru, заказ 58561573-0011"
    masked = mask_contacts(text)
    assert "345-67-89" not in masked and "ivan@" not in masked
    assert masked.count("[удалено]") == 2 and "58561573-0011" in masked
