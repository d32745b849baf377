"""The back-office queues, live: a ``tasks_changed`` frame after a task is created, moved,
reassigned or escalated.

Every active back-office worker, supervisor and admin hears it on their operator socket
(docs/protocol.md); the workspace (``/console/tasks``) reads its queue counts again, and the
list and the open card when the frame names them. The frame is registered with
:func:`marketdesk.store.transactions.on_commit`, so it is published only once the change is
stored, and never for a change that rolled back. It carries no customer data: the workspace
reads what it shows through the API, with the reader's own rights."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from marketdesk.domain.roles import Role
from marketdesk.store.kept import KeptPerDatabase
from marketdesk.store.models import Operator, OperatorRole, Task
from marketdesk.store.transactions import on_commit

from .chat.events import Publisher, default_publisher, operator_channel
from .principals import Principal

__all__ = [
    "TASK_WORKER_ROLES",
    "announce",
    "configure",
    "forget_workers",
    "tasks_changed_frame",
    "worker_ids",
]

TASK_WORKER_ROLES: Final = frozenset({Role.BACKOFFICE, Role.SUPERVISOR, Role.ADMIN})
"""Who hears of the queues' changes: those who work the tasks and those who watch them."""

FRAME_TASKS: Final = 50
"""At most this many task numbers in one frame (``count`` gives them all)."""


_WORKERS = (
    select(Operator.id)
    .join(OperatorRole, OperatorRole.operator_id == Operator.id)
    .where(OperatorRole.role.in_(sorted(TASK_WORKER_ROLES)), Operator.is_active.is_(True))
    .distinct()
)
_workers: KeptPerDatabase[list[int]] = KeptPerDatabase(1.0)


def configure(*, cache_seconds: float) -> None:
    """How long a process keeps the list of workers it read (the server gives it the
    principals' time, ``MARKETDESK_PRINCIPAL_CACHE_SECONDS``: roles are principals' facts)."""
    _workers.keep_for(cache_seconds)


def forget_workers() -> None:
    """Accounts, roles or activity changed (after the commit): read the workers again."""
    _workers.forget()


async def worker_ids(session: AsyncSession) -> list[int]:
    """The active back-office workers, supervisors and admins (kept for a moment per
    process, like the principals: a task written is not one query more)."""

    async def read() -> list[int]:
        return sorted(int(i) for i in await session.scalars(_WORKERS))

    return await _workers.get_or_read(session.get_bind(), read)


def tasks_changed_frame(
    change: str, tasks: Sequence[Task], actor: Principal | None = None
) -> dict[str, Any]:
    """The frame (docs/protocol.md): what happened (``created``, ``status``, ``assigned``,
    ``escalated``), the queues whose counts changed, the tasks' numbers and who did it."""
    return {
        "type": "tasks_changed",
        "change": change,
        "count": len(tasks),
        "queues": sorted({t.queue for t in tasks}),
        "tasks": [t.number for t in tasks[:FRAME_TASKS]],
        "actor_id": int(actor.id) if actor is not None and actor.is_operator else None,
    }


async def announce(
    session: AsyncSession,
    change: str,
    tasks: Sequence[Task],
    *,
    actor: Principal | None = None,
    publish: Publisher | None = None,
    skip: Iterable[int] = (),
) -> None:
    """Publish a ``tasks_changed`` frame once the session's transaction commits (``publish``
    None: the application's publisher; there is none, nothing is sent). ``skip``: workers
    told otherwise (an escalation's supervisors hear a ``task_escalated`` frame)."""
    publish = publish or default_publisher(session)
    if publish is None or not tasks:
        return
    skipped = set(skip)
    to = [i for i in await worker_ids(session) if i not in skipped]
    if not to:
        return
    channels = [operator_channel(i) for i in to]
    frame = tasks_changed_frame(change, tasks, actor)
    send = publish  # bound now: the callback runs after the commit

    async def after_commit() -> None:
        await send(channels, frame)

    on_commit(session, after_commit)
