"""Customer login by phone and a one-time code (seed 001, «Ozon ID»)."""

import pytest

from marketdesk.domain.login import (
    CALL_CODE_DIGITS,
    LOGIN_CHANNEL_HINTS_RU,
    LOGIN_CHANNEL_TITLES_RU,
    InvalidPhoneNumber,
    LoginChannel,
    call_code,
    code_matches,
    normalize_phone,
)


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("+7 912 345-67-89", "+79123456789"),
        ("+79123456789", "+79123456789"),
        ("8 (912) 345-67-89", "+79123456789"),
        ("89123456789", "+79123456789"),
        ("79123456789", "+79123456789"),
        ("9123456789", "+79123456789"),
        ("  +7 (912) 345 67 89  ", "+79123456789"),
        ("8.912.345.67.89", "+79123456789"),
        ("+7\u00a0912\u00a0345-67-89", "+79123456789"),
    ],
    ids=[
        "plus7",
        "plus7-compact",
        "eight-brackets",
        "eight-compact",
        "seven-compact",
        "ten-digits",
        "padded",
        "dots",
        "nbsp",
    ],
)
def test_normalize_phone(raw: str, phone: str) -> None:
    assert normalize_phone(raw) == phone


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "12345",
        "+1 202 555 0123",
        "+7 912 345-67-8",
        "+7 912 345-67-890",
        "9123456789x",
        "69123456789",
        "7+9123456789",
        "++79123456789",
        "８９１２３４５６７８９",
    ],
    ids=[
        "empty",
        "blank",
        "short",
        "usa",
        "ten-after-plus7-missing",
        "twelve-digits",
        "letter",
        "wrong-trunk",
        "plus-inside",
        "double-plus",
        "fullwidth-digits",
    ],
)
def test_normalize_phone_rejects(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalize_phone(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Укажите номер телефона."),
        ("123", "Укажите номер телефона полностью, например +7 912 345-67-89."),
    ],
    ids=["empty", "short"],
)
def test_invalid_phone_message(raw: str, message: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as info:
        normalize_phone(raw)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("calling", "code"),
    [("+7 495 123-45-67", "234567"), ("84951234567", "234567"), ("123456", "123456")],
    ids=["formatted", "compact", "exactly-six"],
)
def test_call_code_is_last_six_digits(calling: str, code: str) -> None:
    assert CALL_CODE_DIGITS == 6
    assert call_code(calling) == code


def test_call_code_needs_six_digits() -> None:
    with pytest.raises(ValueError):
        call_code("12-345")


@pytest.mark.parametrize(
    ("entered", "expected", "matches"),
    [
        ("123456", "123456", True),
        ("123 456", "123456", True),
        ("123-456", "123456", True),
        ("123457", "123456", False),
        ("12345", "123456", False),
        ("", "", False),
        ("   ", "123456", False),
    ],
    ids=["same", "with-space", "with-dash", "different", "shorter", "both-empty", "blank"],
)
def test_code_matches(entered: str, expected: str, matches: bool) -> None:
    assert code_matches(entered, expected) is matches


def test_every_channel_has_russian_title_and_hint() -> None:
    assert set(LOGIN_CHANNEL_TITLES_RU) == set(LoginChannel) == set(LOGIN_CHANNEL_HINTS_RU)
    assert LOGIN_CHANNEL_TITLES_RU[LoginChannel.SECURITY_CHAT] == "Сообщение в чате «Безопасность»"
    assert "последние шесть цифр" in LOGIN_CHANNEL_HINTS_RU[LoginChannel.CALL]
