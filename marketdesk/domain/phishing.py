"""Is a message the customer received really from the marketplace? («Рассылка от мошенников»)

Rules from seed 000, «Рассылка от мошенников / Порядок действий»:

* «С официального аккаунта никогда не придёт предложение оплатить что-то по ссылке.»
* «Только мошенники будут предлагать какой-нибудь товар приобрести со скидкой.»
* «Мошенники могут предлагать оформление возврата денег за товар через них.»
* «Официальные представители могут предлагать ссылки на товар или промокод.»
* «Наши рассылки приходят от имени OZON.RU»: mailer@ozon.ru — delivery and login
  notifications, news@news.ozon.ru — promotions, noreply@ozon.ru — receipts.
* «Сообщения от нас могут поступать только с наших официальных аккаунтов в
  социальных сетях: Instagram: @ozonru, @ozon_business, официальная группа
  ВКонтакте OZON, Facebook: OZON, OZON Express.»

How the rules are applied:

* A sender is an e-mail address («Ozon <mailer@ozon.ru>» works too), an Instagram
  handle («@ozonru»), or «сеть: имя» («vk: OZON», «facebook: OZON Express»).
* The seed gives the three mailing addresses as «Пример:» of «рассылки приходят от
  имени OZON.RU», so any other address on ozon.ru (e.g. help@ozon.ru from seed
  002) counts as official too, with a note that mailings use the three addresses.
* Addresses and links on ozon.ru (or its subdomains) are genuine; a domain or
  account that imitates the name (ozon-ru.xyz, 0zon.ru, ozon.ru.evil.com,
  «озон.рф», a one-letter typo, «ozon.ru@evil.com») is fraud; any other site or
  sender is suspicious.
* The three text rules are fraud when they appear. The discount rule is skipped
  for the promotions address news@news.ozon.ru and the official social accounts
  (they do publish promotions), and is only suspicious when the sender is
  unknown or another official address (a forwarded newsletter cannot be told
  apart from a scam without its sender).
* The official addresses are one list (:mod:`marketdesk.domain.senders`,
  ``MARKETDESK_OFFICIAL_SENDERS``), the one the notifications are sent from; the seed's
  three are the default (``senders=``).
* A forwarded e-mail's headers, when given (``headers=``: ``From``, ``Return-Path``,
  ``Authentication-Results``, ``DKIM-Signature``), must agree with the sender: the
  ``From`` address is the sender, the receiving server's DKIM result is ``pass`` for a
  domain aligned with the sender's (the sender's domain or its parent, an official one), the
  signature covers ``From``, the bounce address is not a lookalike. A letter is «ours» only
  when the sender, these headers and the content all agree; headers without any DKIM are
  suspicious (official mail is signed).
* Verdict: fraud if any reason is fraud; otherwise suspicious if any reason is
  suspicious or nothing official was found; otherwise official.

:func:`check_message` never raises: any input (empty, huge, binary garbage, the
wrong type) gives a report.
"""

import bisect
import contextlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from urllib.parse import urlsplit

from marketdesk.domain.links import LINK_RE, find_links
from marketdesk.domain.senders import DEFAULT_SENDERS, SenderList, SenderRole

__all__ = [
    "MAX_CHECKED_CHARS",
    "OFFICIAL_DOMAIN",
    "OFFICIAL_SENDERS",
    "OFFICIAL_SOCIAL_ACCOUNTS",
    "PROMOTIONS_SENDER",
    "PhishingReason",
    "PhishingReasonCode",
    "PhishingReport",
    "PhishingVerdict",
    "check_message",
    "is_lookalike_host",
    "is_official_host",
]

OFFICIAL_DOMAIN: Final = "ozon.ru"

OFFICIAL_SENDERS: Final = MappingProxyType(
    {sender.address: sender.description_ru for sender in DEFAULT_SENDERS.senders}
)
"""Seed 000: the default official mailing addresses and what each of them sends."""

PROMOTIONS_SENDER: Final = DEFAULT_SENDERS.address(SenderRole.MARKETING)
"""Seed 000: the default address that sends promotions («рассылка с акциями»)."""

