"""The browser's side of Web Push, written from the RFCs with ``cryptography`` alone (not
with the libraries the server sends with): a subscription's keys, the decryption of a push
message (RFC 8291 on RFC 8188 ``aes128gcm``) and the check of the VAPID header (RFC 8292)."""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["Browser", "b64d", "b64e", "check_vapid"]


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(hashes.SHA256(), length, salt, info).derive(ikm)


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


@dataclass
class Browser:
    """A user agent's push subscription: its P-256 key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64e(_point(self.private_key.public_key()))

    def subscription(self, endpoint: str) -> dict[str, Any]:
        return {"endpoint": endpoint, "keys": {"p256dh": self.p256dh, "auth": b64e(self.auth)}}

    def decrypt(self, body: bytes) -> bytes:
        """RFC 8188 §2.1 header (salt, rs, idlen, keyid = the sender's public key), then
        RFC 8291 §3.4: IKM from ECDH and the auth secret, CEK and nonce from IKM."""
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        keyid, ciphertext = body[21 : 21 + idlen], body[21 + idlen :]
        assert idlen == 65 and keyid[0] == 4, "keyid is the sender's uncompressed P-256 key"
        assert len(ciphertext) <= rs, "one record"
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), keyid)
        shared = self.private_key.exchange(ec.ECDH(), sender)
        ua_public = _point(self.private_key.public_key())
        ikm = _hkdf(self.auth, shared, b"WebPush: info\x00" + ua_public + keyid, 32)
        cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
        nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
        padded = AESGCM(cek).decrypt(nonce, ciphertext, None)
        unpadded = padded.rstrip(b"\x00")
        assert unpadded[-1:] == b"\x02", "the last record ends with the delimiter 0x02"
        return unpadded[:-1]


def check_vapid(authorization: str, endpoint: str) -> tuple[str, dict[str, Any]]:
    """RFC 8292 §3: ``vapid t=<JWT>, k=<key>``; the JWT is ES256 over the key ``k``, its
    ``aud`` the origin of the push resource, ``exp`` within 24 hours, ``sub`` a contact.
    Returns ``k`` and the claims; raises if anything is off."""
    scheme, _, params = authorization.partition(" ")
    assert scheme.lower() == "vapid", authorization
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    token, key = parts["t"], parts["k"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(b64d(header_b64))
    assert header == {"typ": "JWT", "alg": "ES256"}, header
    signature = b64d(signature_b64)
    assert len(signature) == 64, "ES256 is r || s, 32 bytes each (JWS, not DER)"
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(b64d(claims_b64))
    url = urlsplit(endpoint)
    assert claims["aud"] == f"{url.scheme}://{url.netloc}", claims
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims
    assert claims["sub"].startswith(("mailto:", "https:")), claims
    return key, claims
