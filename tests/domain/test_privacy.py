"""Privacy guard for outgoing texts (seed 000 «ЗАПРЕЩЕНО КЛИЕНТУ НАЗЫВАТЬ КОЛИЧЕСТВО
ПЕРЕСЕЧЕНИЙ И ДАННЫЕ АККАУНТОВ»; seed 002 confidential data)."""

import pytest

from marketdesk.domain.privacy import (
    VIOLATION_MESSAGES_RU,
    PrivacyViolationCode,
    check_outgoing_text,
    luhn_valid,
    mask_email,
    mask_phone,
)

C = PrivacyViolationCode
OTHER_ID = "12345678"
OWN_ID = "58561573"


def found(text: str) -> list[tuple[str, str]]:
    return [
        (v.code.value, text[v.start : v.end])
        for v in check_outgoing_text(text, other_customer_ids=[OTHER_ID], own_customer_id=OWN_ID)
    ]


BLOCKED = [
    # coupon-ban details: the count
    (
        "Пересечения этого аккаунта с другими: 1",
        C.COUPON_BAN_DETAILS,
        "Пересечения этого аккаунта с другими: 1",
    ),
    (
        "У вашего аккаунта 3 пересечения, поэтому купоны заблокированы.",
        C.COUPON_BAN_DETAILS,
        "3 пересечения",
    ),
    ("Обнаружено пересечений: три.", C.COUPON_BAN_DETAILS, "пересечений: три"),
    ("Найдено несколько пересечений.", C.COUPON_BAN_DETAILS, "несколько пересечений"),
    ("Количество пересечений — 12.", C.COUPON_BAN_DETAILS, "пересечений — 12"),
    ("ПЕРЕСЕЧЕНИЙ: 10, ограничение может быть снято.", C.COUPON_BAN_DETAILS, "ПЕРЕСЕЧЕНИЙ: 10"),
    ("У вас одно пересечение.", C.COUPON_BAN_DETAILS, "одно пересечение"),
    (
        "Пересечение всего одно, купоны скоро разблокируют.",
        C.COUPON_BAN_DETAILS,
        "Пересечение всего одно",
    ),
    # coupon-ban details: other / linked accounts
    (
        "У вас два пересечения с другими аккаунтами.",
        C.COUPON_BAN_DETAILS,
        "два пересечения с другими аккаунтами",
    ),
    (
        "Ваш аккаунт связан с другими аккаунтами.",
        C.COUPON_BAN_DETAILS,
        "связан с другими аккаунтами",
    ),
    ("Ваш профиль связан ещё с двумя профилями.", C.COUPON_BAN_DETAILS, "связан ещё с двумя"),
    ("Аккаунт связан с 3 другими.", C.COUPON_BAN_DETAILS, "связан с 3"),
    (
        "Купоны заблокированы из-за связанных аккаунтов.",
        C.COUPON_BAN_DETAILS,
        "связанных аккаунтов",
    ),
    (
        "Мы нашли связанные с вашим аккаунтом профили.",
        C.COUPON_BAN_DETAILS,
        "связанные с вашим аккаунтом профили",
    ),
    ("Купоны недоступны: у вас есть другие аккаунты.", C.COUPON_BAN_DETAILS, "другие аккаунты"),
    (
        "Система обнаружила несколько аккаунтов на одном устройстве.",
        C.COUPON_BAN_DETAILS,
        "несколько аккаунтов",
    ),
    ("Это мультиаккаунт, поэтому купоны заблокированы.", C.COUPON_BAN_DETAILS, "мультиаккаунт"),
    (
        "Аккаунты, с которыми есть пересечения, принадлежат вашим родственникам.",
        C.COUPON_BAN_DETAILS,
        "Аккаунты, с которыми",
    ),
    (
        "Пересечения с другими учётными записями не позволяют снять бан.",
        C.COUPON_BAN_DETAILS,
        "Пересечения с другими учётными записями",
    ),
    (
        "Пересечения с чужими профилями мешают.",
        C.COUPON_BAN_DETAILS,
        "Пересечения с чужими профилями",
    ),
    # other customers
    ("Заказ клиента 12345678-0001 уже доставлен.", C.OTHER_CUSTOMER_DATA, "12345678"),
    ("Клиент 12345678 тоже жаловался.", C.OTHER_CUSTOMER_DATA, "12345678"),
    ("Клиент с ID 12 345 678 оформил возврат.", C.OTHER_CUSTOMER_DATA, "12 345 678"),
    # card numbers
    ("Номер вашей карты 4111 1111 1111 1111.", C.FULL_CARD_NUMBER, "4111 1111 1111 1111"),
    ("Карта 4111-1111-1111-1111 привязана.", C.FULL_CARD_NUMBER, "4111-1111-1111-1111"),
    ("Карта 4111111111111111 привязана.", C.FULL_CARD_NUMBER, "4111111111111111"),
    ("Карта Amex 3782 822463 10005.", C.FULL_CARD_NUMBER, "3782 822463 10005"),
    ("Карта 2202200000000008 (Мир).", C.FULL_CARD_NUMBER, "2202200000000008"),
    ("Номер 5600 0000 0000 0000 002.", C.FULL_CARD_NUMBER, "5600 0000 0000 0000 002"),
    ("Карта 4000000000006, 13 цифр.", C.FULL_CARD_NUMBER, "4000000000006"),
    (
        "Оплата: 5555\u00a05555\u00a05555\u00a04444",
        C.FULL_CARD_NUMBER,
        "5555\u00a05555\u00a05555\u00a04444",
    ),
    # phone numbers
    ("Ваш номер +7 912 345-67-89.", C.FULL_PHONE_NUMBER, "+7 912 345-67-89"),
    ("Ваш номер 89123456789.", C.FULL_PHONE_NUMBER, "89123456789"),
    ("Ваш номер 8 (912) 345-67-89.", C.FULL_PHONE_NUMBER, "8 (912) 345-67-89"),
    ("Ваш номер +79123456789.", C.FULL_PHONE_NUMBER, "+79123456789"),
    ("Позвоните по номеру 7 912 345 67 89.", C.FULL_PHONE_NUMBER, "7 912 345 67 89"),
    ("Ваш номер (912) 345-67-89.", C.FULL_PHONE_NUMBER, "(912) 345-67-89"),
    ("Ваш номер +7(912)3456789.", C.FULL_PHONE_NUMBER, "+7(912)3456789"),
    ("Курьер: 8-912-345-67-89", C.FULL_PHONE_NUMBER, "8-912-345-67-89"),
]


