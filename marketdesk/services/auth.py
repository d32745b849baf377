"""Operator login, bearer tokens for every kind of user, password hashing (argon2)."""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import time
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Row, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from marketdesk.settings import password_hashing
from marketdesk.store.db import read_first
from marketdesk.store.json_rows import rows_as_json, rows_from_json
from marketdesk.store.kept import REFRESH_SHARE
from marketdesk.store.models import Customer, Operator, OperatorRole, Session, Visitor, utcnow
from marketdesk.store.quick_reads import QuickQuery
from marketdesk.store.rows import insert_row

from . import audit
from .chat.events import Publisher, no_publisher
from .errors import (
    AccountDisabled,
    AccountNotFound,
    CustomerNotFound,
    InvalidCredentials,
    OperatorLoginNotFound,
    SessionBroken,
    SessionExpired,
)
from .people import totp
from .principals import Principal
from .sealing import Sealer

if TYPE_CHECKING:
    from .rate_limits import RateLimiter

_T = TypeVar("_T")

__all__ = [
    "SESSIONS_CHANNEL",
    "PrincipalCache",
    "add_visitor",
    "announce_sessions_ended",
    "authenticate",
    "create_visitor",
    "forget_principals",
    "hash_password",
    "hash_password_async",
    "issue_token",
    "login",
    "logout",
    "new_session_values",
    "remember_session",
    "session_principal",
    "token_for_customer",
    "token_for_operator",
    "token_hash",
    "valid_session_ids",
    "verify_password",
    "verify_password_async",
]

_hasher: PasswordHasher | None = None  # made on first use (the_hasher), as configured
_dummy_hash: str | None = None


def the_hasher() -> PasswordHasher:
    """argon2 with its library's default cost; with ``MARKETDESK_PASSWORD_HASHING=cheap``
    (the test suite only: a hash then costs microseconds, not ~50 ms and 64 MiB) the
    smallest cost argon2 allows. A hash records its own cost, so either verifies the other's."""
    global _hasher
    if _hasher is None:
        if password_hashing() == "cheap":
            _hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        else:
            _hasher = PasswordHasher()
    return _hasher


