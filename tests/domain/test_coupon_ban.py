"""Coupon ban decision by the number of account intersections (seed 000, «Бан купонов»)."""

import re

import pytest

from marketdesk.domain.coupon_ban import (
    FRAUD_QUEUE,
    CouponBanDecision,
    decide_coupon_ban,
)
from marketdesk.domain.privacy import check_outgoing_text

D = CouponBanDecision


def test_fraud_queue_name() -> None:
    assert FRAUD_QUEUE == "Фрод-мониторинг / Не могу активировать / Кодовое слово по акции"


@pytest.mark.parametrize(
    ("intersections", "decision", "create_task", "queue"),
    [
        (0, D.NONE, False, None),
        (1, D.CAN_BE_LIFTED, True, FRAUD_QUEUE),
        (2, D.CAN_BE_LIFTED, True, FRAUD_QUEUE),
        (3, D.NOT_LIFTED, False, None),
        (9, D.NOT_LIFTED, False, None),
        (10, D.MAY_BE_LIFTED, True, FRAUD_QUEUE),
        (11, D.MAY_BE_LIFTED, True, FRAUD_QUEUE),
        (1_000, D.MAY_BE_LIFTED, True, FRAUD_QUEUE),
    ],
    ids=lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else None,
)
def test_decision_by_intersections(
    intersections: int, decision: CouponBanDecision, create_task: bool, queue: str | None
) -> None:
    verdict = decide_coupon_ban(intersections)
    assert (verdict.decision, verdict.create_task, verdict.task_queue) == (
        decision,
        create_task,
        queue,
    )


COUNTS = [*range(0, 25), 99, 100, 12_345]


@pytest.mark.parametrize("intersections", COUNTS, ids=[str(n) for n in COUNTS])
def test_customer_message_never_contains_a_digit(intersections: int) -> None:
    message = decide_coupon_ban(intersections).customer_message_ru
    assert re.search(r"\d", message) is None, message


@pytest.mark.parametrize("intersections", COUNTS, ids=[str(n) for n in COUNTS])
def test_customer_message_never_mentions_intersections_or_other_accounts(
    intersections: int,
) -> None:
    message = decide_coupon_ban(intersections).customer_message_ru.lower()
    for forbidden in ("пересечени", "други", "связан", "аккаунты", "аккаунтов", "аккаунтами"):
        assert forbidden not in message, forbidden


@pytest.mark.parametrize("intersections", [0, 1, 2, 3, 9, 10, 11], ids=lambda n: str(n))
def test_customer_message_passes_the_privacy_guard(intersections: int) -> None:
    assert check_outgoing_text(decide_coupon_ban(intersections).customer_message_ru) == ()


@pytest.mark.parametrize("intersections", [1, 2, 3, 9, 10, 11], ids=lambda n: str(n))
def test_operator_message_names_the_count_and_the_privacy_rule(intersections: int) -> None:
    message = decide_coupon_ban(intersections).operator_message_ru
    assert message.startswith(f"Пересечения этого аккаунта с другими: {intersections}.")
    assert message.endswith(
        "Не называйте клиенту количество пересечений и данные аккаунтов, с которыми они есть."
    )


@pytest.mark.parametrize(
    ("intersections", "fragment"),
    [
        (0, "бан купонов отсутствует"),
        (1, "Ограничение можно снять: создайте задание в очередь «" + FRAUD_QUEUE + "»"),
        (2, "сориентируйте клиента на ожидание ответа"),
        (3, "Ограничение снято не будет, задание не создаётся."),
        (9, "Ограничение снято не будет"),
        (10, "Ограничение может быть снято: создайте задание в очередь «" + FRAUD_QUEUE + "»"),
        (11, "Ответ о возможности разблокировки будет предоставлен в задании."),
    ],
    ids=lambda v: str(v) if isinstance(v, int) else None,
)
def test_operator_message_says_what_to_do(intersections: int, fragment: str) -> None:
    assert fragment in decide_coupon_ban(intersections).operator_message_ru


@pytest.mark.parametrize(
    ("intersections", "fragment"),
    [
        (0, "Ограничений на использование купонов в вашем аккаунте нет."),
        (1, "Пожалуйста, дождитесь ответа"),
        (3, "снять ограничение на использование одноразовых купонов в вашем аккаунте не получится"),
        (10, "они проверят, можно ли снять ограничение"),
    ],
    ids=["none", "can-be-lifted", "not-lifted", "may-be-lifted"],
)
def test_customer_message_content(intersections: int, fragment: str) -> None:
    assert fragment in decide_coupon_ban(intersections).customer_message_ru


def test_lifted_and_may_be_lifted_tell_different_things() -> None:
    assert decide_coupon_ban(1).customer_message_ru != decide_coupon_ban(10).customer_message_ru


@pytest.mark.parametrize("intersections", [-1, -10], ids=["-1", "-10"])
def test_negative_count_raises(intersections: int) -> None:
    with pytest.raises(ValueError, match="negative"):
        decide_coupon_ban(intersections)


@pytest.mark.parametrize("value", [True, 1.0, "1", None], ids=["bool", "float", "str", "none"])
def test_non_integer_count_raises(value: object) -> None:
    with pytest.raises(TypeError):
        decide_coupon_ban(value)  # type: ignore[arg-type]
