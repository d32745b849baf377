"""Inaccurate descriptions (seed 000, «Сообщить о неточности»)."""

import pytest

from marketdesk.domain.descriptions import (
    DESCRIPTION_ERROR_QUEUE,
    SaleScheme,
    route_description_error,
)


def test_queue_name_from_the_seed() -> None:
    assert DESCRIPTION_ERROR_QUEUE == "Ошибка описания"


@pytest.mark.parametrize(
    ("scheme", "creates_task", "queue"),
    [
        (SaleScheme.RETAIL, True, "Ошибка описания"),
        (SaleScheme.FBO, False, None),
        (SaleScheme.FBS, False, None),
        (SaleScheme.RFBS, False, None),
        (SaleScheme.CROSSBORDER, False, None),
    ],
    ids=lambda v: v.value if isinstance(v, SaleScheme) else None,
)
def test_route(scheme: SaleScheme, creates_task: bool, queue: str | None) -> None:
    route = route_description_error(scheme)
    assert (route.creates_task, route.queue) == (creates_task, queue)


def test_retail_customer_message() -> None:
    assert route_description_error(SaleScheme.RETAIL).customer_message_ru == (
        "Спасибо, что сообщили о неточности в описании товара! Мы передали информацию "
        "специалистам, они проверят и исправят карточку товара."
    )


@pytest.mark.parametrize(
    "scheme",
    [SaleScheme.FBO, SaleScheme.FBS, SaleScheme.RFBS, SaleScheme.CROSSBORDER],
    ids=lambda v: v.value,
)
def test_seller_schemes_send_the_customer_to_the_seller_chat(scheme: SaleScheme) -> None:
    message = route_description_error(scheme).customer_message_ru
    assert "напишите ему в чат" in message
    assert "продавец" in message


def test_scheme_given_as_string() -> None:
    assert route_description_error("retail").creates_task is True  # type: ignore[arg-type]


def test_unknown_scheme_raises() -> None:
    with pytest.raises(ValueError):
        route_description_error("dropship")  # type: ignore[arg-type]
