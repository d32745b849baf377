"""The privacy guard normalises first (issue 18, finding 5): zero-width and other format
characters, full-width and other-script digits, every kind of space, dash, dot, slash or
underscore inside a card number, a phone number or another customer's ID do not get them
past it — while the ordinary texts an operator writes (dates, prices, order numbers, product
codes) still pass.

A corpus of evasions, grown by a property-based test (hypothesis): random format
characters, full-width digits and separators put into a card, a phone or an ID are refused;
random benign texts keep their verdict when format characters are sprinkled into them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from marketdesk.domain.privacy import (
    PrivacyViolationCode,
    candidate_ids,
    check_outgoing_text,
    normalise,
)
from tests.conftest import auth
from tests.errors import assert_error

C = PrivacyViolationCode
OTHER_ID = "12345678"
OWN_ID = "58561573"


def codes(text: str) -> list[str]:
    return [
        v.code.value
        for v in check_outgoing_text(text, other_customer_ids=[OTHER_ID], own_customer_id=OWN_ID)
    ]


ZW = "\u200b"  # zero-width space
SHY = "\u00ad"  # soft hyphen
THIN = "\u2009"
NNBSP = "\u202f"
NBH = "\u2011"  # non-breaking hyphen


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) - 48 + 0xFF10) if c.isdigit() else c for c in text)


def arabic(text: str) -> str:
    return "".join(chr(ord(c) - 48 + 0x0660) if c.isdigit() else c for c in text)


def bold(text: str) -> str:  # MATHEMATICAL BOLD DIGITS
    return "".join(chr(ord(c) - 48 + 0x1D7CE) if c.isdigit() else c for c in text)


CARD = "4111111111111111"
PHONE = "+7 912 345-67-89"

EVASIONS = [
    # cards
    (f"Карта {ZW.join(['4111', '1111', '1111', '1111'])}", C.FULL_CARD_NUMBER),
    (f"Карта {SHY.join(['4111', '1111', '1111', '1111'])}", C.FULL_CARD_NUMBER),
    (f"Карта {ZW.join(CARD)}", C.FULL_CARD_NUMBER),
    ("Карта 4111\u200d1111\u20601111\ufeff1111", C.FULL_CARD_NUMBER),
    (f"Карта {fullwidth('4111 1111 1111 1111')}", C.FULL_CARD_NUMBER),
    (f"Карта {fullwidth(CARD)}", C.FULL_CARD_NUMBER),
    ("Карта ４１１１\u3000１１１１\u3000１１１１\u3000１１１１", C.FULL_CARD_NUMBER),
    (f"Карта {arabic('5555 5555 5555 4444')}", C.FULL_CARD_NUMBER),
    (f"Карта {bold('2202200000000008')}", C.FULL_CARD_NUMBER),
    (f"Карта {THIN.join(['4111', '1111', '1111', '1111'])}", C.FULL_CARD_NUMBER),
    (f"Карта {NNBSP.join(['4111', '1111', '1111', '1111'])}", C.FULL_CARD_NUMBER),
    ("Карта 4111.1111.1111.1111", C.FULL_CARD_NUMBER),
    ("Карта 4111/1111/1111/1111", C.FULL_CARD_NUMBER),
    ("Карта 4111_1111_1111_1111", C.FULL_CARD_NUMBER),
    ("Карта 4111\\1111\\1111\\1111", C.FULL_CARD_NUMBER),
    ("Карта 4111 — 1111 — 1111 — 1111", C.FULL_CARD_NUMBER),
    ("Карта 4111\u20131111\u20131111\u20131111", C.FULL_CARD_NUMBER),
    (f"Карта 4111{NBH}1111{NBH}1111{NBH}1111", C.FULL_CARD_NUMBER),
    ("Карта 4111 . 1111 . 1111 . 1111", C.FULL_CARD_NUMBER),
    ("Карта 3782\u00b7822463\u00b710005", C.FULL_CARD_NUMBER),
    # phones
    (f"Ваш номер +7{ZW}912{ZW}345{ZW}67{ZW}89", C.FULL_PHONE_NUMBER),
    (f"Ваш номер {fullwidth('+7 912 345-67-89')}", C.FULL_PHONE_NUMBER),
    (f"Ваш номер {fullwidth('89123456789')}", C.FULL_PHONE_NUMBER),
    ("Ваш номер 8.912.345.67.89", C.FULL_PHONE_NUMBER),
    ("Ваш номер 8/912/345/67/89", C.FULL_PHONE_NUMBER),
    ("Ваш номер 8_912_345_67_89", C.FULL_PHONE_NUMBER),
    (f"Ваш номер 8{SHY}912{SHY}345{SHY}67{SHY}89", C.FULL_PHONE_NUMBER),
    (f"Ваш номер +7{THIN}912{THIN}345{THIN}67{THIN}89", C.FULL_PHONE_NUMBER),
    (f"Ваш номер 8 (912) 345{NBH}67{NBH}89", C.FULL_PHONE_NUMBER),
    ("Ваш номер 8\u2012912\u2012345\u201267\u201289", C.FULL_PHONE_NUMBER),
    (f"Ваш номер 8912{ZW}345{ZW}6789", C.FULL_PHONE_NUMBER),
    (f"Ваш номер {arabic('89123456789')}", C.FULL_PHONE_NUMBER),
    ("Ваш номер 8 . 912 . 345 . 67 . 89", C.FULL_PHONE_NUMBER),
    # another customer's ID
    (f"Клиент 1234{ZW}5678 тоже жаловался.", C.OTHER_CUSTOMER_DATA),
    (f"Клиент {fullwidth(OTHER_ID)} тоже жаловался.", C.OTHER_CUSTOMER_DATA),
    ("Клиент 12.345.678 тоже жаловался.", C.OTHER_CUSTOMER_DATA),
    ("Клиент 12/345/678 тоже жаловался.", C.OTHER_CUSTOMER_DATA),
    (f"Клиент 12{THIN}345{THIN}678 тоже жаловался.", C.OTHER_CUSTOMER_DATA),
    (f"Клиент 1234{SHY}5678 тоже жаловался.", C.OTHER_CUSTOMER_DATA),
    (f"Заказ клиента 12345678{NBH}0001 уже доставлен.", C.OTHER_CUSTOMER_DATA),
    (f"Клиент {bold(OTHER_ID)} тоже жаловался.", C.OTHER_CUSTOMER_DATA),
    # coupon-ban details written with invisible characters or accents
    (f"Обнаружено пере{ZW}сечений: три.", C.COUPON_BAN_DETAILS),
    ("У вас 3 пересече\u0301ния.", C.COUPON_BAN_DETAILS),
    (f"Ваш аккаунт связан с друг{SHY}ими аккаунтами.", C.COUPON_BAN_DETAILS),
]


@pytest.mark.parametrize(
    ("text", "code"),
    EVASIONS,
    ids=[f"{c.value}:{t.encode('unicode_escape')[:48]!r}" for t, c in EVASIONS],
)
def test_evasions_are_refused(text: str, code: PrivacyViolationCode) -> None:
    assert code.value in codes(text)


def test_the_span_covers_the_original_text() -> None:
    text = f"Карта 4111{ZW}1111{ZW}1111{ZW}1111, спасибо."
    [violation] = check_outgoing_text(text)
    assert text[violation.start : violation.end] == f"4111{ZW}1111{ZW}1111{ZW}1111"
    text = f"Ваш номер {fullwidth('+7 912 345-67-89')}."
    [violation] = check_outgoing_text(text)
    assert text[violation.start : violation.end] == fullwidth("+7 912 345-67-89")


BENIGN = [
    "Ваш заказ 58561573-0011 доставлен в пункт выдачи.",
    f"Ваш заказ 58561573{NBH}0011 доставлен в пункт выдачи.",
    "Заказ 58561573-0010 от 12.03.2026 на сумму 1 805,00 ₽.",
    "Доставка 12.03.2024–15.03.2024.",
    "Доставка с 12.03.2024 по 15.03.2024, с 10:00 до 20:00.",
    "Даты: 01.02.2025 - 03.04.2025 - 05.06.2025.",
    "Цена 1 500 ₽.",
    f"Цена 1{NNBSP}500{NNBSP}₽, скидка 1{THIN}050 ₽.",
    "Сумма 1.500.000 ₽.",
    "Размеры 30×20×10 см, вес 1,5 кг.",
    "Версия приложения 2.5.1.",
    "Пункт выдачи: ул. Ленина, д. 8/2, кв. 15.",
    "Товары 483491476 / 235260644 в наличии.",
    "Товар 483491476: 3 557 ₽ → 2 481 ₽.",
    "Доставка 3–5 дней, скидка 10–15 %.",
    "Позвоните нам: 8 (800) 234-70-00 — звонок бесплатный.",
    "Позвоните нам: 8.800.234.70.00.",
    "Номер для Москвы: +7 (495) 009-70-70.",
    "Остатки: 97 296 293 311 206 шт.",
    "Остатки: 97/296/293/311/206 шт.",
    "ИНН 7704217370, ОГРН 1027739244741.",
    "Счёт 40702810100002400756 в АО «Райффайзенбанк».",
    "Оплата прошла по карте •••• 1234.",
    "Ваш телефон: +7 ••• •••-••-89.",
    "Клиент 58561573, ваш заказ готов к выдаче.",
    f"Клиент {fullwidth(OWN_ID)}, ваш заказ готов к выдаче.",
    "Пункт выдачи находится на пересечении улиц Ленина и 8 Марта.",
    "Промокод BOOM01 действует до 30.11.2026.",
    "Трек-номер RA123456789RU.",
]


@pytest.mark.parametrize("text", BENIGN, ids=[t[:40] for t in BENIGN])
def test_ordinary_texts_still_pass(text: str) -> None:
    assert codes(text) == []


def test_candidate_ids_see_through_separators() -> None:
    assert "12345678" in candidate_ids(f"клиент 12{THIN}345.678")
    assert "61000004" in candidate_ids(f"связан с клиентом ６１０{ZW}００００４")
    assert "58561573" in candidate_ids("заказ 58561573-0011")
    assert candidate_ids("1 500 ₽ за 3 шт.") == []


def test_normalise_keeps_a_map_to_the_original() -> None:
    text = f"a{ZW}１２.3"
    norm, starts, ends = normalise(text)
    assert norm == "a12-3"
    assert [text[s:e] for s, e in zip(starts, ends, strict=True)] == ["a", "１", "２", ".", "3"]


# --------------------------------------------------------------------------- property-based

FORMAT_CHARS = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u2062"]
SPACES = [" ", "\u00a0", "\u2009", "\u202f", "\u2002", "\u3000", "\u205f"]
SEPARATORS = [
    *SPACES,
    "-",
    "\u2010",
    "\u2011",
    "\u2012",
    "\u2013",
    "\u2014",
    "\u2212",
    ".",
    "/",
    "_",
    "\\",
    "\u00b7",
    "\uff0e",
    "\uff0f",
]

FORMS = {"ascii": str, "fullwidth": fullwidth, "bold": bold, "arabic": arabic}
TARGETS = {
    # (digit groups as written, what the guard must say)
    "visa": (["4111", "1111", "1111", "1111"], C.FULL_CARD_NUMBER),
    "mastercard": (["5555", "5555", "5555", "4444"], C.FULL_CARD_NUMBER),
    "mir": (["2202", "2000", "0000", "0008"], C.FULL_CARD_NUMBER),
    "amex": (["3782", "822463", "10005"], C.FULL_CARD_NUMBER),
    "phone": (["8", "912", "345", "67", "89"], C.FULL_PHONE_NUMBER),
    "phone+7": (["+7", "912", "345", "67", "89"], C.FULL_PHONE_NUMBER),
    "id": (["12", "345", "678"], C.OTHER_CUSTOMER_DATA),
    "id-whole": (["12345678"], C.OTHER_CUSTOMER_DATA),
}


@st.composite
def disguised(draw: st.DrawFn, groups: list[str]) -> str:
    """The number with its groups run together or a random separator (1–3 characters)
    between each two, its digits in random forms (ASCII, full-width, bold, Arabic-Indic)
    and random format characters anywhere in it."""
    joined = draw(st.booleans())
    separator = st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=3).map("".join)
    out = []
    for index, group in enumerate(groups):
        if index and not joined:
            out.append(draw(separator))
        for char in group:
            if char.isdigit():
                form = draw(st.sampled_from(sorted(FORMS)))
                char = FORMS[form](char)
            out.append(char)
            if draw(st.booleans()):
                out.append(draw(st.sampled_from(FORMAT_CHARS)))
    return "".join(out)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    data=st.data(),
    target=st.sampled_from(sorted(TARGETS)),
    before=st.sampled_from(["Номер: ", "Клиент ", "", "Вот: "]),
)
@example(data=None, target="visa", before="Номер: ").via("the plain number")
def test_a_disguised_number_is_refused(
    data: st.DataObject | None, target: str, before: str
) -> None:
    groups, code = TARGETS[target]
    number = " ".join(groups) if data is None else data.draw(disguised(groups))
    text = f"{before}{number}. Спасибо!"
    assert code.value in codes(text), repr(text)


BENIGN_WORDS = [
    "заказ",
    "доставлен",
    "в",
    "пункт",
    "выдачи",
    "цена",
    "₽",
    "шт.",
    "спасибо",
    "за",
    "ожидание",
    "скидка",
    "%",
    "с",
    "по",
    "до",
    "дней",
    "товар",
    "аккаунт",
    "номер",
    "ваш",
]


@st.composite
def benign_text(draw: st.DrawFn) -> str:
    """Words, quantities, prices with thousands, dates, times, the customer's own order
    numbers (a bare number next to another bare number may well be a phone: not here)."""
    pieces = draw(
        st.lists(
            st.one_of(
                st.sampled_from(BENIGN_WORDS),
                st.integers(0, 999).map(lambda n: f"{n} шт."),
                st.integers(0, 99).map(lambda n: f"{n} дней"),
                st.integers(1_000, 99_999).map(lambda n: f"{n // 1000} {n % 1000:03d} ₽"),
                st.dates(date(2000, 1, 1), date(2035, 12, 31)).map(lambda d: f"{d:%d.%m.%Y}"),
                st.times().map(lambda t: t.strftime("%H:%M")),
                st.integers(1, 9999).map(lambda n: f"{OWN_ID}-{n:04d}"),
            ),
            min_size=1,
            max_size=12,
        )
    )
    return " ".join(pieces)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    text=benign_text(),
    noise=st.lists(st.tuples(st.integers(0, 200), st.sampled_from(FORMAT_CHARS)), max_size=5),
)
def test_benign_texts_keep_their_verdict(text: str, noise: list[tuple[int, str]]) -> None:
    assert codes(text) == [], text
    noisy = text
    for position, char in noise:
        at = position % (len(noisy) + 1)
        noisy = noisy[:at] + char + noisy[at:]
    assert codes(noisy) == [], repr(noisy)


# --------------------------------------------------------------------------- end to end


def _reply(client: Any, tokens: dict[str, str], cid: int, text: str) -> Any:
    return client.post(
        f"/api/v1/conversations/{cid}/messages",
        json={"client_msg_id": uuid.uuid4().hex, "text": text},
        headers=auth(tokens["supervisor"]),
    )


def _conversation(client: Any, token: str) -> int:
    response = client.post("/api/v1/conversations", json={"line": "general"}, headers=auth(token))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.mark.parametrize(
    "text",
    [
        f"Ваша карта 4111{ZW}1111{ZW}1111{ZW}1111",
        "Ваша карта 4111.1111.1111.1111",
        f"Ваш номер {fullwidth('+7 912 345-67-89')}",
        "Ваш номер 8/912/345/67/89",
        f"Заказ покупателя 6100{ZW}0002 отменён",
        "Заказ покупателя 61.000.002 отменён",
    ],
)
def test_a_disguised_reply_is_refused_in_the_chat(client, tokens, text):
    cid = _conversation(client, tokens["customer"])
    response = _reply(client, tokens, cid, text)
    assert_error(response, 422, "privacy_violation")


def test_an_ordinary_reply_still_goes(client, tokens):
    cid = _conversation(client, tokens["customer"])  # customer 58561573
    text = "Ваш заказ 58561573-0011 от 12.03.2026 на 1 649 ₽ доставлен, трек 8/2."
    assert _reply(client, tokens, cid, text).status_code == 201


def test_another_customers_id_is_refused_in_an_anonymous_chat(client, tokens):
    """Issue 20, item 4: 61000004 is known only as a link of a coupon ban."""
    cid = _conversation(client, tokens["visitor"])
    response = _reply(client, tokens, cid, "Ваш аккаунт связан с клиентом 61000004.")
    assert response.status_code == 422, response.text
    [violation] = response.json()["error"]["violations"]
    assert (violation["code"], violation["fragment"]) == ("other_customer_data", "61000004")
    # and an existing customer's, written with a thin space
    response = _reply(client, tokens, cid, f"Это заказ клиента 61000{THIN}002.")
    assert response.status_code == 422
    checked = client.post(
        "/api/v1/guard/check",
        json={"text": "связан с клиентом 61000004"},
        headers=auth(tokens["operator"]),
    )
    assert checked.json()["ok"] is False
    # the conversation's own customer is never «another customer»
    own = _conversation(client, tokens["customer"])
    assert _reply(client, tokens, own, "Ваш ID 58561573.").status_code == 201
