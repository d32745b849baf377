"""Reading the audit log: supervisors and admins see who did what, filtered and paged, and
export it as CSV (an export is itself audited)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.roles import Role
from marketdesk.store.db import Database
from marketdesk.store.models import AuditEntry, Operator

from . import audit
from .errors import InvalidPeriod, UnknownActor
from .principals import Principal

__all__ = [
    "ACTION_TITLES",
    "EXPORT_LIMIT",
    "AuditFilter",
    "AuditPage",
    "AuditView",
    "csv_rows",
    "list_entries",
    "parse_filter",
]

EXPORT_LIMIT = 100_000
"""Rows in one CSV export at most; a wider period is exported in parts."""

_MOSCOW = ZoneInfo("Europe/Moscow")

ACTION_TITLES: dict[str, str] = {
    "auth.login": "Вход сотрудника",
    "auth.login_failed": "Неудачный вход сотрудника",
    "auth.phone_login": "Вход покупателя по телефону",
    "auth.customer_logged_out_everywhere": "Покупатель вышел на всех устройствах",
    "audit.exported": "Выгрузка журнала аудита",
    "calendar.exception_removed": "Исключение календаря удалено",
    "calendar.exception_set": "Исключение календаря",
    "balance.withdrawal_refused": "Отказ в выводе средств",
    "balance.withdrawn": "Вывод средств",
    "certificate.activated": "Активация сертификата",
    "certificate.activation_refused": "Отказ в активации сертификата",
    "certificate.issued": "Выпуск сертификата",
    "certificate.lookup": "Проверка сертификата оператором",
    "content.article_rolled_back": "Статья базы знаний возвращена к прежней версии",
    "content.article_saved": "Статья базы знаний изменена",
    "content.template_rolled_back": "Шаблон ответа возвращён к прежней версии",
    "content.template_saved": "Шаблон ответа изменён",
    "conversation.message_blocked": "Ответ остановлен проверкой конфиденциальности",
    "coupon_ban.decision": "Решение по бану купонов",
    "customer.comment_added": "Комментарий в карточке клиента",
    "customer.contacts_revealed": "Просмотр контактов клиента",
    "customer.login_phone_changed": "Смена телефона для входа",
    "description_error.routed": "Сообщение о неточности описания",
    "identity.codeword_changed": "Покупатель сменил кодовое слово",
    "identity.codeword_checked": "Проверка кодового слова",
    "identity.codeword_cleared": "Кодовое слово сброшено",
    "identity.codeword_set": "Покупатель задал кодовое слово",
    "line.hours_set": "Часы работы линии",
    "markdown.decision": "Решение по уценке",
    "news.created": "Новость опубликована",
    "news.edited": "Новость изменена",
    "operator.created": "Сотрудник добавлен",
    "operator.logged_out": "Принудительный выход сотрудника",
    "operator.password_reset": "Пароль сотрудника сброшен",
    "operator.totp_enabled": "Вход по коду подключён",
    "operator.totp_reset": "Вход по коду сброшен",
    "operator.totp_started": "Подключение входа по коду",
    "operator.updated": "Сотрудник изменён",
    "queue.deadline_set": "Срок очереди",
    "task.assigned": "Задача назначена",
    "task.created": "Задача создана",
    "task.escalated": "Задача эскалирована",
    "task.status": "Статус задачи изменён",
}
"""Russian names of the actions for the viewer; an action without one is shown by its code."""

_GUARD_REASONS = {
    "coupon_ban_details": "подробности бана купонов",
    "other_customer_data": "данные другого клиента",
    "full_card_number": "полный номер карты",
    "full_phone_number": "полный номер телефона",
}
_CHECK_OUTCOMES = {
    "match": "Совпадает",
    "no_match": "Не совпадает",
    "locked": "Проверка заблокирована после неверных ответов",
}
_ACTOR_TITLES = {"operator": "Сотрудник", "customer": "Покупатель", "visitor": "Посетитель"}
_ACTOR_KINDS = frozenset({"operator", "customer", "visitor", "system", "cli"})


class AuditFilter(BaseModel):
    actor: str | None = None  # an operator's login, "customer:ID", "visitor", "system"
    action: str | None = None  # an action or its prefix ("task" or "task.")
    entity: str | None = None  # "customer" or "customer:61000001"
    date_from: date | None = None  # Moscow dates, both ends included
    date_to: date | None = None


class AuditView(BaseModel):
    id: int
    at: datetime
    actor_kind: str
    actor_id: str | None
    actor: str  # who, in words
    action: str
    action_title: str
    entity_kind: str | None
    entity_id: str | None
    details: dict[str, Any]
    summary: str  # why, in words, where the entry says (a refused reply's reasons)


class AuditPage(BaseModel):
    entries: list[AuditView]
    total: int
    limit: int
    offset: int
    actions: dict[str, str]  # every action code with its Russian name, for the filter


def _moscow_start(day: date) -> datetime:
    return datetime.combine(day, time.min, _MOSCOW)


async def parse_filter(session: AsyncSession, raw: AuditFilter) -> Select[Any]:
    """The filtered query of the log, newest first; refuses a filter that cannot match."""
    query = select(AuditEntry)
    if raw.actor:
        actor = raw.actor.strip()
        kind, colon, ident = actor.partition(":")
        if kind in _ACTOR_KINDS and (colon or actor == kind):  # "customer:61000001", "system"
            query = query.where(AuditEntry.actor_kind == kind)
            if ident:
                query = query.where(AuditEntry.actor_id == ident)
        else:  # an operator's login
            operator_id = await session.scalar(select(Operator.id).where(Operator.login == actor))
            if operator_id is None:
                raise UnknownActor(login=actor[:64])
            query = query.where(
                AuditEntry.actor_kind == "operator", AuditEntry.actor_id == str(operator_id)
            )
    if raw.action:
        action = raw.action.strip()
        if action.endswith(".") or "." not in action:
            prefix = action.rstrip(".") + "."
            query = query.where(AuditEntry.action.startswith(prefix, autoescape=True))
        else:
            query = query.where(AuditEntry.action == action)
    if raw.entity:
        kind, _, ident = raw.entity.strip().partition(":")
        query = query.where(AuditEntry.entity_kind == kind)
        if ident:
            query = query.where(AuditEntry.entity_id == ident)
    if raw.date_from and raw.date_to and raw.date_from > raw.date_to:
        raise InvalidPeriod()
    if raw.date_from and raw.date_from > date.min:  # the first day: no bound (and no overflow)
        query = query.where(AuditEntry.at >= _moscow_start(raw.date_from))
    if raw.date_to and raw.date_to < date.max:
        query = query.where(AuditEntry.at < _moscow_start(raw.date_to + timedelta(days=1)))
    return query


async def _names(session: AsyncSession, entries: list[AuditEntry]) -> dict[str, str]:
    ids = {int(e.actor_id) for e in entries if e.actor_kind == "operator" and e.actor_id}
    if not ids:
        return {}
    rows = await session.execute(
        select(Operator.id, Operator.login, Operator.full_name).where(Operator.id.in_(ids))
    )
    return {str(row.id): f"{row.full_name} ({row.login})" for row in rows}


def _view(entry: AuditEntry, names: dict[str, str]) -> AuditView:
    if entry.actor_kind == "operator" and entry.actor_id in names:
        who = names[entry.actor_id]
    elif entry.actor_kind in _ACTOR_TITLES:
        who = _ACTOR_TITLES[entry.actor_kind] + (f" {entry.actor_id}" if entry.actor_id else "")
    else:
        who = "Система"
    details = dict(entry.details or {})
    summary = ""
    if entry.action == "conversation.message_blocked":
        reasons = [_GUARD_REASONS.get(str(code), str(code)) for code in details.get("codes", [])]
        summary = "Причины: " + ", ".join(reasons) if reasons else ""
    elif "refusal" in details:
        summary = f"Отказ: {details['refusal']}"
    elif entry.action == "identity.codeword_checked":
        summary = _CHECK_OUTCOMES.get(str(details.get("outcome")), "")
    return AuditView(
        summary=summary,
        id=entry.id,
        at=entry.at,
        actor_kind=entry.actor_kind,
        actor_id=entry.actor_id,
        actor=who,
        action=entry.action,
        action_title=ACTION_TITLES.get(entry.action, entry.action),
        entity_kind=entry.entity_kind,
        entity_id=entry.entity_id,
        details=details,
    )


async def list_entries(
    session: AsyncSession,
    principal: Principal,
    raw: AuditFilter,
    *,
    limit: int = 50,
    offset: int = 0,
) -> AuditPage:
    """A page of the log, newest first (supervisors and admins)."""
    principal.require_operator(Role.SUPERVISOR)
    query = await parse_filter(session, raw)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    entries = list(
        await session.scalars(
            query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
        )
    )
    names = await _names(session, entries)
    return AuditPage(
        entries=[_view(e, names) for e in entries],
        total=int(total or 0),
        limit=limit,
        offset=offset,
        actions=ACTION_TITLES,
    )


_CSV_CHUNK = 1_000
_CSV_HEADER = (
    "id",
    "время (МСК)",
    "кто",
    "действие",
    "код действия",
    "объект",
    "пояснение",
    "подробности",
)


async def csv_rows(
    session: AsyncSession, database: Database, principal: Principal, raw: AuditFilter
) -> AsyncIterator[str]:
    """The filtered log as CSV lines (at most EXPORT_LIMIT rows, in the order written), read in a
    session of their own while the answer streams. The export is written to the log before
    the first line is produced."""
    principal.require_operator(Role.SUPERVISOR)
    query = await parse_filter(session, raw)
    audit.record(
        session,
        principal,
        "audit.exported",
        entity_kind="audit",
        filter=raw.model_dump(mode="json", exclude_none=True),
    )
    await session.commit()

    async def lines() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # so that spreadsheets read the Russian text as UTF-8
        writer.writerow(_CSV_HEADER)
        last_id, written = 0, 0
        async with database.sessions() as reader:
            while written < EXPORT_LIMIT:  # in the order written, a chunk at a time
                chunk = list(
                    await reader.scalars(
                        query.where(AuditEntry.id > last_id)
                        .order_by(AuditEntry.id)
                        .limit(min(_CSV_CHUNK, EXPORT_LIMIT - written))
                    )
                )
                _write(writer, chunk, await _names(reader, chunk))
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
                if len(chunk) < _CSV_CHUNK:
                    break
                last_id, written = chunk[-1].id, written + len(chunk)

    return lines()


def _write(writer: Any, entries: list[AuditEntry], names: dict[str, str]) -> None:
    for entry in entries:
        view = _view(entry, names)
        writer.writerow(
            (
                view.id,
                view.at.astimezone(_MOSCOW).strftime("%d.%m.%Y %H:%M:%S"),
                view.actor,
                view.action_title,
                view.action,
                f"{view.entity_kind}:{view.entity_id}" if view.entity_kind else "",
                view.summary,
                json.dumps(view.details, ensure_ascii=False, sort_keys=True)
                if view.details
                else "",
            )
        )