OFFICIAL_SOCIAL_ACCOUNTS: Final = MappingProxyType(
    {
        "instagram": frozenset({"ozonru", "ozon_business"}),
        "vk": frozenset({"ozon"}),
        "facebook": frozenset({"ozon", "ozon express"}),
    }
)
"""Seed 000: the official social accounts (names compared case-insensitively)."""

_NETWORK_TITLES_RU: Final = MappingProxyType(
    {"instagram": "Instagram", "vk": "ВКонтакте", "facebook": "Facebook"}
)

MAX_CHECKED_CHARS: Final = 100_000
"""Only this many characters of each input are examined (a technical limit, not a seed rule)."""
_MAX_SENDER_CHARS: Final = 1_000
_MAX_LINK_CHARS: Final = 8_000
_MAX_LINKS: Final = 50
_MAX_SHOWN: Final = 80


class PhishingVerdict(StrEnum):
    """Overall verdict about a message."""

    OFFICIAL = "official"
    SUSPICIOUS = "suspicious"
    FRAUD = "fraud"


class PhishingReasonCode(StrEnum):
    """What was noticed in a message."""

    OFFICIAL_SENDER = "official_sender"
    OFFICIAL_SOCIAL_ACCOUNT = "official_social_account"
    OFFICIAL_LINK = "official_link"
    UNKNOWN_SENDER = "unknown_sender"
    OFFICIAL_DOMAIN_ADDRESS = "official_domain_address"
    LOOKALIKE_SENDER = "lookalike_sender"
    LOOKALIKE_ACCOUNT = "lookalike_account"
    LOOKALIKE_LINK = "lookalike_link"
    EXTERNAL_LINK = "external_link"
    MALFORMED_LINK = "malformed_link"
    PAY_BY_LINK = "pay_by_link"
    DISCOUNT_OFFER = "discount_offer"
    THIRD_PARTY_REFUND = "third_party_refund"
    HEADER_FROM_MISMATCH = "header_from_mismatch"
    DKIM_PASS = "dkim_pass"  # noqa: S105 (a reason code, not a secret)
    DKIM_FAILED = "dkim_failed"
    DKIM_MISALIGNED = "dkim_misaligned"
    DKIM_MISSING = "dkim_missing"
    NOT_ENOUGH_DATA = "not_enough_data"
    CHECK_FAILED = "check_failed"


@dataclass(frozen=True, slots=True)
class PhishingReason:
    """One observation, how serious it is, and a Russian explanation for the customer."""

    code: PhishingReasonCode
    severity: PhishingVerdict
    message_ru: str


@dataclass(frozen=True, slots=True)
class PhishingReport:
    """Verdict and the reasons behind it (in the order: sender, links, text)."""

    verdict: PhishingVerdict
    reasons: tuple[PhishingReason, ...]

    @property
    def codes(self) -> tuple[PhishingReasonCode, ...]:
        """The reason codes, for quick checks."""
        return tuple(reason.code for reason in self.reasons)


# --- text helpers -------------------------------------------------------------------------

_INVISIBLE_RE: Final = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")
_LATIN_TO_CYRILLIC: Final = str.maketrans("aceopxykmthb", "асеорхукмтнв")


def _as_text(value: object, limit: int = MAX_CHECKED_CHARS) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        value = bytes(value[: limit * 4]).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return ""
    return _INVISIBLE_RE.sub("", value[:limit])


def _show(value: str) -> str:
    """A safe, short rendering of untrusted text inside a message."""
    clean = "".join(ch for ch in value if ch.isprintable())
    return clean if len(clean) <= _MAX_SHOWN else clean[: _MAX_SHOWN - 1] + "…"


_SKELETON_SOURCE: Final[dict[str, str | int | None]] = {
    "0": "o",
    "о": "o",
    "ο": "o",
    "з": "z",
    "н": "n",
}
_SKELETON_MAP: Final = str.maketrans(_SKELETON_SOURCE)


