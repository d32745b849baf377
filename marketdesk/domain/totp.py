"""The operators' second factor: time-based one-time codes (TOTP, RFC 6238, via pyotp).

An operator enrols with a new secret (shown once, as the secret and as an ``otpauth://``
URI for an authenticator app), confirms it with a code, and from then on logs in with the
password and a 6-digit code. A code is accepted in its 30-second step and one step either
side (clocks drift); a step once used is not accepted again (no replay)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

import pyotp
from pyotp.utils import strings_equal

from ._time import require_aware

__all__ = ["ISSUER", "STEP_SECONDS", "accepted_step", "new_secret", "provisioning_uri"]

ISSUER: Final = "marketdesk"
STEP_SECONDS: Final = 30
_DRIFT_STEPS: Final = 1


def new_secret() -> str:
    """A new random base32 secret (160 bits)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, login: str) -> str:
    """The ``otpauth://totp/…`` URI an authenticator app takes."""
    return pyotp.TOTP(secret).provisioning_uri(name=login, issuer_name=ISSUER)


def _clean(code: str) -> str | None:
    digits = code.replace(" ", "").strip()
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else None


def accepted_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to if it is valid at ``now`` and newer than
    ``last_step`` (the last one used), else None."""
    digits = _clean(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret)
    current = int(require_aware(now, "now").timestamp()) // STEP_SECONDS
    for step in range(current - _DRIFT_STEPS, current + _DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if strings_equal(totp.at(step * STEP_SECONDS), digits):
            return step
    return None
