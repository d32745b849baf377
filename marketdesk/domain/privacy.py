"""Privacy guard for every text an operator or the bot sends to a customer.

Sources:

* seed 000, «Бан купонов»: «ЗАПРЕЩЕНО КЛИЕНТУ НАЗЫВАТЬ КОЛИЧЕСТВО ПЕРЕСЕЧЕНИЙ И
  ДАННЫЕ АККАУНТОВ, С КОТОРЫМИ ЕСТЬ ПЕРЕСЕЧЕНИЯ! ЭТО НАРУШЕНИЕ ПОЛИТИКИ
  КОНФИДЕНЦИАЛЬНОСТИ И РАЗГЛАШЕНИЕ ПЕРСОНАЛЬНЫХ ДАННЫХ.»
* seed 002: support «не отвечает на вопросы, связанные с раскрытием …
  конфиденциальной информации»; sellers get no «клиентских данных».

What is blocked (each finding is a :class:`PrivacyViolation` with the span of
the offending fragment):

* ``coupon_ban_details`` — «пересечени…» next to a number (digits or words such
  as «три», «несколько»), intersections «с другими», linked accounts, other
  accounts in the plural. «на пересечении улиц …» (an address) is not blocked,
  nor is a single «другой аккаунт» (the customer's own second account).
* ``other_customer_data`` — an identifier from ``other_customer_ids`` as a whole
  token (also as the prefix of an order number such as «58561573-0011»).
* ``full_card_number`` — 13–19 digits passing the Luhn check, written together
  or in card-like groups of four separated by spaces or dashes.
* ``full_phone_number`` — a full Russian number (+7 / 7 / 8 and ten digits, or
  ten digits with the code in brackets). Masked numbers («+7 ••• •••-••-89»),
  toll-free 8-800 numbers and the public company numbers from seeds 001–002
  are allowed.

Order numbers, prices, product codes and dates are not blocked.

The text is **normalised first** (:func:`normalise`), so that what the customer reads as a
card, a phone or an ID is seen as one whatever it is written with: Unicode NFKC (full-width
and other compatibility digits become ASCII, as do digits of other scripts), zero-width and
other format characters (category Cf: soft hyphens, joiners, …) and combining marks left
over are removed, every kind of space reads as a space and every dash as «-», and a run of
up to three separators between two digits (spaces, dashes, dots, slashes, underscores) is
folded into one: a space if it was only spaces, otherwise «-». The patterns then run on
that text; the spans they find are mapped back to the original text.
"""

import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "MASK_CHAR",
    "PUBLIC_PHONE_NUMBERS",
    "VIOLATION_MESSAGES_RU",
    "PrivacyViolation",
    "PrivacyViolationCode",
    "candidate_ids",
    "check_outgoing_text",
    "luhn_valid",
    "mask_email",
    "mask_phone",
    "normalise",
]

MASK_CHAR: Final = "•"


class PrivacyViolationCode(StrEnum):
    """Kinds of data that must not reach the customer."""

    COUPON_BAN_DETAILS = "coupon_ban_details"
    OTHER_CUSTOMER_DATA = "other_customer_data"
    FULL_CARD_NUMBER = "full_card_number"
    FULL_PHONE_NUMBER = "full_phone_number"


VIOLATION_MESSAGES_RU: Final = MappingProxyType(
    {
        PrivacyViolationCode.COUPON_BAN_DETAILS: (
            "Сообщение нельзя отправить: клиенту запрещено называть количество пересечений "
            "и данные аккаунтов, с которыми есть пересечения. Это нарушение политики "
            "конфиденциальности и разглашение персональных данных."
        ),
        PrivacyViolationCode.OTHER_CUSTOMER_DATA: (
            "Сообщение нельзя отправить: в нём есть идентификатор другого клиента. "
            "Данные других клиентов не раскрываются."
        ),
        PrivacyViolationCode.FULL_CARD_NUMBER: (
            "Сообщение нельзя отправить: в нём указан полный номер банковской карты. "
            "Если нужно назвать карту, укажите только последние четыре цифры."
        ),
        PrivacyViolationCode.FULL_PHONE_NUMBER: (
            "Сообщение нельзя отправить: в нём указан полный номер телефона. "
            "Номер можно показать только в скрытом виде, например «+7 ••• •••-••-89»."
        ),
    }
)