def _skeleton(value: str) -> str:
    """Fold lookalike characters so «0zon», «оzon» (Cyrillic о) and «озон» all read «ozon»."""
    decomposed = unicodedata.normalize("NFKD", value.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.translate(_SKELETON_MAP)


def _within_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = j = edits = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i += 1
            j += 1
            continue
        edits += 1
        if edits > 1:
            return False
        if len(a) == len(b):
            i += 1
        j += 1
    return edits + (len(b) - j) + (len(a) - i) <= 1


# --- hosts --------------------------------------------------------------------------------


def _decode_host(host: str) -> str:
    labels = []
    for label in host.strip().rstrip(".").lower().split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError):
                label = label.encode("ascii").decode("idna")
        labels.append(label)
    return ".".join(labels)


def is_official_host(host: str) -> bool:
    """``ozon.ru`` itself or any of its subdomains (``www.ozon.ru``, ``news.ozon.ru``)."""
    decoded = _decode_host(host)
    return decoded == OFFICIAL_DOMAIN or decoded.endswith("." + OFFICIAL_DOMAIN)


def is_lookalike_host(host: str) -> bool:
    """A host that is not ozon.ru but imitates its name (seed 000 fraud mailings)."""
    decoded = _decode_host(host)
    if not decoded or is_official_host(decoded):
        return False
    skeleton = _skeleton(decoded)
    if "ozon" in skeleton:
        return True
    parts = re.split(r"[.\-_]", skeleton)
    return any(3 <= len(part) <= 5 and _within_one_edit(part, "ozon") for part in parts)


# --- reasons ------------------------------------------------------------------------------


def _reason(code: PhishingReasonCode, severity: PhishingVerdict, text: str) -> PhishingReason:
    return PhishingReason(code, severity, text)


_EMAIL_RE: Final = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_SOCIAL_RE: Final = re.compile(
    r"^\s*(instagram|инстаграм|insta|ig|vk|vkontakte|вконтакте|вк|facebook|fb|фейсбук)"
    r"\s*[:/]\s*(.+?)\s*$",
    re.IGNORECASE,
)
_NETWORK_ALIASES: Final = MappingProxyType(
    {
        "instagram": "instagram",
        "инстаграм": "instagram",
        "insta": "instagram",
        "ig": "instagram",
        "vk": "vk",
        "vkontakte": "vk",
        "вконтакте": "vk",
        "вк": "vk",
        "facebook": "facebook",
        "fb": "facebook",
        "фейсбук": "facebook",
    }
)


class _SenderKind(StrEnum):
    NONE = "none"
    OFFICIAL_PROMO = "official_promo"
    OFFICIAL_OTHER = "official_other"
    UNOFFICIAL = "unofficial"


def _check_email(address: str, senders: SenderList) -> tuple[PhishingReason, _SenderKind]:
    address = address.lower().rstrip(".")
    domain = address.rpartition("@")[2]
    shown = _show(address)
    official = senders.find(address)
    if official is not None:
        kind = (
            _SenderKind.OFFICIAL_PROMO
            if official.role is SenderRole.MARKETING
            else _SenderKind.OFFICIAL_OTHER
        )
        return (
            _reason(
                PhishingReasonCode.OFFICIAL_SENDER,
                PhishingVerdict.OFFICIAL,
                f"Адрес {shown} — официальный адрес рассылки: {official.description_ru}.",
            ),
            kind,
        )
    if is_official_host(domain):
        return (
            _reason(
                PhishingReasonCode.OFFICIAL_DOMAIN_ADDRESS,
                PhishingVerdict.OFFICIAL,
                f"Адрес {shown} находится на официальном домене ozon.ru. Рассылки при этом "
                f"приходят с адресов {senders.listed_ru()}.",
            ),
            _SenderKind.OFFICIAL_OTHER,
        )
    if is_lookalike_host(domain) or "ozon" in _skeleton(address.rpartition("@")[0]):
        return (
            _reason(
                PhishingReasonCode.LOOKALIKE_SENDER,
                PhishingVerdict.FRAUD,
                f"Адрес {shown} только похож на официальный: домен {_show(domain)} "
                "не принадлежит ozon.ru. Так маскируются мошенники.",
            ),
            _SenderKind.UNOFFICIAL,
        )
    return (
        _reason(
            PhishingReasonCode.UNKNOWN_SENDER,
            PhishingVerdict.SUSPICIOUS,
            f"Адрес {shown} не относится к официальным адресам рассылок "
            f"({', '.join(senders.addresses)}).",
        ),
        _SenderKind.UNOFFICIAL,
    )


