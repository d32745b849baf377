"""The Bank of Russia's control key of an account number against a BIK
(``domain.bank_account``): the Bank's own worked examples, a table of valid and broken pairs,
and properties over random details."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketdesk.domain.bank_account import (
    WEIGHTS,
    AccountRefusal,
    check_account,
    conditional_number,
    control_key,
    is_bank_of_russia,
    mask_account,
)

CREDIT_BIK = "049805746"  # the Bank's example: a credit organisation (digits 7–9: 746)
CLIENT_ACCOUNT = "40602810700000000025"  # its worked example, key 7
RKC_BIK = "049805000"  # the Bank's example: a РКЦ (digits 7–9: 000)
CORRESPONDENT = "30101810800000000746"  # at that РКЦ, key 8
# the key the client account would have if it were checked as an account at the Bank of
# Russia («0» + digits 5–6 of the BIK): the rule a credit organisation's BIK must not take
WRONG_RULE_KEY = control_key(RKC_BIK, CLIENT_ACCOUNT)


def _with_key(account: str, key: int) -> str:
    return account[:8] + str(key) + account[9:]


def _changed(account: str, position: int) -> str:
    return account[:position] + str((int(account[position]) + 1) % 10) + account[position + 1 :]


@pytest.mark.parametrize(
    ("bik", "account", "refusal"),
    [
        # valid: the Bank of Russia's two worked examples
        (CREDIT_BIK, CLIENT_ACCOUNT, None),
        (RKC_BIK, CORRESPONDENT, None),
        # typed with spaces and hyphens, as people copy them
        ("04 98 05 746", "40602 810 7 0000 0000025", None),
        ("049-805-746", "40602-810-7-0000-0000025", None),
        # one digit changed: the key catches it wherever it is
        (CREDIT_BIK, _changed(CLIENT_ACCOUNT, 0), AccountRefusal.CONTROL_KEY),
        (CREDIT_BIK, _changed(CLIENT_ACCOUNT, 8), AccountRefusal.CONTROL_KEY),  # the key itself
        (CREDIT_BIK, _changed(CLIENT_ACCOUNT, 19), AccountRefusal.CONTROL_KEY),
        # the right account with a wrong BIK: another credit organisation
        ("049805747", CLIENT_ACCOUNT, AccountRefusal.CONTROL_KEY),
        ("044525974", CLIENT_ACCOUNT, AccountRefusal.CONTROL_KEY),
        # the BIK's digits 5–6 do not count for an account at a credit organisation
        ("049815746", CLIENT_ACCOUNT, None),
        # a settlement account at a credit organisation's BIK is checked with digits 7–9,
        # not as an account at the Bank of Russia («0» + digits 5–6)
        (CREDIT_BIK, _with_key(CLIENT_ACCOUNT, WRONG_RULE_KEY), AccountRefusal.CONTROL_KEY),
        # a correspondent account belongs at the РКЦ: against the bank's own BIK it fails
        (CREDIT_BIK, CORRESPONDENT, AccountRefusal.CONTROL_KEY),
        # forms
        ("04980574", CLIENT_ACCOUNT, AccountRefusal.BIK_FORMAT),
        ("0498057461", CLIENT_ACCOUNT, AccountRefusal.BIK_FORMAT),
        ("04980574А", CLIENT_ACCOUNT, AccountRefusal.BIK_FORMAT),
        ("", CLIENT_ACCOUNT, AccountRefusal.BIK_FORMAT),
        ("０４９８０５７４６", CLIENT_ACCOUNT, AccountRefusal.BIK_FORMAT),  # full-width digits
        (CREDIT_BIK, CLIENT_ACCOUNT[:-1], AccountRefusal.ACCOUNT_FORMAT),
        (CREDIT_BIK, CLIENT_ACCOUNT + "0", AccountRefusal.ACCOUNT_FORMAT),
        (CREDIT_BIK, "2200 1234 5678 9010", AccountRefusal.ACCOUNT_FORMAT),  # a card number
        (CREDIT_BIK, "", AccountRefusal.ACCOUNT_FORMAT),
    ],
)
def test_control_key_table(bik: str, account: str, refusal: AccountRefusal | None) -> None:
    check = check_account(bik, account)
    assert check.refusal == refusal
    assert check.valid is (refusal is None)
    assert check.message_ru and check.message_ru[0].isupper()
    if refusal is None:
        assert (check.bik, check.account) == (
            "".join(c for c in bik if c.isdigit()),
            "".join(c for c in account if c.isdigit()),
        )


def test_the_key_of_the_worked_examples() -> None:
    assert WRONG_RULE_KEY != 7  # the table's settlement-account row really differs
    assert control_key(CREDIT_BIK, _with_key(CLIENT_ACCOUNT, 0)) == 7
    assert control_key(RKC_BIK, _with_key(CORRESPONDENT, 0)) == 8


@pytest.mark.parametrize(
    ("bik", "bank_of_russia", "number"),
    [
        ("049805000", True, "005"),  # РКЦ
        ("044525001", True, "025"),  # ГРКЦ
        ("044525002", True, "025"),  # another division of the Bank of Russia
        ("044525003", False, "003"),
        ("044525225", False, "225"),
        ("049805746", False, "746"),
    ],
)
def test_which_conditional_number(bik: str, bank_of_russia: bool, number: str) -> None:
    assert is_bank_of_russia(bik) is bank_of_russia
    assert conditional_number(bik) == number


def test_messages_are_russian_and_name_the_field() -> None:
    assert "БИК" in check_account("123", CLIENT_ACCOUNT).message_ru
    assert "20 цифр" in check_account(CREDIT_BIK, "123").message_ru
    assert "не подходит к БИК" in check_account("049805747", CLIENT_ACCOUNT).message_ru


def test_mask_shows_only_the_last_four() -> None:
    assert mask_account(CLIENT_ACCOUNT) == "•••• 0025"
    assert CLIENT_ACCOUNT[:16] not in mask_account(CLIENT_ACCOUNT)
    assert mask_account("12") == "••••"


def test_weights_cover_23_digits() -> None:
    assert len(WEIGHTS) == 23 and WEIGHTS[:6] == (7, 1, 3, 7, 1, 3)


biks = st.text("0123456789", min_size=9, max_size=9)
accounts = st.text("0123456789", min_size=20, max_size=20)


@given(biks, accounts)
def test_exactly_one_key_of_ten_passes(bik: str, account: str) -> None:
    passing = [k for k in range(10) if check_account(bik, _with_key(account, k)).valid]
    assert passing == [control_key(bik, account)]


@given(biks, accounts, st.integers(0, 19).filter(lambda p: p != 8), st.integers(1, 9))
def test_any_single_digit_typo_is_caught(bik: str, account: str, position: int, delta: int) -> None:
    valid = _with_key(account, control_key(bik, account))
    typo = valid[:position] + str((int(valid[position]) + delta) % 10) + valid[position + 1 :]
    # the weights 7, 1 and 3 are prime to 10: a changed digit always changes its product's
    # lowest digit, so the sum's lowest digit changes and the key no longer matches
    assert not check_account(bik, typo).valid


@given(biks, accounts)
def test_the_key_does_not_depend_on_the_key_digit(bik: str, account: str) -> None:
    assert control_key(bik, account) == control_key(bik, _with_key(account, 9))