@pytest.mark.parametrize(
    ("text", "code", "fragment"), BLOCKED, ids=[f"{c.value}:{t[:40]}" for t, c, _ in BLOCKED]
)
def test_blocked(text: str, code: PrivacyViolationCode, fragment: str) -> None:
    assert found(text) == [(code.value, fragment)]


ALLOWED = [
    "Ваш заказ 58561573-0011 доставлен в пункт выдачи.",
    "Сумма заказа — 1 649,00 ₽, скидка 1 050,00 ₽.",
    "Цена: 2 990,00 ₽, цена со скидкой: 1 940,00 ₽.",
    "Код товара 235260644, серийный номер OZN235260644.",
    "Заказ 58561573-0010 от 12.03.2026 на сумму 1 805,00 ₽.",
    "Клиент 58561573, ваш заказ готов к выдаче.",
    "Позвоните нам: 8 (800) 234-70-00 — звонок бесплатный.",
    "Номер для Москвы: +7 (495) 009-70-70, для Санкт-Петербурга: +7 (812) 494-06-06.",
    "Статус запроса можно уточнить по телефону +7 958 400-00-05, доб. 76077.",
    "Горячая линия: 8-800-555-35-35.",
    "Ваш телефон: +7 ••• •••-••-89.",
    "Ваша почта: a•••@mail.ru.",
    "Возможно, заказ оформлен в другом аккаунте — проверьте, пожалуйста.",
    "Войдите в аккаунт по номеру телефона.",
    "Ваш аккаунт связан с номером телефона.",
    "Оплата прошла по карте •••• 1234.",
    "Карта **** **** **** 1111.",
    "Пункт выдачи находится на пересечении улиц Ленина и 8 Марта.",
    "Использование одноразовых купонов в вашем аккаунте ограничено, мы передали обращение "
    "специалистам.",
    "Мы не раскрываем данные других клиентов.",
    "Остатки по складам: 97, 296, 293, 311, 206.",
    "Остатки: 97 296 293 311 206 шт.",
    "Счёт 40702810100002400756 в АО «Райффайзенбанк».",
    "Промокод BOOM01 действует до 30.11.2026.",
    "Пересечений нет.",
    "ИНН 7704217370, ОГРН 1027739244741.",
    "Доставка 18 апреля, время у клиента 12:27.",
    "Проверка качества — 3 дня, возврат товара надлежащего качества — 7 дней.",
    "Номер карты 4111 1111 1111 1112 не проходит проверку.",
    "Товар 483491476: 3 557 ₽ → 2 481 ₽.",
    "",
]


@pytest.mark.parametrize("text", ALLOWED, ids=[t[:40] or "empty" for t in ALLOWED])
def test_allowed(text: str) -> None:
    assert found(text) == []


def test_own_id_is_never_foreign() -> None:
    text = "Ваш заказ 58561573-0011 доставлен."
    result = check_outgoing_text(
        text, other_customer_ids=[OWN_ID, OTHER_ID], own_customer_id=OWN_ID
    )
    assert result == ()


def test_without_other_ids_an_id_is_just_a_number() -> None:
    assert check_outgoing_text("Заказ 12345678-0001 доставлен.") == ()


@pytest.mark.parametrize(
    ("text", "other_ids"),
    [
        ("Заказ 12345678-0001.", ["", "  "]),
        ("Заказ 12345678-0001.", ["123456789"]),
        ("Заказ 12345678-0001.", ["2345678"]),
        ("Код 4000 1234 5678 готов.", ["12345678"]),
        ("Код 1234 5678 9000 готов.", ["12345678"]),
    ],
    ids=[
        "blank-ids-ignored",
        "longer-id",
        "shorter-id-inside-number",
        "tail-of-grouped-number",
        "head-of-grouped-number",
    ],
)
def test_other_ids_match_whole_tokens_only(text: str, other_ids: list[str]) -> None:
    assert check_outgoing_text(text, other_customer_ids=other_ids) == ()