def _check_social(network: str, name: str) -> tuple[PhishingReason, _SenderKind]:
    handle = " ".join(name.lower().lstrip("@").split())
    title = _NETWORK_TITLES_RU[network]
    shown = _show(name)
    if handle in OFFICIAL_SOCIAL_ACCOUNTS[network]:
        return (
            _reason(
                PhishingReasonCode.OFFICIAL_SOCIAL_ACCOUNT,
                PhishingVerdict.OFFICIAL,
                f"{shown} — официальный аккаунт в {title}.",
            ),
            _SenderKind.OFFICIAL_PROMO,
        )
    if "ozon" in _skeleton(handle):
        return (
            _reason(
                PhishingReasonCode.LOOKALIKE_ACCOUNT,
                PhishingVerdict.FRAUD,
                f"Аккаунт {shown} в {title} выдаёт себя за официальный, но его нет в списке "
                "официальных аккаунтов. Так действуют мошенники.",
            ),
            _SenderKind.UNOFFICIAL,
        )
    return (
        _reason(
            PhishingReasonCode.UNKNOWN_SENDER,
            PhishingVerdict.SUSPICIOUS,
            f"Аккаунт {shown} в {title} не относится к официальным аккаунтам.",
        ),
        _SenderKind.UNOFFICIAL,
    )


def _check_sender(raw: str, senders: SenderList) -> tuple[PhishingReason | None, _SenderKind]:
    sender = raw.strip()
    if not sender:
        return None, _SenderKind.NONE
    social = _SOCIAL_RE.match(sender)
    if social and "@" not in social.group(2).lstrip("@"):
        return _check_social(_NETWORK_ALIASES[social.group(1).lower()], social.group(2))
    bracketed = re.search(r"<\s*([^<>\s]+@[^<>\s]+)\s*>", sender)
    if bracketed:
        return _check_email(bracketed.group(1), senders)
    if sender.startswith("@") and "@" not in sender[1:]:
        return _check_social("instagram", sender)
    email = _EMAIL_RE.search(sender)
    if email:
        return _check_email(email.group(0), senders)
    return (
        _reason(
            PhishingReasonCode.UNKNOWN_SENDER,
            PhishingVerdict.SUSPICIOUS,
            f"Отправитель «{_show(sender)}» не относится к официальным адресам и аккаунтам.",
        ),
        _SenderKind.UNOFFICIAL,
    )


_BARE_SCHEME_RE: Final = re.compile(r"^[a-z][a-z0-9+\-]*:(?!\d)", re.IGNORECASE)
"""«javascript:…», «data:…», «tg:…» — a scheme without «//» (but not «host:8080»)."""