PUBLIC_PHONE_NUMBERS: Final = frozenset(
    {
        "8002347000",  # seed 002: 8 (800) 234-70-00, hotline
        "4950097070",  # seed 002: +7 (495) 009-70-70, Moscow
        "8124940606",  # seed 002: +7 (812) 494-06-06, Saint Petersburg
        "4952321000",  # seed 002: +7 495 232-10-00, central office
        "9584000005",  # seed 001: +7 958 400-00-05, request status
    }
)
"""Ten-digit national numbers of the company, published in the seeds: never personal data."""

_TOLL_FREE_CODE: Final = "800"


@dataclass(frozen=True, slots=True)
class PrivacyViolation:
    """One finding: what is wrong, a Russian explanation and where in the text."""

    code: PrivacyViolationCode
    message_ru: str
    start: int
    end: int


# --- normalisation ------------------------------------------------------------------------

_DROPPED_CATEGORIES: Final = frozenset({"Cf", "Mn", "Me"})
_DASHES: Final = frozenset({"\u2212", "\u2043", "\ufe63", "\uff0d"})
# between two digits: a run of these (after spaces and dashes are made plain) is one separator
_DIGIT_GAP_RE: Final = re.compile(r"(?<=\d)[ \-./\\_·‧∙⁄∕]{1,3}(?=\d)")


def _plain(char: str) -> str:
    """One character of NFKC output as the patterns want it ("" to drop it)."""
    category = unicodedata.category(char)
    if category in _DROPPED_CATEGORIES:
        return ""
    if category == "Nd" and not char.isascii():
        return str(unicodedata.digit(char))
    if category == "Zs" or char == "\t":
        return " "
    if category == "Pd" or char in _DASHES:
        return "-"
    return char


_PLAIN_CACHE: dict[str, str] = {}
_PLAIN_CACHE_SIZE: Final = 4096


def _plain_cached(char: str) -> str:
    plain = _PLAIN_CACHE.get(char)
    if plain is None:
        plain = char if char.isascii() and char != "\t" else _plain(char)
        if len(_PLAIN_CACHE) < _PLAIN_CACHE_SIZE:
            _PLAIN_CACHE[char] = plain
    return plain


def _plain_already_nfkc(text: str) -> tuple[str, list[int], list[int]] | None:
    """The fast path of :func:`normalise` for a text NFKC leaves alone (most replies):
    each character becomes its plain form on its own; None if one is dropped."""
    table: dict[int, str] = {}
    for char in set(text):
        plain = _plain_cached(char)
        if not plain:
            return None
        if plain != char:
            table[ord(char)] = plain
    plain_text = text.translate(table) if table else text
    return plain_text, list(range(len(text))), list(range(1, len(text) + 1))


def normalise(text: str) -> tuple[str, list[int], list[int]]:
    """The text the guard's patterns read, and for each of its characters the span
    (``starts[i]``, ``ends[i]``) of the original text it comes from (see the module's doc)."""
    fast = _plain_already_nfkc(text) if unicodedata.is_normalized("NFKC", text) else None
    if fast is not None:
        return _fold_digit_gaps(*fast)
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    length = len(text)
    i = 0
    while i < length:
        j = i + 1
        while j < length and unicodedata.combining(text[j]):
            j += 1  # a character with its combining marks: normalised together
        cluster = text[i:j]
        if not cluster.isascii():
            cluster = unicodedata.normalize("NFKC", cluster)
        for char in cluster:
            plain = _plain_cached(char)
            if plain:
                chars.append(plain)
                starts.append(i)
                ends.append(j)
        i = j
    return _fold_digit_gaps("".join(chars), starts, ends)


def _fold_digit_gaps(
    plain_text: str, starts: list[int], ends: list[int]
) -> tuple[str, list[int], list[int]]:
    """A run of separators between two digits as one: a space, or «-» if not all spaces."""
    if not _DIGIT_GAP_RE.search(plain_text):
        return plain_text, starts, ends
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    last = 0
    for gap in _DIGIT_GAP_RE.finditer(plain_text):
        out.append(plain_text[last : gap.start()])
        new_starts.extend(starts[last : gap.start()])
        new_ends.extend(ends[last : gap.start()])
        out.append(" " if gap[0].strip(" ") == "" else "-")
        new_starts.append(starts[gap.start()])
        new_ends.append(ends[gap.end() - 1])
        last = gap.end()
    out.append(plain_text[last:])
    new_starts.extend(starts[last:])
    new_ends.extend(ends[last:])
    return "".join(out), new_starts, new_ends


