"""The operators' TOTP secrets are kept sealed (``services/sealing.py``): the database holds
no secret a copy of it could make codes from; a secret stored before sealing still works and
is sealed at the next login; a sealed secret copied to another operator does not open."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from marketdesk.services.sealing import PREFIX, SealBroken, Sealer
from marketdesk.store.models import Operator
from tests.conftest import run_db
from tests.errors import assert_error
from tests.people.conftest import login
from tests.people.test_totp import enrol, later_code


def _stored(demo_db: Any, operator_id: int) -> str | None:
    async def work(session: Any) -> str | None:
        value = await session.scalar(select(Operator.totp_secret).where(Operator.id == operator_id))
        return None if value is None else str(value)

    return run_db(demo_db, work)  # type: ignore[no-any-return]


def _store(demo_db: Any, operator_id: int, value: str) -> None:
    async def work(session: Any) -> None:
        await session.execute(
            update(Operator).where(Operator.id == operator_id).values(totp_secret=value)
        )
        await session.commit()

    run_db(demo_db, work)


def test_a_sealer_opens_only_what_it_sealed_for_that_purpose() -> None:
    sealer, other = Sealer(b"k" * 32), Sealer(b"j" * 32)
    sealed = sealer.seal("JBSWY3DPEHPK3PXP", purpose="totp:1")
    assert sealed.startswith(PREFIX) and "JBSWY3DPEHPK3PXP" not in sealed
    assert sealer.seal("JBSWY3DPEHPK3PXP", purpose="totp:1") != sealed  # a nonce each time
    assert sealer.open(sealed, purpose="totp:1") == "JBSWY3DPEHPK3PXP"
    for opener, purpose in ((sealer, "totp:2"), (other, "totp:1")):
        with pytest.raises(SealBroken):
            opener.open(sealed, purpose=purpose)
    with pytest.raises(SealBroken):
        sealer.open(PREFIX + "not-base64-at-all!", purpose="totp:1")
    assert sealer.open("JBSWY3DPEHPK3PXP", purpose="totp:1") == "JBSWY3DPEHPK3PXP"  # never sealed


def test_the_secret_is_stored_sealed_and_the_login_opens_it(client, demo_db, new_staff):
    made = new_staff()
    totp = enrol(client, login(client, made["login"]).json()["token"])
    stored = _stored(demo_db, made["id"])
    assert stored is not None and stored.startswith(PREFIX)
    assert totp.secret not in stored
    ok = login(client, made["login"], totp_code=later_code(totp))
    assert ok.status_code == 200, ok.text


def test_a_secret_stored_before_sealing_works_and_is_sealed_at_the_next_login(
    client, demo_db, new_staff
):
    made = new_staff()
    totp = enrol(client, login(client, made["login"]).json()["token"])
    _store(demo_db, made["id"], totp.secret)  # as an older version kept it
    ok = login(client, made["login"], totp_code=later_code(totp))
    assert ok.status_code == 200, ok.text
    stored = _stored(demo_db, made["id"])
    assert stored is not None and stored.startswith(PREFIX) and totp.secret not in stored
    # and it opens: a wrong code is still a wrong code, not an unreadable secret
    assert_error(login(client, made["login"], totp_code="000000"), 401, "totp_invalid")


def test_a_sealed_secret_copied_to_another_operator_does_not_open(client, demo_db, new_staff):
    first, second = new_staff(), new_staff()
    totp = enrol(client, login(client, first["login"]).json()["token"])
    enrol(client, login(client, second["login"]).json()["token"])
    copied = _stored(demo_db, first["id"])
    assert copied is not None
    _store(demo_db, second["id"], copied)
    assert_error(login(client, second["login"], totp_code=later_code(totp)), 409, "totp_unreadable")