def _check_link(raw: str) -> PhishingReason:
    link = raw.strip().rstrip(".,;:!?")
    bare_scheme = _BARE_SCHEME_RE.match(link)
    candidate = link if "://" in link or bare_scheme else "http://" + link
    try:
        parts = urlsplit(candidate)
        host = parts.hostname or ""
        userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
        scheme = parts.scheme.lower()
    except ValueError:
        host, userinfo, scheme = "", "", ""
    shown = _show(link)
    if not host or scheme not in ("http", "https"):
        return _reason(
            PhishingReasonCode.MALFORMED_LINK,
            PhishingVerdict.SUSPICIOUS,
            f"«{shown}» — не обычная ссылка на сайт или её не удалось разобрать. Не открывайте её.",
        )
    if userinfo and "ozon" in _skeleton(userinfo):
        return _reason(
            PhishingReasonCode.LOOKALIKE_LINK,
            PhishingVerdict.FRAUD,
            f"Ссылка «{shown}» только выглядит как ozon.ru, а на самом деле ведёт на "
            f"{_show(host)}. Так маскируются мошенники.",
        )
    if is_official_host(host):
        return _reason(
            PhishingReasonCode.OFFICIAL_LINK,
            PhishingVerdict.OFFICIAL,
            f"Ссылка ведёт на официальный сайт {_show(_decode_host(host))}.",
        )
    if is_lookalike_host(host):
        return _reason(
            PhishingReasonCode.LOOKALIKE_LINK,
            PhishingVerdict.FRAUD,
            f"Ссылка ведёт на {_show(_decode_host(host))} — этот сайт только похож на ozon.ru. "
            "Так маскируются мошенники.",
        )
    return _reason(
        PhishingReasonCode.EXTERNAL_LINK,
        PhishingVerdict.SUSPICIOUS,
        f"Ссылка ведёт на сторонний сайт {_show(_decode_host(host))}, а не на ozon.ru.",
    )


_LINK_PLACEHOLDER: Final = " ⟨ссылка⟩ "
_PROXIMITY: Final = 160

_PAY_REQUEST_RE: Final = re.compile(
    r"(?<!\w)(?:(?:о|за|до|пред)плат(?:ите|ить|и)|оплачива(?:йте|ть)|внес(?:ите|ти)|"
    r"перевед(?:ите|и)|перевест(?:и)|(?:произвед|произвест|соверш)\w*\s+(?:пред)?оплат\w*|"
    r"для\s+(?:о|пред|до)платы|(?:нужно|необходимо|требуется|следует)\s+(?:\w+\s+)?"
    r"(?:о|за|до|пред)плат\w*|подтверд\w*\s+(?:оплат|плат[её]ж|перевод)\w*)(?!\w)"
)
_LINK_SIGNAL_RE: Final = re.compile(r"⟨ссылка⟩|(?<!\w)ссылк\w*|(?<!\w)qr(?!\w)")
_DISCOUNT_RE: Final = re.compile(
    r"(?<!\w)(?:скидк\w*|скидочн\w*|распродаж\w*|дешевл\w*|за\s+полцены|уценк\w*)"
    r"|[-−–]?\d{1,2}\s?%"
)
_PURCHASE_OFFER_RE: Final = re.compile(
    r"(?<!\w)(?:куп(?:ите|ить|и)|покупайте|приобрет(?:ите|ай|айте)\w*|приобрест\w*|"
    r"закаж(?:ите|и)|заказ(?:ать|ывайте)|прода(?:дим|ем|[её]м|ю)|предлага\w*|"
    r"успейте|забронируйте|оформите\s+заказ)(?!\w)"
)
_REFUND_RE: Final = re.compile(
    r"(?<!\w)(?:возврат\w*|верн(?:ем|[её]м|уть|ут)\s+(?:вам\s+)?(?:деньги|средства)|"
    r"компенсаци\w*|возмещени\w*)"
)
_THIRD_PARTY_RE: Final = re.compile(
    r"(?<!\w)(?:через\s+(?:нас|меня|наш\w*|бот\w*|мессенджер\w*|телеграм\w*|telegram|"
    r"whatsapp|ватсап\w*|вотсап\w*|вайбер\w*|viber|личн\w*\s+сообщени\w*)|"
    r"наш\w*\s+(?:специалист|менеджер|сотрудник|юрист|оператор|служб)\w*|"
    r"(?:данные|номер|реквизиты)\s+(?:вашей\s+)?карты|cvv|cvc|"
    r"код\w*\s+из\s+(?:смс|sms)|"
    r"(?:напишите|пишите)\s+(?:нам|мне)|свяжитесь\s+с\s+(?:нами|менеджером|оператором)|"
    r"для\s+(?:получения|оформления)\s+(?:возврат|компенсац|возмещ)\w*\s+(?:\w+\s+){0,3}?"
    r"(?:перейд|укаж|введ|сообщ|напиш|отправ|заполн)\w*)"
)