_CANDIDATE_RUN_RE: Final = re.compile(r"\d+(?:[ \-]\d+)*")
_CANDIDATE_MIN: Final = 5
_CANDIDATE_MAX: Final = 19
_MAX_CANDIDATES: Final = 50


def candidate_ids(text: str) -> list[str]:
    """Numbers of 5–19 digits the text may name as an identifier, after normalisation: each
    run of digits, and each run of up to four digit groups joined by single separators
    («12 345 678», «12.345.678»), without separators. The caller finds out which of them
    are customers' (at most 50, first come first)."""
    norm = normalise(text)[0]
    found: list[str] = []
    seen: set[str] = set()
    for run in _CANDIDATE_RUN_RE.finditer(norm):
        groups = re.split(r"[ \-]", run[0])
        for i in range(len(groups)):
            for j in range(i + 1, min(len(groups), i + 4) + 1):
                digits = "".join(groups[i:j])
                if len(digits) > _CANDIDATE_MAX:
                    break
                if len(digits) >= _CANDIDATE_MIN and digits not in seen:
                    seen.add(digits)
                    found.append(digits)
                    if len(found) >= _MAX_CANDIDATES:
                        return found
    return found


def _fold(text: str) -> str:
    """Lower-case character by character (keeping offsets) and read «ё» as «е»."""
    out = []
    for ch in text:
        low = ch.lower()
        out.append(low if len(low) == 1 else ch)
    return "".join(out).replace("ё", "е")


# --- coupon-ban details -------------------------------------------------------------------

_NUMBER_WORD: Final = (
    r"(?:\d+(?!\d)(?![\-/.,:]\d)|ноль|нуль|"
    r"одн(?:а|о|у|ого|ой|им|ом)|один|"
    r"дв(?:а|е|ух|ум|умя)|тр(?:и|ех|ем|емя)|четыр(?:е|ех|ем|ьмя)|"
    r"пят(?:ь|и|ью)|шест(?:ь|и|ью)|сем(?:ь|и|ью)|восем(?:ь|ью)|восьми|"
    r"девят(?:ь|и|ью)|десят(?:ь|и|ью)|\w+надцат(?:ь|и|ью)|(?:два|три)дцат(?:ь|и|ью)|"
    r"сорок|сорока|сто|нескольк(?:о|их|им|ими)|много|множество|единственн\w*)"
)
_NUMBER_RE: Final = re.compile(rf"(?<![\w\-]){_NUMBER_WORD}(?!\w)")
_INTERSECTION_RE: Final = re.compile(r"(?<!\w)пересечени\w*")
_STREET_INTERSECTION_RE: Final = re.compile(r"(?:^|\W)на\s+$")
_SENTENCE_END_RE: Final = re.compile(r"[.!?;\n]")
_NUMBER_WINDOW_AFTER: Final = 40
_NUMBER_WINDOW_BEFORE: Final = 30

_PLURAL_ACCOUNT: Final = (
    r"(?:аккаунт(?:ы|ов|ам|ами|ах)|акк(?:и|ов|ами)|учетн\w*\s+запис(?:и|ей|ям|ями|ях)|"
    r"профил(?:и|ей|ям|ями|ях)|личн\w*\s+кабинет(?:ы|ов|ами|ах))(?!\w)"
)
_ANY_ACCOUNT: Final = r"(?:аккаунт|учетн\w*\s+запис|профил|личн\w*\s+кабинет)\w*"
_ACCOUNT_PATTERNS: Final = tuple(
    re.compile(p)
    for p in (
        # «связанные аккаунты», «связанных с вашим аккаунтом профилей»
        rf"(?<!\w)связанн\w*\s+(?:с\s+\w+\s+\w+\s+)?{_ANY_ACCOUNT}",
        # «аккаунт связан с другими / ещё с двумя / с несколькими»
        rf"(?<!\w)связан\w*\s+(?:ещ[её]\s+)?с\s+(?:друг|ины|чуж|ещ[её]|{_NUMBER_WORD}(?!\w))",
        # «другие аккаунты», «с другими вашими аккаунтами», «несколько профилей»
        rf"(?<!\w)(?:друг(?:ие|их|им|ими)|ин(?:ые|ых|ым|ыми)|чуж(?:ие|их|им|ими)|"
        rf"нескольк\w*|сторонн(?:ие|их|им|ими))\s+(?:\w+\s+)?{_PLURAL_ACCOUNT}",
        # «пересечения этого аккаунта с другими»
        r"(?<!\w)пересечени\w*\s+(?:\w+\s+){0,3}?с\s+(?:друг|ины|чуж|\w*аккаунт)",
        # «аккаунты, с которыми есть пересечения»
        rf"(?<!\w){_PLURAL_ACCOUNT},?\s+с\s+которыми",
        r"(?<!\w)мультиаккаунт\w*",
    )
)


