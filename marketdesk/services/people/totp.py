"""The operators' second factor (rules: :mod:`marketdesk.domain.totp`).

An operator enrols themselves: :func:`start` makes a new secret and shows it once (and its
``otpauth://`` URI); :func:`confirm` with a code from the app turns the factor on. From then
on the login needs the code (:func:`check_login`), counted by the login's rate limiter like
the password. An admin turns it off for a lost phone (``operators.reset_totp``).

The secret is kept sealed (:mod:`marketdesk.services.sealing`): a copy of the database does
not give anyone an operator's codes. A secret stored before sealing is sealed at the
operator's next login."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain import totp as rules
from marketdesk.store.models import Operator, utcnow

from .. import audit
from ..errors import (
    OperatorNotFound,
    TotpAlreadyEnabled,
    TotpConfirmInvalid,
    TotpInvalid,
    TotpNotStarted,
    TotpRequired,
    TotpUnreadable,
)
from ..principals import Principal
from ..sealing import SealBroken, Sealer

if TYPE_CHECKING:
    from ..rate_limits import LoginAttempt

__all__ = ["Enrolment", "TotpStatus", "check_login", "confirm", "start", "status"]


class Enrolment(BaseModel):
    secret: str
    uri: str
    issuer: str
    account: str


class TotpStatus(BaseModel):
    enabled: bool
    pending: bool


async def _me(session: AsyncSession, principal: Principal) -> Operator:
    principal.require_operator()
    operator = await session.get(Operator, int(principal.id))
    if operator is None:
        raise OperatorNotFound()
    return operator


async def status(session: AsyncSession, principal: Principal) -> TotpStatus:
    operator = await _me(session, principal)
    return TotpStatus(
        enabled=operator.totp_enabled,
        pending=operator.totp_secret is not None and not operator.totp_enabled,
    )


def _purpose(operator: Operator) -> str:
    return f"totp:{operator.id}"


def _secret(operator: Operator, sealer: Sealer) -> str | None:
    """The operator's secret, opened (None: none stored)."""
    if operator.totp_secret is None:
        return None
    try:
        return sealer.open(operator.totp_secret, purpose=_purpose(operator))
    except SealBroken:
        raise TotpUnreadable() from None


async def start(session: AsyncSession, principal: Principal, *, sealer: Sealer) -> Enrolment:
    """A new secret for the caller (replacing an unconfirmed one); shown only now."""
    operator = await _me(session, principal)
    if operator.totp_enabled:
        raise TotpAlreadyEnabled()
    secret = rules.new_secret()
    operator.totp_secret = sealer.seal(secret, purpose=_purpose(operator))
    operator.totp_last_step = None
    audit.record(
        session, principal, "operator.totp_started", entity_kind="operator", entity_id=operator.id
    )
    await session.commit()
    return Enrolment(
        secret=secret,
        uri=rules.provisioning_uri(secret, operator.login),
        issuer=rules.ISSUER,
        account=operator.login,
    )


async def confirm(
    session: AsyncSession,
    principal: Principal,
    code: str,
    *,
    sealer: Sealer,
    now: datetime | None = None,
) -> TotpStatus:
    """Turn the factor on with a code the app shows now."""
    operator = await _me(session, principal)
    if operator.totp_enabled:
        raise TotpAlreadyEnabled()
    secret = _secret(operator, sealer)
    if secret is None:
        raise TotpNotStarted()
    step = rules.accepted_step(secret, code, now or utcnow(), None)
    if step is None:
        raise TotpConfirmInvalid()
    operator.totp_enabled, operator.totp_last_step = True, step
    audit.record(
        session, principal, "operator.totp_enabled", entity_kind="operator", entity_id=operator.id
    )
    await session.commit()
    return TotpStatus(enabled=True, pending=False)


async def check_login(
    session: AsyncSession,
    operator: Operator,
    code: str | None,
    *,
    attempt: LoginAttempt | None,
    ip: str | None,
    sealer: Sealer,
) -> None:
    """The second step of a login whose password was right: no code → ``totp_required``
    (not a failure); a wrong or reused code → ``totp_invalid``, counted and audited as a
    failed login."""
    if not operator.totp_enabled or operator.totp_secret is None:
        return
    if not code:
        if attempt is not None:
            await asyncio.shield(attempt.abandon())
        raise TotpRequired()
    try:
        secret = _secret(operator, sealer)
    except TotpUnreadable:
        if attempt is not None:
            await asyncio.shield(attempt.abandon())
        raise
    assert secret is not None
    step = rules.accepted_step(secret, code, utcnow(), operator.totp_last_step)
    if step is None:
        locked_for = await attempt.failed() if attempt is not None else 0
        audit.record(
            session,
            None,
            "auth.login_failed",
            entity_kind="operator",
            entity_id=operator.id,
            login=operator.login,
            ip=ip,
            reason="wrong_totp",
            lockout_seconds=locked_for,
        )
        await session.commit()
        raise TotpInvalid()
    operator.totp_last_step = step
    if not sealer.is_sealed(operator.totp_secret):  # stored before sealing: sealed now
        operator.totp_secret = sealer.seal(secret, purpose=_purpose(operator))
