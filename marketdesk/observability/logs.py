"""Log lines for the people who run marketdesk: JSON (one object a line, the default of
``marketdesk serve``) or plain text (``MARKETDESK_LOG_FORMAT=text``), each with the request
id of the work it belongs to, and never personal data or secrets in clear: phone numbers,
e-mail addresses, one-time codes, passwords and tokens are masked by :func:`mask` in both
formatters, whatever logger wrote them (ours, uvicorn's, a library's) and wherever in the
line they are (the message, an exception's traceback, extra fields)."""

from __future__ import annotations

import logging
import logging.config
import re
import time
from typing import Any, Literal

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from .requests import current_request_id

__all__ = [
    "JsonFormatter",
    "LogFormat",
    "RequestIdFilter",
    "TextFormatter",
    "configure_logging",
    "logging_config",
    "mask",
    "mask_every_kind",
]

LogFormat = Literal["json", "text"]
MASK = "***"

# order matters: whole e-mails and bearer credentials before the bare-number rules
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    # e-mail addresses
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"), MASK),
    # credentials in headers
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s\"',;]+"), r"\1\2" + MASK),
    # key=value and "key": "value" of secrets (a JSON body or a query string in a message)
    (
        re.compile(
            r"(?i)((?:token|code|password|passwd|secret|otp|pin|код|пароль)[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s\"',;&}]+"
        ),
        r"\1" + MASK,
    ),
    # Russian phone numbers as people write them: +7 / 8 and ten digits, with separators
    (
        re.compile(
            r"(?<![\w+])(?:\+7|8|7)[\s\-()]{0,2}\d{3}[\s\-()]{0,2}\d{3}[\s\-]?\d{2}[\s\-]?\d{2}(?!\d)"
        ),
        MASK,
    ),
    # any other phone-like run of 10-15 digits (international numbers)
    (re.compile(r"(?<![\w.])\+?\d{10,15}(?![\w.])"), MASK),
    # a long random-looking word: session tokens, keys (letters and digits mixed)
    (
        re.compile(
            r"(?<![A-Za-z0-9_\-])(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Za-z])"
            r"[A-Za-z0-9_\-]{24,}(?![A-Za-z0-9_\-])"
        ),
        MASK,
    ),
    # a one-time code on its own: six digits after a word that names it
    (re.compile(r"(?i)((?:code|код|otp)\D{0,12})\d{4,8}(?!\d)"), r"\1" + MASK),
)


_URL_ENCODED = re.compile(r"%(40|2[Bb]|20|28|29|3[Aa]|3[Dd])")
"""The characters of an e-mail, a phone or a ``key=value`` as a URL's query string encodes
them: decoded first, so that ``phone=%2B7916…`` and ``ivan%40mail.ru`` are found too."""


_WORDS = "bearer|basic|token|code|password|passwd|secret|otp|pin|код|пароль"
_WORDS_ASCII_LOWER = re.compile(_WORDS)
_WORDS_ANY_CASE = re.compile(_WORDS, re.IGNORECASE)
_DIGIT_GROUPS = re.compile(r"\d{3}\D{0,3}\d{3}")
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-]{24,}")


def _may_need_masking(text: str) -> bool:
    """Whether any mask above (or the decoding of ``%``) could find something in ``text``:
    it needs an ``@``, a ``%``, one of the words the masks name, two runs of three digits
    at most three characters apart (every phone has them: its groups, or its 10-15 digits)
    or a run of 24 token characters. Most lines (an access line, a worker's notice) have
    none, and are passed over after these few searches instead of eight substitutions that
    would change nothing. (An ASCII text's words are found in its lower case, several
    times faster than a search that ignores case; other texts are searched ignoring case,
    as the masks do, which also finds such letters as the long s.)"""
    if "@" in text or "%" in text:
        return True
    if text.isascii():
        words = _WORDS_ASCII_LOWER.search(text.lower())
    else:
        words = _WORDS_ANY_CASE.search(text)
    return (
        words is not None
        or _DIGIT_GROUPS.search(text) is not None
        or _TOKEN_RUN.search(text) is not None
    )


def mask(text: str) -> str:
    """``text`` with phones, e-mails, codes, passwords and tokens replaced by ``***``."""
    if not _may_need_masking(text):
        return text
    return mask_every_kind(text)


def mask_every_kind(text: str) -> str:
    """:func:`mask` without the search that passes most texts over: every substitution."""
    text = _URL_ENCODED.sub(lambda found: chr(int(found.group(1), 16)), text)
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {key: _mask_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask(str(value))  # an object: its text, masked (not left to the JSON encoder)


class RequestIdFilter(logging.Filter):
    """Puts the request id of the current context on every record (``request_id``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


def _timestamp(record: logging.LogRecord) -> str:
    # milliseconds, not microseconds: six digits of a timestamp are not a code's six digits
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{stamp}.{int(record.msecs):03d}Z"


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: ``time``, ``level``, ``logger``, ``message``, ``request_id``
    and whatever ``extra`` the call gave; every string masked (:func:`mask`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)  # Russian stays readable
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = _timestamp(record)
        super().add_fields(log_data, record, message_dict)
        log_data["request_id"] = getattr(record, "request_id", None) or current_request_id()

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        log_data.pop("color_message", None)  # uvicorn's copy of the message for terminals
        request_id = log_data.get("request_id")  # sane by construction (see .requests)
        masked: dict[str, Any] = {key: _mask_value(value) for key, value in log_data.items()}
        masked["request_id"] = request_id
        return masked


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal, masked like the JSON ones, with the request id."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        masked = logging.makeLogRecord(record.__dict__)  # other handlers keep the original
        masked.msg, masked.args = mask(record.getMessage()), None
        if record.exc_info:
            masked.exc_text = mask(self.formatException(record.exc_info))
        masked.exc_info = None
        if record.stack_info:
            masked.stack_info = mask(record.stack_info)
        masked.request_id = getattr(record, "request_id", None) or current_request_id() or "-"
        return super().format(masked)


def logging_config(log_format: LogFormat, level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the server (uvicorn's ``log_config``): every
    logger, uvicorn's included, goes through one handler on stderr in ``log_format``."""
    formatter = "json" if log_format == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {
            "json": {"()": f"{__name__}.JsonFormatter"},
            "text": {"()": f"{__name__}.TextFormatter"},
        },
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": formatter,
                "filters": ["request_id"],
            }
        },
        # other libraries stay at WARNING whatever the level: at DEBUG some would log SQL
        # parameters (aiosqlite) or request bodies, which no mask can know all of
        "root": {"handlers": ["default"], "level": "WARNING"},
        "loggers": {
            name: {"handlers": [], "level": level.upper(), "propagate": True}
            for name in ("marketdesk", "uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_logging(log_format: LogFormat, level: str = "info") -> None:
    """Configure this process's logging (what ``marketdesk serve`` does for each worker)."""
    logging.config.dictConfig(logging_config(log_format, level))