def _coupon_ban_spans(folded: str) -> Iterator[tuple[int, int]]:
    for match in _INTERSECTION_RE.finditer(folded):
        before_start = max(0, match.start() - _NUMBER_WINDOW_BEFORE)
        before = folded[before_start : match.start()]
        if _STREET_INTERSECTION_RE.search(before):
            continue  # «на пересечении улиц …» is an address, not a coupon ban
        after = folded[match.end() : match.end() + _NUMBER_WINDOW_AFTER]
        end_of_sentence = _SENTENCE_END_RE.search(after)
        if end_of_sentence:
            after = after[: end_of_sentence.start()]
        ends = [m.end() for m in _SENTENCE_END_RE.finditer(before)]
        cut = ends[-1] if ends else 0
        before = before[cut:]
        number_after = _NUMBER_RE.search(after)
        if number_after:
            yield match.start(), match.end() + number_after.end()
            continue
        numbers_before = list(_NUMBER_RE.finditer(before))
        if numbers_before:
            yield before_start + cut + numbers_before[-1].start(), match.end()
    for pattern in _ACCOUNT_PATTERNS:
        for match in pattern.finditer(folded):
            yield match.start(), match.end()


# --- other customers ----------------------------------------------------------------------


def _id_pattern(customer_id: str) -> re.Pattern[str]:
    if customer_id.isdigit():
        body = r"[ \-]?".join(re.escape(d) for d in customer_id)
    else:
        body = re.escape(customer_id)
    # Not glued to other digit groups: «1234 5678» inside a card number is not an ID (but
    # «12345678-0001», an order number, starts with one).
    return re.compile(rf"(?<!\w)(?<!\d[ \-]){body}(?!\w)(?![ ]\d)", re.IGNORECASE)


# --- card numbers -------------------------------------------------------------------------

_DIGIT_RUN_RE: Final = re.compile(r"(?<!\d)\d+(?:[ \u00a0\-]\d+)*(?!\d)")
_GROUP_RE: Final = re.compile(r"\d+")
_CARD_MIN_DIGITS: Final = 13
_CARD_MAX_DIGITS: Final = 19
_CARD_GROUP_FORMATS: Final = frozenset({(4, 6, 5), (4, 6, 4)})


