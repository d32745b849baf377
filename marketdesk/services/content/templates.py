"""Answer templates edited in the console (issue 16): the texts a customer gets when a
back-office task ends (``domain.task_outcomes.CUSTOMER_RESULTS_RU``, placeholders
``{number}`` and ``{queue}``) and the notifications' texts (``content/notifications``,
``$name`` placeholders, see ``notifications.templates``). The seed stays where it is; every
edit is a version in ``content_versions`` (kind ``template``), the newest one live: a task's
result reads it from the database, a notification from
``<data dir>/notification-templates/`` (written after the commit, read over the seed). An
edit may use only the placeholders of its seed, so that every notification still renders."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.coupon_ban import FRAUD_QUEUE
from marketdesk.domain.descriptions import DESCRIPTION_ERROR_QUEUE
from marketdesk.domain.task_outcomes import CUSTOMER_RESULTS_RU, TaskOutcome
from marketdesk.store.models import ContentVersion, utcnow

from .. import audit
from ..errors import ContentChanged, ContentVersionNotFound, TemplateInvalid, TemplateNotFound
from ..principals import Principal
from . import versions

__all__ = [
    "TemplateDetail",
    "TemplatePlace",
    "TemplateSaved",
    "TemplateSummary",
    "list_templates",
    "outcome_text",
    "restore_templates",
    "rollback_template",
    "save_template",
    "template_detail",
]

KIND = "template"
MAX_TEXT = 4000
_QUEUES = {FRAUD_QUEUE: "fraud", DESCRIPTION_ERROR_QUEUE: "description", None: "any"}
_QUEUE_TITLES = {
    "fraud": "Фрод-мониторинг",
    "description": "Ошибка описания",
    "any": "Любая другая очередь",
}
_OUTCOME_TITLES = {
    TaskOutcome.LIFTED: "бан снят",
    TaskOutcome.KEPT: "бан сохранён",
    TaskOutcome.CORRECTED: "описание исправлено",
    TaskOutcome.DONE: "выполнена",
    TaskOutcome.REJECTED: "отклонена",
}
_CHANNEL_TITLES = {"email": "e-mail", "sms": "SMS", "push": "push", "center": "центр уведомлений"}
_EVENT_TITLES = {
    "login_code": "Код для входа",
    "certificate_issued": "Сертификат выпущен",
    "certificate_activated": "Сертификат активирован",
    "withdrawal_created": "Вывод средств с баланса",
    "order_receipt": "Чек заказа",
    "order_status_changed": "Статус заказа изменился",
    "promotion": "Акция",
    "service_rating_survey": "Оценка сервиса",
    "task_result_order": "Итог заявки по заказу",
    "task_result_goods": "Итог заявки по товару",
    "task_result": "Итог заявки",
}
_NOTIFY_NAME = re.compile(r"^([a-z_]+)/([a-z_]+)\.([a-z]+)\.txt$")


@dataclass(frozen=True)
class TemplatePlace:
    notify_dir: Path  # the seed of the notifications (MARKETDESK_NOTIFY_TEMPLATES_DIR)
    overlay: Path  # the live edits of the notifications, in the data dir


@dataclass(frozen=True)
class _Spec:
    key: str
    group: str
    title: str
    fields: tuple[str, ...]
    seed: str
    file: str | None  # a notification's file, relative to the templates dir


class TemplateSummary(BaseModel):
    key: str
    group: str
    title: str
    fields: list[str]
    version: int


class VersionView(BaseModel):
    version: int
    created_at: datetime
    author: str | None
    note: str


class TemplateDetail(TemplateSummary):
    text: str
    versions: list[VersionView]


class TemplateSaved(BaseModel):
    key: str
    version: int


def _outcome_fields(text: str) -> tuple[str, ...]:
    return tuple(sorted({f for _, f, _, _ in string.Formatter().parse(text) if f}))


def _outcome_specs() -> list[_Spec]:
    out = []
    for (queue, outcome), text in CUSTOMER_RESULTS_RU.items():
        q = _QUEUES[queue]
        out.append(
            _Spec(
                key=f"outcome.{q}.{outcome.value}",
                group="Итоги задач",
                title=f"{_QUEUE_TITLES[q]}: {_OUTCOME_TITLES[outcome]}",
                fields=("number", "queue"),
                seed=text,
                file=None,
            )
        )
    return out


def _notify_specs(directory: Path) -> list[_Spec]:
    out = []
    for path in sorted(directory.glob("*/*.txt")):
        name = path.relative_to(directory).as_posix()
        match = _NOTIFY_NAME.match(name)
        if match is None:
            continue
        type_, event, channel = match.groups()
        text = path.read_text(encoding="utf-8")
        out.append(
            _Spec(
                key=f"notify.{type_}.{event}.{channel}",
                group="Уведомления",
                title=f"{_EVENT_TITLES.get(event, event)} "
                f"({_CHANNEL_TITLES.get(channel, channel)})",
                fields=tuple(sorted(set(string.Template(text).get_identifiers()))),
                seed=text,
                file=name,
            )
        )
    return out


def _specs(place: TemplatePlace) -> dict[str, _Spec]:
    return {s.key: s for s in (*_outcome_specs(), *_notify_specs(place.notify_dir))}


def _spec(place: TemplatePlace, key: str) -> _Spec:
    spec = _specs(place).get(key)
    if spec is None:
        raise TemplateNotFound(key=key)
    return spec


def _check(spec: _Spec, text: str) -> None:
    if not text.strip():
        raise TemplateInvalid(problem="текст пустой.")
    if len(text) > MAX_TEXT:
        raise TemplateInvalid(problem=f"текст длиннее {MAX_TEXT} знаков.")
    if spec.file is None:
        try:
            used = _outcome_fields(text)
            text.format(number="1", queue="1")
        except (ValueError, IndexError, KeyError):
            used = ("?",)
        unknown = [f for f in used if f not in spec.fields]
        if unknown:
            raise TemplateInvalid(problem="можно подставлять только {number} и {queue}.")
        return
    template = string.Template(text)
    unknown = sorted(set(template.get_identifiers()) - set(spec.fields))
    if not template.is_valid() or unknown:
        allowed = ", ".join("$" + f for f in spec.fields) or "ничего"
        raise TemplateInvalid(problem=f"можно подставлять только: {allowed}.")
    if spec.seed.startswith("Тема:") and not text.startswith("Тема:"):
        raise TemplateInvalid(problem="письмо начинается со строки «Тема: …».")


async def list_templates(
    session: AsyncSession, principal: Principal, place: TemplatePlace
) -> list[TemplateSummary]:
    versions.require_editor(principal)
    edited = await versions.newest_numbers(session, KIND)
    return [
        TemplateSummary(
            key=s.key,
            group=s.group,
            title=s.title,
            fields=list(s.fields),
            version=edited.get(s.key, 0),
        )
        for s in _specs(place).values()
    ]


async def template_detail(
    session: AsyncSession, principal: Principal, place: TemplatePlace, key: str
) -> TemplateDetail:
    versions.require_editor(principal)
    spec = _spec(place, key)
    rows = await versions.history(session, KIND, key)
    logins = await versions.authors(session, rows)
    return TemplateDetail(
        key=key,
        group=spec.group,
        title=spec.title,
        fields=list(spec.fields),
        version=rows[0].version if rows else 0,
        text=rows[0].text if rows else spec.seed,
        versions=[
            VersionView(
                version=r.version,
                created_at=r.created_at,
                author=logins.get(r.author_id) if r.author_id is not None else None,
                note=r.note,
            )
            for r in rows
        ],
    )


async def save_template(
    session: AsyncSession,
    principal: Principal,
    place: TemplatePlace,
    key: str,
    text: str,
    *,
    note: str = "",
    action: str = "content.template_saved",
) -> TemplateSaved:
    versions.require_editor(principal)
    spec = _spec(place, key)
    _check(spec, text)
    rows = await versions.history(session, KIND, key)
    version = (rows[0].version if rows else 0) + 1
    session.add(
        ContentVersion(
            kind=KIND,
            key=key,
            version=version,
            text=text,
            author_id=int(principal.id),
            created_at=utcnow(),
            note=note.strip()[:300],
        )
    )
    audit.record(session, principal, action, entity_kind="template", entity_id=key, version=version)
    try:
        await session.commit()
    except IntegrityError:  # the same version saved by someone else a moment ago
        await session.rollback()
        raise ContentChanged() from None
    if spec.file is not None:
        versions.write_file(place.overlay / spec.file, text)
    return TemplateSaved(key=key, version=version)


async def rollback_template(
    session: AsyncSession, principal: Principal, place: TemplatePlace, key: str, version: int
) -> TemplateSaved:
    """An earlier version live again, as a new version; version 0 is the seed."""
    versions.require_editor(principal)
    spec = _spec(place, key)
    if version == 0:
        text = spec.seed
    else:
        stored = await versions.version_text(session, KIND, key, version)
        if stored is None:
            raise ContentVersionNotFound(key=key, version=version)
        text = stored
    return await save_template(
        session,
        principal,
        place,
        key,
        text,
        note=f"возврат к версии {version}",
        action="content.template_rolled_back",
    )


async def outcome_text(
    session: AsyncSession, queue: str, queue_title: str, outcome: TaskOutcome, number: str
) -> str | None:
    """The edited text of a task's result, or None: the seed's (``customer_result``)."""
    q = _QUEUES.get(queue, "any")
    keys = [f"outcome.{q}.{outcome.value}"]
    if q != "any":
        keys.append(f"outcome.any.{outcome.value}")
    for key in keys:
        text = await session.scalar(
            select(ContentVersion.text)
            .where(ContentVersion.kind == KIND, ContentVersion.key == key)
            .order_by(ContentVersion.version.desc())
            .limit(1)
        )
        if text is not None:
            return text.format(number=number, queue=queue_title)
        if (queue if q != "any" else None, outcome) in CUSTOMER_RESULTS_RU:
            return None  # the queue has its own seed text, not edited
    return None


async def restore_templates(session: AsyncSession, place: TemplatePlace) -> int:
    """At start: the live version of every edited notification written from the database."""
    specs = _specs(place)
    rows = await versions.live_rows(session, KIND)
    count = 0
    for row in rows:
        spec = specs.get(row.key)
        if spec is not None and spec.file is not None:
            versions.write_file(place.overlay / spec.file, row.text)
            count += 1
    return count