def test_non_numeric_other_id_matches_case_insensitively() -> None:
    text = "Аккаунт user-ab12 оформил заказ."
    result = check_outgoing_text(text, other_customer_ids=["USER-AB12"])
    assert [(v.code, text[v.start : v.end]) for v in result] == [
        (C.OTHER_CUSTOMER_DATA, "user-ab12")
    ]


def test_several_violations_are_ordered_by_position() -> None:
    text = "Клиент 12345678, телефон +7 912 345-67-89, карта 4111 1111 1111 1111, пересечений: 2."
    assert [code for code, _ in found(text)] == [
        "other_customer_data",
        "full_phone_number",
        "full_card_number",
        "coupon_ban_details",
    ]


def test_violation_carries_the_russian_message() -> None:
    (violation,) = check_outgoing_text("Ваш номер 89123456789.")
    assert violation.message_ru == VIOLATION_MESSAGES_RU[C.FULL_PHONE_NUMBER]
    assert "+7 ••• •••-••-89" in violation.message_ru


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        (C.COUPON_BAN_DETAILS, "запрещено называть количество пересечений"),
        (C.OTHER_CUSTOMER_DATA, "идентификатор другого клиента"),
        (C.FULL_CARD_NUMBER, "полный номер банковской карты"),
        (C.FULL_PHONE_NUMBER, "полный номер телефона"),
    ],
    ids=lambda v: v.value if isinstance(v, PrivacyViolationCode) else None,
)
def test_messages_explain_why(code: PrivacyViolationCode, fragment: str) -> None:
    assert VIOLATION_MESSAGES_RU[code].startswith("Сообщение нельзя отправить")
    assert fragment in VIOLATION_MESSAGES_RU[code]


@pytest.mark.parametrize(
    "layout",
    ["ddd ddd ddd ddd ddd", "dddddddd-dddd dddd", "dd dddd dddd dddd", "dddd dddd dddd ddddd"],
    ids=["groups-of-three", "order-number-and-more", "starts-with-two", "last-group-of-five"],
)
def test_luhn_valid_digits_in_non_card_groups_are_not_a_card(layout: str) -> None:
    width = layout.count("d")
    prefix = "9876543210987654321"[: width - 1]
    number = next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))
    digits = iter(number)
    text = "".join(next(digits) if ch == "d" else ch for ch in layout)
    assert found(f"Остатки: {text}.") == []


@pytest.mark.parametrize(
    "prefix", ["427689123456789", "800012345678901"], ids=["group-starts-with-8", "starts-with-8"]
)
def test_a_card_number_is_reported_once(prefix: str) -> None:
    number = next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))
    grouped = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    assert found(f"Карта {grouped}") == [("full_card_number", grouped)]
    assert found(f"Карта {number}") == [("full_card_number", number)]


@pytest.mark.parametrize(
    "text",
    ["1 " * 50_000, "пересечения 1 " * 2_000, "\x00\uffff" * 10_000, "4111 " * 10_000],
    ids=["many-numbers", "many-intersections", "garbage", "many-groups"],
)
def test_large_inputs_do_not_fail(text: str) -> None:
    result = check_outgoing_text(text)
    assert all(0 <= v.start < v.end <= len(text) for v in result)


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4111111111111111", True),
        ("5555555555554444", True),
        ("378282246310005", True),
        ("4111111111111112", False),
        ("", False),
        ("12a4", False),
        ("０", False),
    ],
    ids=["visa", "mastercard", "amex", "bad-checksum", "empty", "letters", "fullwidth-digit"],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+7 912 345-67-89", "+7 ••• •••-••-89"),
        ("89123456789", "+7 ••• •••-••-89"),
        ("79123456700", "+7 ••• •••-••-00"),
        ("(912) 345-67-12", "+7 ••• •••-••-12"),
        ("9123456789", "+7 ••• •••-••-89"),
        ("12345", "•••45"),
        ("+44 20 7946 0958", "+•• •• •••• ••58"),
        ("", ""),
    ],
    ids=["plus7", "eight", "seven", "brackets", "ten-digits", "short", "foreign", "empty"],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_masked_phone_passes_the_guard() -> None:
    assert check_outgoing_text(f"Ваш номер {mask_phone('+7 912 345-67-89')}.") == ()


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("alex@mail.ru", "a•••@mail.ru"),
        ("a@mail.ru", "a•••@mail.ru"),
        ("Ivan.Petrov@yandex.ru", "I•••@yandex.ru"),
        ("  anna@ozon.ru ", "a•••@ozon.ru"),
        ("@mail.ru", "•••@mail.ru"),
        ("not-an-email", "•••"),
        ("user@", "•••"),
        ("", "•••"),
    ],
    ids=["plain", "one-letter", "dotted", "spaces", "no-local", "no-at", "no-domain", "empty"],
)
def test_mask_email(email: str, masked: str) -> None:
    assert mask_email(email) == masked