def _near(first: re.Pattern[str], second: re.Pattern[str], text: str) -> bool:
    """Whether a match of ``first`` lies within ``_PROXIMITY`` characters of one of ``second``."""
    seconds = [(m.start(), m.end()) for m in second.finditer(text)]
    if not seconds:
        return False
    ends = [end for _, end in seconds]  # non-overlapping matches: ends are sorted too
    for match in first.finditer(text):
        index = bisect.bisect_left(ends, match.start() - _PROXIMITY)
        if index < len(seconds) and seconds[index][0] <= match.end() + _PROXIMITY:
            return True
    return False


def _text_reasons(
    text: str, link_given: bool, sender_kind: _SenderKind, senders: SenderList
) -> list[PhishingReason]:
    folded = LINK_RE.sub(_LINK_PLACEHOLDER, text).lower().replace("ё", "е")
    variants = (folded, folded.translate(_LATIN_TO_CYRILLIC))
    reasons: list[PhishingReason] = []

    def any_variant(check: re.Pattern[str], other: re.Pattern[str]) -> bool:
        return any(_near(check, other, variant) for variant in variants)

    pay = any(_PAY_REQUEST_RE.search(v) for v in variants)
    if pay and (link_given or any_variant(_PAY_REQUEST_RE, _LINK_SIGNAL_RE)):
        reasons.append(
            _reason(
                PhishingReasonCode.PAY_BY_LINK,
                PhishingVerdict.FRAUD,
                "В сообщении предлагают оплатить что-то по ссылке. С официального аккаунта "
                "такое предложение никогда не придёт.",
            )
        )
    if sender_kind is not _SenderKind.OFFICIAL_PROMO and any_variant(
        _DISCOUNT_RE, _PURCHASE_OFFER_RE
    ):
        severity = (
            PhishingVerdict.FRAUD
            if sender_kind is _SenderKind.UNOFFICIAL
            else PhishingVerdict.SUSPICIOUS
        )
        reasons.append(
            _reason(
                PhishingReasonCode.DISCOUNT_OFFER,
                severity,
                "В сообщении предлагают купить товар со скидкой. Так делают только мошенники: "
                "акции приходят лишь в рассылке с адреса "
                f"{senders.address(SenderRole.MARKETING)} и публикуются в официальных "
                "аккаунтах.",
            )
        )
    if any_variant(_REFUND_RE, _THIRD_PARTY_RE):
        reasons.append(
            _reason(
                PhishingReasonCode.THIRD_PARTY_REFUND,
                PhishingVerdict.FRAUD,
                "В сообщении предлагают оформить возврат денег через отправителя. Так действуют "
                "мошенники: возврат оформляется только в личном кабинете или через "
                "официальную поддержку.",
            )
        )
    return reasons


# --- a forwarded e-mail's headers ---------------------------------------------------------

_MAX_HEADER_CHARS: Final = 4_000
_AUTH_DKIM_RE: Final = re.compile(r"(?<![\w-])dkim\s*=\s*([a-z]+)([^;]*)", re.IGNORECASE)
_TAG_RE: Final = re.compile(r"(?:^|;)\s*([a-z]+)\s*=\s*([^;]*)", re.IGNORECASE)


