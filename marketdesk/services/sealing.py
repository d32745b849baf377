"""Secrets kept encrypted in the database: the operators' TOTP secrets.

A TOTP secret must be read back to check a code, so it cannot be hashed like a password; a
copy of the database (a backup, a dump handed to a contractor) must not be enough to make an
operator's codes. It is sealed with AES-GCM (``cryptography``) under a key derived (HKDF,
SHA-256) from the installation's secret (``MARKETDESK_SECRET_KEY``, else ``secret.key`` in
the data directory, ``Settings.hashing_secret``), which is not in the database. The row's
purpose (``totp:<operator id>``) is the associated data: a sealed value copied to another
row does not open there.

A value written before sealing existed (no :data:`PREFIX`) is read as it is; its next write
seals it (the TOTP secret: at the operator's next login)."""

from __future__ import annotations

import base64
import binascii
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from marketdesk.settings import Settings

__all__ = ["PREFIX", "SealBroken", "Sealer", "sealer_for"]

PREFIX = "sealed1:"
"""What a sealed value starts with (the scheme's version)."""

_NONCE = 12


class SealBroken(Exception):
    """A sealed value does not open with this installation's key (the key changed, or the
    value was copied from another row)."""


class Sealer:
    """Seals and opens values with the key derived from an installation's secret."""

    def __init__(self, secret: bytes) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"marketdesk sealed values"
        ).derive(secret)
        self._aead = AESGCM(key)

    @staticmethod
    def is_sealed(stored: str) -> bool:
        return stored.startswith(PREFIX)

    def seal(self, plain: str, *, purpose: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, plain.encode(), purpose.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, stored: str, *, purpose: str) -> str:
        """The plain value (a value never sealed is returned as it is); :class:`SealBroken`
        when it does not open."""
        if not self.is_sealed(stored):
            return stored
        body = stored[len(PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], purpose.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError) as error:
            raise SealBroken(purpose) from error


@lru_cache(maxsize=8)
def _sealer(secret: bytes) -> Sealer:
    return Sealer(secret)


def sealer_for(settings: Settings) -> Sealer:
    """The :class:`Sealer` of the installation ``settings`` describe."""
    return _sealer(settings.hashing_secret())
