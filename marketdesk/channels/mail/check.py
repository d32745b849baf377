"""``marketdesk channels check`` for e-mail: :func:`check_email` connects to what is
configured and says in Russian what is wrong."""

from __future__ import annotations

import asyncio

import aiosmtplib

from marketdesk.domain.tasks import is_valid_seller_topic
from marketdesk.settings import Settings

from ..email import SmtpConfig
from .imap import ImapConfig, ImapError, ImapInbox
from .receiver import parse_listen

__all__ = ["check_email"]


async def check_email(settings: Settings) -> list[str]:
    """The problems of the e-mail channel's configuration, in Russian; empty: all is well
    (or e-mail is not configured at all)."""
    smtp = _smtp_config(settings)
    inbound = bool(settings.imap_url or settings.smtp_listen)
    if smtp is None and not inbound:
        return []
    problems: list[str] = []
    for name, address in (
        ("MARKETDESK_MAIL_HELP_ADDRESS", settings.mail_help_address),
        ("MARKETDESK_MAIL_SELLER_ADDRESS", settings.mail_seller_address),
    ):
        if "@" not in address.strip(" @"):
            problems.append(f"{name}: «{address}» — не адрес электронной почты.")
    if not is_valid_seller_topic(settings.mail_seller_topic, settings.mail_seller_subtopic):
        problems.append(
            "MARKETDESK_MAIL_SELLER_TOPIC/_SUBTOPIC: такой темы и подтемы обращений продавцов "
            "нет; письма продавцов получат первую тему списка."
        )
    if isinstance(smtp, str):
        problems.append(smtp)
    elif smtp is None:
        problems.append(
            "Исходящая почта не настроена (MARKETDESK_SMTP_URL): письма принимаются, "
            "но ответы клиентам по почте не уйдут."
        )
    else:
        problems.extend(await _check_smtp(smtp))
    if settings.imap_url:
        problems.extend(await _check_imap(settings.imap_url))
    if settings.smtp_listen:
        try:
            parse_listen(settings.smtp_listen)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def _smtp_config(settings: Settings) -> SmtpConfig | str | None:
    try:
        return SmtpConfig.from_settings(settings)
    except ValueError:
        return (
            "MARKETDESK_SMTP_URL: ожидается smtp://пользователь:пароль@сервер:порт "
            "(smtps:// — TLS сразу, ?starttls=1 — STARTTLS)."
        )


async def _check_smtp(c: SmtpConfig) -> list[str]:
    where = f"{c.host}:{c.port}"
    client = aiosmtplib.SMTP(
        hostname=c.host,
        port=c.port,
        use_tls=c.tls == "tls",
        start_tls=c.tls == "starttls",
        timeout=min(c.timeout, 15.0),
    )
    try:
        await client.connect()
        if c.user:
            await client.login(c.user, c.password or "")
        await client.quit()
    except aiosmtplib.SMTPAuthenticationError:
        return [f"SMTP-сервер {where} не принял имя пользователя или пароль."]
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        return [f"Не удаётся связаться с SMTP-сервером {where}: {_reason(exc)}."]
    finally:
        client.close()
    return []


async def _check_imap(url: str) -> list[str]:
    try:
        config = ImapConfig.from_url(url)
    except ValueError as exc:
        return [str(exc)]
    where = f"{config.host}:{config.port}"

    async def nothing(raw: bytes) -> None:
        del raw

    inbox = ImapInbox(config, nothing)
    try:
        await asyncio.wait_for(inbox.connect(), 20)
    except ImapError as exc:
        return [f"IMAP-сервер {where}: {exc}."]
    except (OSError, TimeoutError) as exc:
        return [f"Не удаётся связаться с IMAP-сервером {where}: {_reason(exc)}."]
    finally:
        await inbox.close()
    return []


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "нет ответа"
    if isinstance(exc, ConnectionRefusedError):
        return "соединение отклонено"
    return str(exc) or type(exc).__name__
