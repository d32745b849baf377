"""A certificate code in a customer's message (``bot.actions.certificate_code_in``): every
code marketdesk issues is found, however it is written; order numbers, bank cards and
Latin phrases are not codes."""

from __future__ import annotations

import random

import pytest

from marketdesk.bot.actions import certificate_code_in
from marketdesk.services.certificates import CODE_ALPHABET, CODE_LENGTH


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("мой код AB12-CD34-EF56-GH78", "AB12-CD34-EF56-GH78"),
        ("ABCD 1234 EFGH 5678 вот", "ABCD1234EFGH5678"),
        # no digit at all: one issued code in a hundred looks like this
        ("код ABCD-EFGH-JKLM-NPQR", "ABCD-EFGH-JKLM-NPQR"),
        ("abcd efgh jkmn pqrs, спасибо", "abcdefghjkmnpqrs"),
        ("ABCDEFGHJKLMNPQR", "ABCDEFGHJKLMNPQR"),
        ("AB12CD34", "AB12CD34"),
    ],
)
def test_codes_are_found(text: str, code: str) -> None:
    assert certificate_code_in(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "где заказ 61000001-0003",  # an order number
        "списали с карты 1234 5678 9012 3456",  # a bank card
        "good deal",  # Latin words in fours, shorter than a code
        "test word",
        "ABCD-EFGH",  # letters only, not a whole code
        "активировать сертификат",
    ],
)
def test_what_is_not_a_code(text: str) -> None:
    assert certificate_code_in(text) is None


def test_every_issued_shape_is_found() -> None:
    """Codes as ``issue_certificate`` makes them, the letters-only ones included."""
    rnd = random.Random(17)
    letters = "".join(c for c in CODE_ALPHABET if c.isalpha())
    codes = ["".join(rnd.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(500)]
    codes += ["".join(rnd.choice(letters) for _ in range(CODE_LENGTH)) for _ in range(50)]
    for raw in codes:
        grouped = "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))
        assert certificate_code_in(f"вот код {grouped}") == grouped
        assert certificate_code_in(raw.lower()) == raw.lower()
