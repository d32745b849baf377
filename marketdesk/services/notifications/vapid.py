"""The server's VAPID key pair (RFC 8292): the push services know the server by it, and the
widget subscribes with its public key (``applicationServerKey``).

Where the key comes from: ``MARKETDESK_VAPID_PRIVATE_KEY`` (raw P-256 in base64url, as
``marketdesk vapid-keys`` and the usual web-push tools print it, or PEM); without it, the file
``vapid-private.pem`` in the data dir, generated on first use (0600, written aside and linked,
so the first of two racing processes wins). Several servers on one database must share the
key: a browser's subscription belongs to the key it was made with."""

from __future__ import annotations

import base64
import functools
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from marketdesk.settings import Settings

__all__ = ["VAPID_FILE", "VapidKeys", "b64url", "generate_private_key", "vapid_keys"]

VAPID_FILE = "vapid-private.pem"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class VapidKeys:
    private_key: ec.EllipticCurvePrivateKey
    subject: str
    """``mailto:`` or ``https:``: whom a push service contacts about this server."""

    @property
    def public_key(self) -> str:
        """The uncompressed point, base64url: the widget's ``applicationServerKey``."""
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def private_raw(self) -> str:
        """The 32-byte private value, base64url (what ``py_vapid.Vapid02.from_raw`` reads)."""
        value = self.private_key.private_numbers().private_value
        return b64url(value.to_bytes(32, "big"))


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _parse(text: str) -> ec.EllipticCurvePrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the VAPID key is not an EC key")
        return key
    raw = _unb64url(text)
    if len(raw) != 32:
        raise ValueError("the VAPID private key is 32 bytes in base64url, or PEM")
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def _from_file(path: Path) -> ec.EllipticCurvePrivateKey:
    if not path.exists():
        pem = generate_private_key().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_name(f".vapid.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return _parse(path.read_text())


def _subject(settings: Settings) -> str:
    if settings.vapid_subject:
        return settings.vapid_subject
    url = urlsplit(settings.public_url)
    if url.scheme == "https":
        return f"https://{url.netloc}"
    return f"mailto:support@{url.hostname or 'localhost'}"


def vapid_keys(settings: Settings) -> VapidKeys:
    """The key pair of ``settings`` (generated into the data dir if none is configured);
    a configured public key that does not match the private one is an error."""
    configured = settings.vapid_private_key
    secret = configured.get_secret_value() if configured is not None else None
    return _cached(secret, settings.data_dir, _subject(settings), settings.vapid_public_key)


@functools.lru_cache(maxsize=32)
def _cached(secret: str | None, data_dir: Path, subject: str, public: str | None) -> VapidKeys:
    if secret is not None:
        key = _parse(secret)
    else:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = _from_file(data_dir / VAPID_FILE)
    keys = VapidKeys(key, subject)
    if public and public.rstrip("=") != keys.public_key:
        raise ValueError("MARKETDESK_VAPID_PUBLIC_KEY does not belong to the private key")
    return keys