def luhn_valid(digits: str) -> bool:
    """Luhn checksum of a string of digits (bank card numbers pass it)."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_like(lengths: tuple[int, ...]) -> bool:
    total = sum(lengths)
    if not _CARD_MIN_DIGITS <= total <= _CARD_MAX_DIGITS:
        return False
    if len(lengths) == 1 or lengths in _CARD_GROUP_FORMATS:
        return True
    return all(n == 4 for n in lengths[:-1]) and 1 <= lengths[-1] <= 4


def _card_spans(text: str) -> Iterator[tuple[int, int]]:
    for run in _DIGIT_RUN_RE.finditer(text):
        groups = [
            (m.start() + run.start(), m.end() + run.start()) for m in _GROUP_RE.finditer(run[0])
        ]
        used_until = -1
        for i in range(len(groups)):
            first = groups[i][1] - groups[i][0]
            if groups[i][0] < used_until or not (
                first == 4 or _CARD_MIN_DIGITS <= first <= _CARD_MAX_DIGITS
            ):
                continue  # every card format starts with a group of four or is one group
            for j in range(min(len(groups), i + 5), i, -1):
                lengths = tuple(end - start for start, end in groups[i:j])
                if not _card_like(lengths):
                    continue
                digits = "".join(text[start:end] for start, end in groups[i:j])
                if luhn_valid(digits):
                    yield groups[i][0], groups[j - 1][1]
                    used_until = groups[j - 1][1]
                    break


# --- phone numbers ------------------------------------------------------------------------

_SEP: Final = r"[ \u00a0\-.]?"
_PHONE_RE: Final = re.compile(
    r"(?<![\w+])"
    r"(?:(?:\+[ \u00a0]?7|7|8)[ \u00a0\-]?\(?[ \u00a0]?(\d{3})[ \u00a0]?\)?"
    r"|\((\d{3})\)[ \u00a0]?)"
    rf"{_SEP}(\d{{3}}){_SEP}(\d{{2}}){_SEP}(\d{{2}})(?!\d)"
)


def _phone_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _PHONE_RE.finditer(text):
        code = match.group(1) or match.group(2) or ""
        national = code + match.group(3) + match.group(4) + match.group(5)
        if national in PUBLIC_PHONE_NUMBERS or code == _TOLL_FREE_CODE:
            continue
        yield match.start(), match.end()


# --- the guard ----------------------------------------------------------------------------


def _merge(spans: Iterator[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def check_outgoing_text(
    text: str,
    *,
    other_customer_ids: Collection[str] = (),
    own_customer_id: str | None = None,
) -> tuple[PrivacyViolation, ...]:
    """Return every privacy violation in ``text``, ordered by position; empty if it may be sent.

    ``other_customer_ids`` are identifiers of customers other than the addressee
    (e.g. the accounts a coupon ban intersects with); ``own_customer_id`` is
    never treated as foreign even if it also appears in that collection.
    """
    if not isinstance(text, str) or not text:
        return ()
    original = text
    text, starts, ends = normalise(original)
    if not text:
        return ()
    folded = _fold(text)
    found: list[tuple[int, int, PrivacyViolationCode]] = []

    def add(code: PrivacyViolationCode, spans: Iterator[tuple[int, int]]) -> None:
        found.extend((start, end, code) for start, end in _merge(spans))

    add(PrivacyViolationCode.COUPON_BAN_DETAILS, _coupon_ban_spans(folded))
    own = _plain_id(own_customer_id) if own_customer_id else None
    foreign = sorted({_plain_id(i) for i in other_customer_ids if i and i.strip()} - {own})

    def foreign_spans() -> Iterator[tuple[int, int]]:
        for customer_id in foreign:
            for match in _id_pattern(customer_id).finditer(text):
                yield match.start(), match.end()

    add(PrivacyViolationCode.OTHER_CUSTOMER_DATA, foreign_spans())
    cards = _merge(_card_spans(text))
    found.extend((start, end, PrivacyViolationCode.FULL_CARD_NUMBER) for start, end in cards)

    def phones_outside_cards() -> Iterator[tuple[int, int]]:
        for start, end in _phone_spans(text):
            if not any(start < c_end and c_start < end for c_start, c_end in cards):
                yield start, end

    add(PrivacyViolationCode.FULL_PHONE_NUMBER, phones_outside_cards())
    found.sort(key=lambda item: (item[0], item[1], item[2]))
    return tuple(
        PrivacyViolation(code, VIOLATION_MESSAGES_RU[code], starts[start], ends[end - 1])
        for start, end, code in found
    )


def _plain_id(customer_id: str) -> str:
    return normalise(customer_id.strip())[0]


def mask_phone(phone: str) -> str:
    """Hide a phone number but its last two digits: «+7 912 345-67-89» → «+7 ••• •••-••-89».

    Russian numbers (ten digits, optionally after 7 or 8) get the canonical mask;
    anything else keeps its layout with every digit but the last two hidden.
    """
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    if len(digits) == 10:
        m = MASK_CHAR
        return f"+7 {m * 3} {m * 3}-{m * 2}-{digits[-2:]}"
    keep_from = len(digits) - 2
    out = []
    seen = 0
    for ch in phone:
        if ch.isascii() and ch.isdigit():
            out.append(ch if seen >= keep_from else MASK_CHAR)
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_email(email: str) -> str:
    """Hide an e-mail's local part but its first character: «alex@mail.ru» → «a•••@mail.ru»."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not domain:
        return MASK_CHAR * 3
    return f"{local[:1]}{MASK_CHAR * 3}@{domain}"