def _dummy() -> str:
    """Verified when the login is unknown, so that both cases take the same time."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = the_hasher().hash("marketdesk-timing-equaliser")
    return _dummy_hash


# argon2 takes ~50 ms of CPU and 64 MiB per check: off the event loop (other requests go on),
# two at a time (a burst of logins queues here instead of taking every core and the memory)
_ARGON2 = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")


SESSIONS_CHANNEL = "sessions"
"""Where ended sessions are announced (every process's session watch closes their sockets)."""


class PrincipalCache:
    """Bearer token → its principal, kept for ``seconds`` so that a burst of requests with
    one token authenticates once (two queries fewer a request). The session's own expiry is
    checked on every use; a session that ends (logout, a deactivated operator, a forgotten
    customer, a visitor's token revoked at phone login) leaves every cache of this process
    at once (:func:`forget_principals`) and of the other processes when the announcement
    reaches them; a change of roles reaches the other processes within ``seconds``.

    A widget visitor's principal is kept for ``visitor_seconds`` (by default the same): it
    has no roles and no account, nothing but its session can change it, and its session
    ends only by expiry (checked on every use) or by an announced end, so a longer keep
    risks nothing the announcement does not cover; where announcements may have been missed
    (the broker's ``resync`` after Redis came back) every cache forgets everything
    (``channels/session_watch.py``). 0 keeps nothing.

    In the last ``store.kept.REFRESH_SHARE`` of an entry's keep (as of every fact a
    process keeps for a moment), the first caller to look gets nothing and reads the
    session again (its :meth:`put` starts a new keep), while every other caller keeps the
    entry until the keep ends: of a token's concurrent requests one reads, not all that
    arrive in the round trip after the keep ended (on a busy process, a cluster of requests
    an event-loop round slower every ``seconds``). Nothing is kept longer than before.
    Likewise, the requests of a token that find nothing kept while one of them reads it
    (a console's first requests, every token after a ``resync``) wait for that read."""

    def __init__(
        self, seconds: float, *, visitor_seconds: float | None = None, size: int = 50_000
    ) -> None:
        self.seconds = seconds
        self.visitor_seconds = seconds if visitor_seconds is None else visitor_seconds
        self.size = size
        # token hash → (kept until, read again from, the session's expiry, the principal)
        self._entries: dict[str, tuple[float, float, datetime, Principal]] = {}
        # token hash → the read of a request of this token now under way (the others of the
        # token that find nothing kept wait for it rather than read too)
        self._reading: dict[str, asyncio.Future[Principal]] = {}
        _caches.add(self)

    def get(self, key: str, now: datetime) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        until, refresh_at, expires_at, principal = entry
        clock = time.monotonic()
        if until < clock or expires_at <= now:
            self._entries.pop(key, None)
            return None
        if refresh_at <= clock:  # this caller reads it again; the others keep it meanwhile
            self._entries[key] = (until, math.inf, expires_at, principal)
            return None
        return principal

    def put(self, key: str, principal: Principal, expires_at: datetime) -> None:
        seconds = self.visitor_seconds if principal.kind == "visitor" else self.seconds
        if seconds <= 0:
            return
        if len(self._entries) >= self.size:
            self._entries.clear()  # a flood of tokens: start again rather than grow
        clock = time.monotonic()
        self._entries[key] = (
            clock + seconds,
            clock + seconds * (1 - REFRESH_SHARE),
            expires_at,
            principal,
        )

    def discard(self, key: str) -> None:
        """Forget one token (its session is found ended)."""
        self._entries.pop(key, None)

    def forget(self, session_ids: Iterable[int] | None = None) -> None:
        """Forget these sessions' principals (None: every one)."""
        if session_ids is None:
            self._entries.clear()
            return
        ended = set(session_ids)
        for key, (*_kept, principal) in list(self._entries.items()):
            if principal.session_id in ended:
                self._entries.pop(key, None)


_caches: weakref.WeakSet[PrincipalCache] = weakref.WeakSet()


def forget_principals(session_ids: Iterable[int] | None = None) -> None:
    """Drop these sessions (None: all) from every principal cache of this process."""
    ids = None if session_ids is None else list(session_ids)
    for cache in list(_caches):
        cache.forget(ids)


async def announce_sessions_ended(publish: Publisher, session_ids: list[int]) -> None:
    """Tell every server process that these sessions ended (after the commit that ended them);
    this process's principal caches forget them first."""
    if session_ids:
        forget_principals(session_ids)
        await publish([SESSIONS_CHANNEL], {"type": "sessions_ended", "session_ids": session_ids})


def hash_password(password: str) -> str:
    return the_hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return the_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def _in_thread(function: Callable[..., _T], *args: Any) -> _T:
    return await asyncio.get_running_loop().run_in_executor(_ARGON2, function, *args)


async def verify_password_async(password_hash: str, password: str) -> bool:
    """:func:`verify_password` off the event loop."""
    return await _in_thread(verify_password, password_hash, password)


async def hash_password_async(password: str) -> str:
    """:func:`hash_password` off the event loop."""
    return await _in_thread(hash_password, password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def issue_token(
    session: AsyncSession,
    *,
    operator_id: int | None = None,
    customer_id: int | None = None,
    visitor_id: str | None = None,
    ttl: timedelta,
    now: datetime | None = None,
    device: str | None = None,
) -> str:
    """Create a session and return its bearer token (only the token's hash is stored);
    ``device``: how the customer's list of devices names it."""
    kinds = [
        k
        for k, v in (("operator", operator_id), ("customer", customer_id), ("visitor", visitor_id))
        if v is not None
    ]
    if len(kinds) != 1:
        raise ValueError("a token belongs to exactly one subject")
    subject = {"operator_id": operator_id, "customer_id": customer_id, "visitor_id": visitor_id}
    token, _ = await _open_session(session, kinds[0], subject, ttl, now=now, device=device)
    return token


async def _open_session(
    session: AsyncSession,
    kind: str,
    subject: dict[str, Any],
    ttl: timedelta,
    *,
    now: datetime | None = None,
    device: str | None = None,
) -> tuple[str, Row[Any]]:
    """A new session of the ``kind`` of subject whose id ``subject`` gives. → (its bearer
    token, its row: the ``sessions`` table's columns)."""
    token, values = new_session_values(kind, subject, ttl, now=now or utcnow(), device=device)
    row = await insert_row(session, Session, values)
    return token, row


def new_session_values(
    kind: str,
    subject: dict[str, Any],
    ttl: timedelta,
    *,
    now: datetime,
    device: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """A new session's bearer token and its ``sessions`` row (only the token's hash is
    stored), for the caller to insert."""
    token = secrets.token_urlsafe(32)
    return token, {
        "token_hash": token_hash(token),
        "subject_kind": kind,
        "device": device[:120] if device else None,
        "created_at": now,
        "expires_at": now + ttl,
        **subject,
    }


# Statements of every request, built once (building one cost more CPU than running it).
_TOKEN_HASH = bindparam("token_hash", type_=Session.token_hash.type)
_ROLE_SESSION = aliased(Session)
# who a token is, in one statement: the session, its operator with the roles or its customer
# (plain columns: loading ORM objects cost more than the statement itself)
_SESSION_BY_TOKEN = (
    select(
        Session.id,
        Session.operator_id,
        Session.customer_id,
        Session.visitor_id,
        Session.expires_at,
        Session.revoked_at,
        Operator.full_name.label("operator_name"),
        Operator.is_active.label("operator_active"),
        rows_as_json(
            select(OperatorRole.role)
            .join(_ROLE_SESSION, _ROLE_SESSION.operator_id == OperatorRole.operator_id)
            .where(_ROLE_SESSION.token_hash == _TOKEN_HASH),
            [OperatorRole.role],
        ).label("roles"),
        Customer.id.label("customer_found"),
        Customer.full_name.label("customer_name"),
    )
    .select_from(Session)
    .outerjoin(Operator, Operator.id == Session.operator_id)
    .outerjoin(Customer, Customer.id == Session.customer_id)
    .where(Session.token_hash == _TOKEN_HASH)
)
_QUICK_SESSION_BY_TOKEN = QuickQuery(_SESSION_BY_TOKEN)


async def login(
    session: AsyncSession,
    login_name: str,
    password: str,
    *,
    ttl: timedelta,
    limiter: RateLimiter | None = None,
    ip: str | None = None,
    totp_code: str | None = None,
    sealer: Sealer,
) -> str:
    """Check an operator's password (and their TOTP code when they enrolled: see
    :mod:`marketdesk.services.people.totp`) and open a session. Same answer for unknown login and
    wrong password, so that logins cannot be probed; the same lockout too (``limiter``:
    failures per login and per IP, see :mod:`marketdesk.services.rate_limits`). Every
    failure is audited (``auth.login_failed``)."""
    attempt = await limiter.login_attempt(login_name, ip) if limiter is not None else None
    try:
        operator = await session.scalar(select(Operator).where(Operator.login == login_name))
        if operator is None:
            await verify_password_async(_dummy(), password)
            ok = False
        else:
            ok = operator.is_active and await verify_password_async(
                operator.password_hash, password
            )
    except BaseException:
        if attempt is not None:
            await asyncio.shield(attempt.abandon())
        raise
    if not ok or operator is None:
        locked_for = await attempt.failed() if attempt is not None else 0
        audit.record(
            session,
            None,
            "auth.login_failed",
            entity_kind="operator" if operator is not None else None,
            entity_id=operator.id if operator is not None else None,
            login=login_name[:64],
            ip=ip,
            reason="unknown_login"
            if operator is None
            else ("inactive" if not operator.is_active else "wrong_password"),
            lockout_seconds=locked_for,
        )
        await session.commit()
        raise InvalidCredentials()
    await totp.check_login(session, operator, totp_code, attempt=attempt, ip=ip, sealer=sealer)
    if attempt is not None:
        await attempt.succeeded()
    if the_hasher().check_needs_rehash(operator.password_hash):
        operator.password_hash = await hash_password_async(password)
    token = await issue_token(session, operator_id=operator.id, ttl=ttl)
    principal = Principal("operator", operator.id, operator.full_name)
    audit.record(
        session, principal, "auth.login", entity_kind="operator", entity_id=operator.id, ip=ip
    )
    await session.commit()
    return token


async def logout(
    session: AsyncSession, principal: Principal, *, publish: Publisher = no_publisher
) -> None:
    """End the caller's session; its open sockets close at once (``publish``)."""
    if principal.session_id is None:
        return
    await session.execute(
        update(Session).where(Session.id == principal.session_id).values(revoked_at=utcnow())
    )
    await session.commit()
    await announce_sessions_ended(publish, [principal.session_id])


async def valid_session_ids(session: AsyncSession, ids: Iterable[int]) -> set[int]:
    """Which of these sessions are still valid: not revoked, not expired, and their
    operator (if any) still active (the sockets of the others are ended)."""
    rows = await session.scalars(
        select(Session.id)
        .outerjoin(Operator, Operator.id == Session.operator_id)
        .where(
            Session.id.in_(list(ids)),
            Session.revoked_at.is_(None),
            Session.expires_at > utcnow(),
            or_(Session.operator_id.is_(None), Operator.is_active.is_(True)),
        )
    )
    return set(rows)


async def authenticate(
    session: AsyncSession,
    token: str,
    *,
    now: datetime | None = None,
    cache: PrincipalCache | None = None,
) -> Principal:
    """The principal behind a bearer token, or AuthenticationRequired (``cache``: remember
    it for a moment, see :class:`PrincipalCache`)."""
    now = now or utcnow()
    key = token_hash(token)
    if cache is None:
        return await _read_principal(session, key, now, None)
    if (known := cache.get(key, now)) is not None:
        return known
    reading = cache._reading.get(key)
    if reading is not None:  # another request of this token reads it: its answer
        await asyncio.wait([reading])  # (shielded: this request going away leaves it be)
        failed = reading.exception()
        if failed is None:
            return reading.result()
        if isinstance(failed, SessionExpired | AccountDisabled):
            raise type(failed)()  # its own: the same refusal
        # its read failed otherwise (the database, or it went away): read here
    future: asyncio.Future[Principal] = asyncio.get_running_loop().create_future()
    future.add_done_callback(lambda done: done.cancelled() or done.exception())
    cache._reading[key] = future
    try:
        principal = await _read_principal(session, key, now, cache)
    except Exception as error:
        future.set_exception(error)
        raise
    except BaseException:  # cancelled: those waiting read for themselves
        future.set_exception(RuntimeError("the principal's read was cancelled"))
        raise
    else:
        future.set_result(principal)
    finally:
        if cache._reading.get(key) is future:
            del cache._reading[key]
    return principal


async def _read_principal(
    session: AsyncSession, key: str, now: datetime, cache: PrincipalCache | None
) -> Principal:
    # no transaction begun for it (SQLite's file read, or PostgreSQL's before the session's
    # BEGIN): a message handed to the chat writer writes nothing in this session
    row = await read_first(session, _QUICK_SESSION_BY_TOKEN, {"token_hash": key})
    try:
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            raise SessionExpired()
        principal = _principal_of(row)
    except (SessionExpired, AccountDisabled):
        if cache is not None:  # read again before its keep ended: no one else keeps it
            cache.discard(key)
        raise
    if cache is not None:
        cache.put(key, principal, row.expires_at)
    return principal


def _principal_of(row: Any) -> Principal:
    """The principal of a session: a row of ``_SESSION_BY_TOKEN``; a visitor's may be the
    ``sessions`` row just written (no operator or customer to look at)."""
    if row.operator_id is not None:
        if not row.operator_active:  # deactivated, or gone
            raise AccountDisabled()
        roles = frozenset(str(role) for (role,) in rows_from_json(row.roles))
        return Principal("operator", row.operator_id, row.operator_name, roles, session_id=row.id)
    if row.customer_id is not None:
        if row.customer_found is None:
            raise AccountNotFound()
        return Principal("customer", row.customer_id, row.customer_name, session_id=row.id)
    if row.visitor_id is not None:
        return Principal("visitor", row.visitor_id, session_id=row.id)
    raise SessionBroken()


async def token_for_operator(session: AsyncSession, login_name: str, *, ttl: timedelta) -> str:
    operator = await session.scalar(select(Operator).where(Operator.login == login_name))
    if operator is None:
        raise OperatorLoginNotFound(login=login_name)
    token = await issue_token(session, operator_id=operator.id, ttl=ttl)
    await session.commit()
    return token


async def token_for_customer(session: AsyncSession, customer_id: int, *, ttl: timedelta) -> str:
    if await session.get(Customer, customer_id) is None:
        raise CustomerNotFound(customer_id=customer_id)
    token = await issue_token(session, customer_id=customer_id, ttl=ttl)
    await session.commit()
    return token


async def create_visitor(
    session: AsyncSession, *, ttl: timedelta, cache: PrincipalCache | None = None
) -> str:
    """A widget's anonymous visitor and its token. ``cache``: the principal goes into it at
    once — the widget's next request (its conversation) comes within the moment the cache
    keeps it, and needs no query to know who it is."""
    token, row = await add_visitor(session, ttl=ttl)
    await session.commit()
    remember_session(cache, row, session_principal(row))
    return token


async def add_visitor(
    session: AsyncSession, *, ttl: timedelta, visitor_id: str | None = None
) -> tuple[str, Row[Any]]:
    """A new anonymous visitor and its session in the caller's transaction (not committed:
    the caller commits, with what else it writes for the visitor). → (the bearer token, the
    session's row; :func:`session_principal` tells who it is). Rows only, no objects: they
    are written under the SQLite write lock, and nothing here reads them again."""
    import uuid

    visitor = await insert_row(session, Visitor, {"id": visitor_id or str(uuid.uuid4())})
    return await _open_session(session, "visitor", {"visitor_id": visitor.id}, ttl)


def session_principal(row: Row[Any]) -> Principal:
    """The visitor of a session just opened (:func:`add_visitor`)."""
    return _principal_of(row)


def remember_session(cache: PrincipalCache | None, row: Row[Any], principal: Principal) -> None:
    """A session committed just now, with its ``principal`` (:func:`session_principal`),
    into the principal cache (its first requests come at once and need no query to know
    who it is)."""
    if cache is not None:
        cache.put(row.token_hash, principal, row.expires_at)
