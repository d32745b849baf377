"""A customer pastes a message they received and asks whether it is genuine.

«мне пришло смс: … оплатите по ссылке ozon-pay.xyz, это от вас?», «это мошенники?
news@news-ozon.ru пишут скидка 90%», a bare suspicious link. The verdict comes from
the domain rule :func:`marketdesk.domain.phishing.check_message` (seed 000,
«Рассылка от мошенников»); this module only recognises such messages, pulls out the
sender and the text, and words the verdict and its reasons for the customer.

A message is checked when it has a cue that it is a received message («пришло
письмо», «мне пишут в телеграм», «это от вас?», «это мошенники?») together with a
link, an e-mail address or an @account, or when it is little more than the link or
address itself. With a cue but no link or address, the text is still checked, and the
verdict is used only if the rule finds something in it («… надо оплатить доставку по
ссылке»). A cue with nothing to check («мне пишут мошенники от имени Ozon, что
делать?») is a question for the phishing article (see :func:`suspicion_cue`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from marketdesk.domain.links import LINK_RE, find_links
from marketdesk.domain.phishing import (
    PhishingReasonCode,
    PhishingReport,
    PhishingVerdict,
    check_message,
)
from marketdesk.domain.senders import DEFAULT_SENDERS, SenderList
from marketdesk.text.analyzer import Analysis

__all__ = [
    "PhishingCheck",
    "configure_senders",
    "detect_pasted_message",
    "strong_suspicion",
    "suspicion_cue",
    "verdict_text",
    "weak_suspicion",
]

_senders: SenderList = DEFAULT_SENDERS


def configure_senders(senders: SenderList) -> None:
    """The official senders of this process (``MARKETDESK_OFFICIAL_SENDERS``; ``server.py``
    sets them at the start): the ones the notifications are sent from."""
    global _senders
    _senders = senders


# bounded and anchored at a word start: linear on «aaaa…» without an «@»
_EMAIL_RE = re.compile(r"(?<![\w.+\-])[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63}){1,8}")
_HANDLE_RE = re.compile(r"(?<![\w@])@[a-z0-9_][a-z0-9_.]{1,28}[a-z0-9_](?![\w@])", re.IGNORECASE)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# lemmas: «пришло сообщение», «мне пишут», «получила письмо», «прислали ссылку»
_RECEIVE = _words(
    "приходить прийти получить получать писать написать прислать присылать "
    "отправить звонить позвонить рассылка"
)
_MESSAGE = _words(
    "смс сообщение письмо email ссылка уведомление рассылка push звонок сообщенька "
    "вконтакте telegram whatsapp ватсап вотсап вайбер viber инстаграм мессенджер"
)
# «это от вас?», «это мошенники?», «это правда озон?», «это развод?»
_SUSPECT = _words(
    "мошенник фишинг развод обман обманщик лохотрон подделка поддельный фейк "
    "фейковый подозрительный"
)
_GENUINE = _words("правда настоящий официальный реальный правдивый подлинность")
_FROM_YOU = re.compile(
    # «письмо от озона» tells where a letter came from; it asks only at the message's end
    # («это письмо от озона», «пришло смс от вас?»), not in a story («пришло смс от ozon с
    # кодом для входа, а войти не получается»: issue 14, item 7)
    r"\b(сообщение|письмо|смс|ссылка)\s+(точно\s+|правда\s+|реально\s+)?"
    r"от\s+(вас|озона?|ozon)(?=\s*$|\s+(ли|или)\b)"
    r"|\b(это|этот|эта|оно|они)\s+((сообщение|письмо|смс|ссылка)\s+)?"
    r"(точно\s+|правда\s+|реально\s+)?от\s+(вас|озона?|ozon)\b"
    r"|\b(это|этот|эта|оно|они|сообщение|письмо|смс|ссылка)\s+(точно\s+|правда\s+|реально\s+)?"
    r"(ваш[аеи]?(?=\s*$)|вы(?=\s*$|\s+или)|"
    r"мошенн?ик\w*|развод\w*|фишинг\w*|обман\w*|фейк\w*|лохотрон\w*)\b"
    r"|\b(вы|озон|ozon)\s+(это\s+)?(присылали|прислали|отправляли|писали|звонили)\b"
    r"|\bот\s+(вас|озона?|ozon)\s+(ли|или\s+нет|или\s+мошенн?ик\w*)\b"
)


@dataclass(frozen=True, slots=True)
class PhishingCheck:
    sender: str | None
    link: str | None
    report: PhishingReport


def suspicion_cue(analysis: Analysis, normalized: str) -> bool:
    """The customer asks whether something they received is genuine or a scam."""
    return strong_suspicion(analysis, normalized) or weak_suspicion(analysis)


def strong_suspicion(analysis: Analysis, normalized: str) -> bool:
    """«это от вас?», «это мошенники?», «мне пишут мошенники», «пришло письмо, это правда?»:
    the question is the scam."""
    lem = set(analysis.lemmas)
    if _FROM_YOU.search(normalized):
        return True
    if lem & _SUSPECT and (lem & _RECEIVE or lem & _MESSAGE):
        return True
    return bool(lem & _RECEIVE and lem & _MESSAGE and lem & _GENUINE)


def weak_suspicion(analysis: Analysis) -> bool:
    """«пришло смс от озона …»: a received message named with Ozon. Often only the story
    of another question («пришло смс от ozon с кодом для входа, а войти не получается»):
    the bot answers the phishing article only when no other topic answers surely (issue 14,
    item 7)."""
    lem = set(analysis.lemmas)
    return bool(lem & _RECEIVE and lem & _MESSAGE and "ozon" in lem)


def _received_cue(analysis: Analysis, normalized: str) -> bool:
    lem = set(analysis.lemmas)
    return suspicion_cue(analysis, normalized) or bool(lem & _RECEIVE and lem & _MESSAGE)


def detect_pasted_message(raw: str, analysis: Analysis, normalized: str) -> PhishingCheck | None:
    """Check a pasted message with the domain rule, or None when it is not one."""
    raw = raw[:4000]
    email = _EMAIL_RE.search(raw) if "@" in raw else None
    handle = _HANDLE_RE.search(raw) if email is None else None
    urls = find_links(_EMAIL_RE.sub(" ", raw) if email else raw)
    has_object = bool(email or handle or urls)
    cue = _received_cue(analysis, normalized)
    if not has_object:
        # no address or link: the text of a received message is checked when the
        # customer says they received it; it counts only if the rule finds something
        if not cue:
            return None
    elif not cue:
        # a bare link or address, with at most a couple of words around it
        rest = LINK_RE.sub(" ", _EMAIL_RE.sub(" ", _HANDLE_RE.sub(" ", raw)))
        if len(re.findall(r"[^\W\d_]{3,}", rest)) > 3:
            return None
    sender = email.group(0) if email else (handle.group(0) if handle else None)
    report = check_message(sender=sender, link=None, text=raw, senders=_senders)
    codes = set(report.codes)
    if not has_object and codes <= {PhishingReasonCode.NOT_ENOUGH_DATA}:
        return None  # nothing in the text itself: the article answers better
    if not cue and report.verdict is PhishingVerdict.OFFICIAL:
        return None  # «help@ozon.ru это ваша почта?»: a reference, not a suspicious message
    return PhishingCheck(sender, urls[0] if urls else None, report)


_OPENING = {
    PhishingVerdict.FRAUD: (
        "Это сообщение от мошенников, а не от нас. Не переходите по ссылкам из него, "
        "ничего не оплачивайте и никому не сообщайте коды из SMS и данные карты."
    ),
    PhishingVerdict.SUSPICIOUS: (
        "Мы не можем подтвердить, что это сообщение от нас, и советуем считать его "
        "подозрительным: так часто действуют мошенники. Не переходите по ссылкам из него "
        "и ничего не оплачивайте."
    ),
    PhishingVerdict.OFFICIAL: (
        "Похоже, это сообщение действительно от нас: оно пришло с официального адреса или аккаунта."
    ),
}
_CLOSING = {
    PhishingVerdict.FRAUD: (
        "Наши рассылки приходят только от имени OZON.RU: {senders}, а официальный сайт — "
        "ozon.ru. Если Вы уже "
        "оплатили что-то по такой ссылке или сообщили данные, напишите нам — подключится "
        "оператор."
    ),
    PhishingVerdict.SUSPICIOUS: (
        "Наши рассылки приходят только от имени OZON.RU: {senders}, а официальный сайт — "
        "ozon.ru. "
        "С официального аккаунта никогда не придёт предложение оплатить что-то по ссылке."
    ),
    PhishingVerdict.OFFICIAL: (
        "Всё равно будьте внимательны: с официального аккаунта никогда не придёт "
        "предложение оплатить что-то по ссылке — так делают только мошенники. Заказы и "
        "оплату проверяйте в личном кабинете на ozon.ru."
    ),
}


def verdict_text(check: PhishingCheck) -> str:
    """The verdict and its reasons, for the customer (Russian)."""
    report = check.report
    reasons = [
        r.message_ru for r in report.reasons if r.code is not PhishingReasonCode.NOT_ENOUGH_DATA
    ]
    parts = [_OPENING[report.verdict]]
    if reasons:
        parts.append("Почему мы так считаем:\n" + "\n".join(f"— {r}" for r in reasons))
    parts.append(_CLOSING[report.verdict].replace("{senders}", _senders.listed_ru()))
    return "\n\n".join(parts)