def _headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Lower-cased names, bounded values; only strings (anything else is left out)."""
    if not isinstance(headers, Mapping):
        return {}
    out: dict[str, str] = {}
    for name, value in list(headers.items())[:50]:
        if isinstance(name, str) and isinstance(value, str):
            out[name.strip().lower()] = _as_text(value, _MAX_HEADER_CHARS)
    return out


def _address_in(value: str) -> str:
    bracketed = re.search(r"<\s*([^<>\s]+@[^<>\s]+)\s*>", value)
    found = (
        bracketed.group(1) if bracketed else (m.group(0) if (m := _EMAIL_RE.search(value)) else "")
    )
    return found.lower().rstrip(".")


def _aligned(signing: str, sender_domain: str) -> bool:
    """DKIM alignment (relaxed, as DMARC): the signing domain is the sender's domain or a
    parent of it, and an official one."""
    signing = _decode_host(signing)
    if not signing or not is_official_host(signing):
        return False
    return sender_domain == signing or sender_domain.endswith("." + signing)


def _dkim_result(header_map: Mapping[str, str]) -> tuple[str, str] | None:
    """The receiving server's DKIM verdict and the signing domain (``header.d`` /
    ``header.i``); the first ``pass`` wins when there are several signatures."""
    results: list[tuple[str, str]] = []
    for match in _AUTH_DKIM_RE.finditer(header_map.get("authentication-results", "")):
        props = match.group(2)
        domain = re.search(r"header\.(?:d|i)\s*=\s*@?([^\s;]+)", props, re.IGNORECASE)
        results.append((match.group(1).lower(), domain.group(1).lower() if domain else ""))
    if not results:
        return None
    passed = [r for r in results if r[0] == "pass"]
    return passed[0] if passed else results[0]


def _signature_reasons(signature: str, sender_domain: str) -> list[PhishingReason]:
    tags = {k.lower(): v.strip() for k, v in _TAG_RE.findall(signature)}
    signed = [h.strip().lower() for h in tags.get("h", "").split(":")]
    domain = tags.get("d", "").lower()
    out: list[PhishingReason] = []
    if domain and not _aligned(domain, sender_domain):
        out.append(_misaligned(domain))
    if "from" not in signed:
        out.append(
            _reason(
                PhishingReasonCode.DKIM_FAILED,
                PhishingVerdict.SUSPICIOUS,
                "Подпись DKIM письма не защищает адрес отправителя (заголовок From): его "
                "могли подменить.",
            )
        )
    return out


def _misaligned(domain: str) -> PhishingReason:
    shown = _show(_decode_host(domain))
    if is_lookalike_host(domain):
        return _reason(
            PhishingReasonCode.DKIM_MISALIGNED,
            PhishingVerdict.FRAUD,
            f"Письмо подписано доменом {shown}, который только похож на ozon.ru. Так "
            "маскируются мошенники.",
        )
    return _reason(
        PhishingReasonCode.DKIM_MISALIGNED,
        PhishingVerdict.SUSPICIOUS,
        f"Письмо подписано чужим доменом {shown}, а не доменом отправителя.",
    )


def _dkim_reasons(header_map: Mapping[str, str], sender_domain: str) -> list[PhishingReason]:
    result = _dkim_result(header_map)
    signature = header_map.get("dkim-signature", "")
    out = _signature_reasons(signature, sender_domain) if signature else []
    if result is None:
        if not signature:
            out.append(
                _reason(
                    PhishingReasonCode.DKIM_MISSING,
                    PhishingVerdict.SUSPICIOUS,
                    "У письма нет подписи DKIM, а наши письма всегда подписаны.",
                )
            )
        else:
            out.append(
                _reason(
                    PhishingReasonCode.DKIM_FAILED,
                    PhishingVerdict.SUSPICIOUS,
                    "Почтовый сервер не сообщил результат проверки подписи DKIM "
                    "(нет заголовка Authentication-Results).",
                )
            )
        return out
    verdict, domain = result
    if verdict != "pass":
        out.append(
            _reason(
                PhishingReasonCode.DKIM_FAILED,
                PhishingVerdict.SUSPICIOUS,
                f"Подпись DKIM письма не прошла проверку почтового сервера ({_show(verdict)}).",
            )
        )
    elif not _aligned(domain, sender_domain):
        out.append(_misaligned(domain or "—"))
    else:
        out.append(
            _reason(
                PhishingReasonCode.DKIM_PASS,
                PhishingVerdict.OFFICIAL,
                f"Почтовый сервер проверил подпись DKIM: письмо подписано доменом "
                f"{_show(_decode_host(domain))}.",
            )
        )
    return out


def _header_reasons(
    header_map: Mapping[str, str], sender: str, senders: SenderList
) -> list[PhishingReason]:
    """The headers against the sender (see the module's rules)."""
    sender_address = _address_in(sender)
    from_address = _address_in(header_map.get("from", ""))
    out: list[PhishingReason] = []
    if from_address and sender_address and from_address != sender_address:
        out.append(
            _reason(
                PhishingReasonCode.HEADER_FROM_MISMATCH,
                PhishingVerdict.SUSPICIOUS,
                f"В заголовке письма отправитель {_show(from_address)}, а не "
                f"{_show(sender_address)}: адрес подменён.",
            )
        )
        shown_from = _check_email(from_address, senders)[0]
        if shown_from.severity is not PhishingVerdict.OFFICIAL:
            out.append(shown_from)
    bounce = _address_in(header_map.get("return-path", ""))
    if bounce and is_lookalike_host(bounce.rpartition("@")[2]):
        out.append(_check_email(bounce, senders)[0])
    domain = (from_address or sender_address).rpartition("@")[2]
    out.extend(_dkim_reasons(header_map, _decode_host(domain)))
    return out


def _check(
    sender: object,
    link: object,
    text: object,
    senders: SenderList,
    headers: Mapping[str, str] | None,
) -> PhishingReport:
    sender_text = _as_text(sender, _MAX_SENDER_CHARS)
    link_text = _as_text(link, _MAX_LINK_CHARS)
    body = _as_text(text)
    header_map = _headers(headers)
    if not sender_text.strip() and header_map.get("from"):
        sender_text = header_map["from"]
    reasons: list[PhishingReason] = []
    sender_reason, sender_kind = _check_sender(sender_text, senders)
    if sender_reason:
        reasons.append(sender_reason)
    if headers is not None:
        reasons.extend(_header_reasons(header_map, sender_text, senders))
    links = [link_text.strip()] if link_text.strip() else []
    links.extend(find_links(body))
    seen: set[tuple[PhishingReasonCode, str]] = set()
    for raw in links[:_MAX_LINKS]:
        link_reason = _check_link(raw[:_MAX_LINK_CHARS])
        key = (link_reason.code, link_reason.message_ru)
        if key not in seen:
            seen.add(key)
            reasons.append(link_reason)
    reasons.extend(_text_reasons(body, bool(link_text.strip()), sender_kind, senders))
    severities = {reason.severity for reason in reasons}
    if PhishingVerdict.FRAUD in severities:
        verdict = PhishingVerdict.FRAUD
    elif PhishingVerdict.SUSPICIOUS in severities:
        verdict = PhishingVerdict.SUSPICIOUS
    elif PhishingVerdict.OFFICIAL in severities:
        verdict = PhishingVerdict.OFFICIAL
    else:
        verdict = PhishingVerdict.SUSPICIOUS
        reasons.append(
            _reason(
                PhishingReasonCode.NOT_ENOUGH_DATA,
                PhishingVerdict.SUSPICIOUS,
                "Не хватает данных для проверки: укажите, с какого адреса или аккаунта пришло "
                "сообщение и какая в нём ссылка.",
            )
        )
    return PhishingReport(verdict, tuple(reasons))


def check_message(
    *,
    sender: str | None,
    link: str | None,
    text: str | None,
    senders: SenderList = DEFAULT_SENDERS,
    headers: Mapping[str, str] | None = None,
) -> PhishingReport:
    """Check a message the customer received; never raises.

    ``sender`` is the address or account it came from, ``link`` a link the
    customer was asked to open, ``text`` the message itself (links in it are
    checked too); ``senders`` the official addresses; ``headers`` a forwarded
    e-mail's headers when the channel gives them (``From``, ``Return-Path``,
    ``Authentication-Results``, ``DKIM-Signature``; names in any case).
    """
    try:
        return _check(sender, link, text, senders, headers)
    except Exception:  # the check must answer whatever it is given
        return PhishingReport(
            PhishingVerdict.SUSPICIOUS,
            (
                _reason(
                    PhishingReasonCode.CHECK_FAILED,
                    PhishingVerdict.SUSPICIOUS,
                    "Сообщение не удалось проверить автоматически. Не переходите по ссылкам "
                    "и ничего не оплачивайте, пока сотрудник поддержки не проверит его.",
                ),
            ),
        )
