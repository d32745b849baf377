"""Abuse limits: how much one visitor, customer or IP address may create, send or try.

Built on the ``limits`` library (sliding window counters: a hit is counted and checked in one
atomic step, in memory under the event loop, in Redis with a Lua script; there, all the
limits of one request in one script of ours over the library's keys; the requests of a
process that arrive together go in one call, one round trip). A refused request counts in
none of its limits. A hundred parallel requests get no more than the limit allows. A window
is weighted with the one before it, so a limit of N a minute holds over any minute, give or
take one at the turn of a window (the counters stay two numbers per key, whatever the
traffic). With ``MARKETDESK_REDIS_URL`` the counters live
in Redis and hold across all processes; otherwise each process counts in memory.

What is limited (the settings are in :mod:`marketdesk.settings`, ``MARKETDESK_RATE_*``):

- new widget visitors per IP; new conversations, messages (REST, files and socket sends),
  description-error reports and certificate activation attempts per visitor or customer and
  per IP; login-code requests per IP (the per-phone limits of the codes are the database's,
  see :mod:`marketdesk.services.customer_login`);
- open WebSockets per visitor or customer and per IP: a count of sockets open now, not a
  rate (in Redis each socket holds a lease that its process renews, so the sockets of a
  process that died stop counting within :data:`SOCKET_LEASE` seconds);
- failed operator logins per login and per IP: after ``rate_login_failures`` failures the
  login is locked for ``rate_login_lockout_seconds``, each further failure doubling it up to
  ``rate_login_lockout_max_seconds``; a success clears the login's count. Unknown logins
  are counted and locked exactly like existing ones, so a lockout tells nothing about
  which logins exist.

Staff (operators) are not held by the abuse limits, only by the login lockout.

Every refusal is a :class:`RateLimited` (429 ``rate_limited`` with ``Retry-After``) and is
remembered, one record per limit and key with a count (the newest :data:`MAX_HITS`), for
supervisors (``GET /api/v1/rate-limits/hits``). If Redis fails, the limits fall back to this
process's memory rather than failing the request. In memory, expired counters are swept at
most every few seconds (:mod:`marketdesk.services.rate_limit_memory`), so a hit costs the same
however many visitors came.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import json
import logging
import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from pydantic import BaseModel

from .errors import LimitReached, RateLimited, TooManySockets
from .principals import Principal
from .rate_limit_memory import PacedMemoryStorage

if TYPE_CHECKING:
    from marketdesk.settings import Settings

__all__ = [
    "KINDS",
    "MAX_HITS",
    "SOCKET_LEASE",
    "LoginAttempt",
    "RateLimitHit",
    "RateLimiter",
    "SocketSlot",
    "client_ip",
    "wait_text",
]

log = logging.getLogger("marketdesk.rate_limits")

Scope = Literal["caller", "ip"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_HITS = 1000
"""Refusal records kept for supervisors (per process in memory, shared in Redis)."""
SOCKET_LEASE = 90
"""Seconds a socket's slot in Redis lives without renewal (renewed every third of it)."""
_HITS_TTL = 7 * 24 * 3600

# kind → what the customer is told («… Попробуйте через 5 мин.»)
KINDS: dict[str, str] = {
    "visitors": "Слишком много новых посетителей с вашего адреса.",
    "conversations": "Слишком много новых диалогов.",
    "messages": "Слишком много сообщений подряд.",
    "tasks": "Слишком много заявок подряд.",
    "certificates": "Слишком много попыток активации сертификата.",
    "codes": "Слишком много запросов кода.",
}
_LOGIN_TEXT = "Слишком много неудачных попыток входа."

# kind, scope → the setting with its "N/period;…" items
_RULE_SETTINGS: dict[tuple[str, Scope], str] = {
    ("visitors", "ip"): "rate_visitors_per_ip",
    ("conversations", "caller"): "rate_conversations",
    ("conversations", "ip"): "rate_conversations_per_ip",
    ("messages", "caller"): "rate_messages",
    ("messages", "ip"): "rate_messages_per_ip",
    ("tasks", "caller"): "rate_tasks",
    ("certificates", "caller"): "rate_certificates",
    ("certificates", "ip"): "rate_certificates_per_ip",
    ("codes", "ip"): "rate_codes_per_ip",
}

# the sliding window counters of several limits (two keys each: the previous window's and
# the current one's, as limits' own script keeps them), checked and then counted together,
# for each of several requests in turn (the requests of one process that arrived while its
# last call was on its way): ARGV is the number of requests, then for each its number of
# limits and their (limit, seconds) pairs; KEYS its limits' key pairs, request after request.
# → for each request 0, or the 1-based number of its first limit that refuses (then nothing
# of that request is counted). A window whose time is up becomes the previous one first, as
# in limits' script.
_ACQUIRE_ALL = """
local results = {}
local k, a = 0, 2
for r = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a])
  a = a + 1
  local refused = 0
  for i = 1, n do
    local previous, current = KEYS[k + 2 * i - 1], KEYS[k + 2 * i]
    local limit = tonumber(ARGV[a + 2 * i - 2])
    local expiry = tonumber(ARGV[a + 2 * i - 1]) * 1000
    local ttl = tonumber(redis.call('pttl', current))
    if ttl > 0 and ttl < expiry then
      redis.call('rename', current, previous)
      redis.call('set', current, 0, 'PX', ttl + expiry)
    end
    local previous_count = tonumber(redis.call('get', previous)) or 0
    local previous_ttl = math.max(tonumber(redis.call('pttl', previous)) or 0, 0)
    local current_count = tonumber(redis.call('get', current)) or 0
    if math.floor(previous_count * previous_ttl / expiry) + current_count + 1 > limit then
      refused = i
      break
    end
  end
  if refused == 0 then
    for i = 1, n do
      local current = KEYS[k + 2 * i]
      if redis.call('exists', current) == 1 then
        redis.call('incrby', current, 1)
      else
        redis.call('set', current, 1, 'PX', tonumber(ARGV[a + 2 * i - 1]) * 2000)
      end
    end
  end
  results[r] = refused
  k = k + 2 * n
  a = a + 2 * n
end
return results
"""
# renews the leases of one process's sockets; drops the expired ones of dead processes
_ACQUIRE_SOCKET = """
redis.call('zremrangebyscore', KEYS[1], '-inf', ARGV[1])
if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('zadd', KEYS[1], ARGV[2], ARGV[4])
redis.call('expire', KEYS[1], ARGV[5])
return 1
"""
_RECORD_HIT = """
redis.call('zadd', KEYS[1], ARGV[2], ARGV[1])
redis.call('hincrby', KEYS[2], ARGV[1], 1)
redis.call('hsetnx', KEYS[3], ARGV[1], ARGV[2])
local keep = tonumber(ARGV[3])
local n = redis.call('zcard', KEYS[1])
if n > keep then
  local old = redis.call('zrange', KEYS[1], 0, n - keep - 1)
  for _, member in ipairs(old) do
    redis.call('hdel', KEYS[2], member)
    redis.call('hdel', KEYS[3], member)
  end
  redis.call('zremrangebyrank', KEYS[1], 0, n - keep - 1)
end
for i = 1, 3 do redis.call('expire', KEYS[i], ARGV[4]) end
return n
"""


def client_ip(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network] = ()) -> str:
    """The client's address: the socket peer, unless the peer is a trusted proxy; then the
    nearest address in ``X-Forwarded-For`` (read from the right) that is not a trusted proxy
    itself. A forged header from an untrusted peer is ignored."""
    address = peer or "unknown"
    if not trusted or not forwarded_for or not _is_trusted(address, trusted):
        return address
    for part in reversed(forwarded_for.split(",")):
        candidate = part.strip()
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            break  # a malformed entry: what lies beyond it cannot be believed
        address = candidate
        if not _is_trusted(candidate, trusted):
            break
    return address


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def wait_text(seconds: int) -> str:
    """«45 с», «3 мин», «2 ч» (abbreviations need no plural forms)."""
    if seconds < 60:
        return f"{max(1, seconds)} с"
    if seconds < 3600:
        return f"{math.ceil(seconds / 60)} мин"
    return f"{math.ceil(seconds / 3600)} ч"


def _refusal(text: str, retry_after: int) -> RateLimited:
    return LimitReached(limit=text, wait=wait_text(retry_after), retry_after=retry_after)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _caller_key(principal: Principal) -> str:
    return f"{principal.kind}:{principal.id}"


class RateLimitHit(BaseModel):
    """Who ran into which limit: one record per limit and key."""

    kind: str
    scope: str
    key: str
    count: int
    first_at: datetime
    last_at: datetime


@dataclass(slots=True)
class SocketSlot:
    """An open socket's place in the counts; :meth:`release` when it closes."""

    limiter: RateLimiter
    keys: list[str]
    member: str
    released: bool = False

    async def release(self) -> None:
        if not self.released:
            self.released = True
            await self.limiter._release_socket(self)


@dataclass(slots=True)
class LoginAttempt:
    """One operator login attempt, counted before the password is checked (so that parallel
    guesses cannot slip past the count): :meth:`succeeded` or :meth:`failed` after it."""

    limiter: RateLimiter
    login_key: str
    ip_key: str | None

    def counters(self) -> list[tuple[str, int]]:
        found = [(self.login_key, self.limiter.login_failures)]
        if self.ip_key is not None:
            found.append((self.ip_key, self.limiter.login_failures_per_ip))
        return found

    async def succeeded(self) -> None:
        await self.limiter._login_succeeded(self)

    async def failed(self) -> int:
        """Count the failure; the lockout it starts, in seconds (0: none)."""
        return await self.limiter._login_failed(self)

    async def abandon(self) -> None:
        """Neither: the check did not finish (an error); its place is freed."""
        for key, _ in self.counters():
            await self.limiter._done(key)


class _Acquirer:
    """One process's calls of :data:`_ACQUIRE_ALL`: the requests that arrive while a call is
    on its way go together in the next (one round trip, one command for Redis to run and
    for redis-py to pack and parse, instead of one per request). Each request's limits are
    still checked and counted all or none, in the order the requests came."""

    def __init__(self, script: Any) -> None:
        self._script = script  # redis-py's Script: untyped
        self._waiting: list[tuple[list[str], list[int], asyncio.Future[int]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def __call__(self, keys: list[str], args: list[int]) -> int:
        """0, or the 1-based number of the limit of ``keys`` that refused; raises what the
        call raised (Redis away: the caller counts in memory instead)."""
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append((keys, args, done))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send(), name="marketdesk-rate-limits")
        return await done

    async def _send(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            keys: list[str] = []
            args: list[int] = [len(batch)]
            for own_keys, own_args, _ in batch:
                keys += own_keys
                args.append(len(own_args) // 2)
                args += own_args
            try:
                results = [int(result) for result in await self._script(keys=keys, args=args)]
                if len(results) != len(batch):  # a storage failure: memory counts instead
                    raise OSError(f"Redis gave {len(results)} answers to {len(batch)} requests")
            except asyncio.CancelledError:  # the limiter is closing
                for _, _, done in batch + self._waiting:
                    done.cancel()
                raise
            except Exception as error:  # each request decides (memory, or its error)
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            for (_, _, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)

    async def aclose(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender


@dataclass
class RateLimiter:
    """The limits of one server process, on Redis (``redis_url``) or in memory."""

    rules: dict[tuple[str, Scope], tuple[RateLimitItem, ...]]
    sockets_per_caller: int = 10
    sockets_per_ip: int = 100
    login_failures: int = 5
    login_failures_per_ip: int = 20
    lockout_seconds: int = 60
    lockout_max_seconds: int = 3600
    trusted: tuple[Network, ...] = ()
    redis_url: str | None = None
    prefix: str = "marketdesk:limits"
    enabled: bool = True
    _memory: SlidingWindowCounterRateLimiter = field(init=False)
    _memory_counters: PacedMemoryStorage = field(init=False)
    _shared: SlidingWindowCounterRateLimiter | None = field(init=False, default=None)
    _redis: Any = field(init=False, default=None)
    _acquire_all: _Acquirer | None = field(init=False, default=None)
    _sockets: dict[str, int] = field(init=False, default_factory=dict)
    _held: dict[str, set[str]] = field(init=False, default_factory=dict)
    _renewer: asyncio.Task[None] | None = field(init=False, default=None)
    _hits: OrderedDict[tuple[str, str, str], list[Any]] = field(
        init=False, default_factory=OrderedDict
    )
    _warned_at: float = field(init=False, default=0.0)
    _logged: dict[tuple[str, str, str], float] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._memory_counters = PacedMemoryStorage()
        self._memory = SlidingWindowCounterRateLimiter(self._memory_counters)
        if self.redis_url:
            import redis.asyncio as aioredis

            uri = "async+" + self.redis_url
            storage = RedisStorage(uri, implementation="redispy", key_prefix=self.prefix)
            self._shared = SlidingWindowCounterRateLimiter(storage)
            self._redis = aioredis.Redis.from_url(self.redis_url)
            self._acquire_all = _Acquirer(self._redis.register_script(_ACQUIRE_ALL))

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        scale = settings.rate_limit_scale

        def scaled(count: int) -> int:
            return max(1, math.ceil(count * scale))

        rules: dict[tuple[str, Scope], tuple[RateLimitItem, ...]] = {}
        for key, name in _RULE_SETTINGS.items():
            items = parse_many(getattr(settings, name))
            rules[key] = tuple(
                type(item)(scaled(item.amount), item.multiples, item.namespace) for item in items
            )
        return cls(
            rules=rules,
            sockets_per_caller=scaled(settings.rate_sockets),
            sockets_per_ip=scaled(settings.rate_sockets_per_ip),
            login_failures=scaled(settings.rate_login_failures),
            login_failures_per_ip=scaled(settings.rate_login_failures_per_ip),
            lockout_seconds=settings.rate_login_lockout_seconds,
            lockout_max_seconds=max(
                settings.rate_login_lockout_max_seconds, settings.rate_login_lockout_seconds
            ),
            trusted=settings.trusted_networks,
            redis_url=settings.redis_url,
            prefix=settings.rate_limit_prefix,
            enabled=settings.rate_limits_enabled,
        )

    async def aclose(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        if self._acquire_all is not None:
            await self._acquire_all.aclose()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
            with contextlib.suppress(Exception):
                assert self._shared is not None
                storage: Any = self._shared.storage  # the library's Redis bridge is untyped
                await storage.bridge.get_connection().aclose()

    def client_ip(self, peer: str | None, forwarded_for: str | None) -> str:
        return client_ip(peer, forwarded_for, self.trusted)

    def items(self, kind: str, scope: Scope) -> tuple[RateLimitItem, ...]:
        return self.rules.get((kind, scope), ())

    # ------------------------------------------------------------------ storage
    def _degraded(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at > 60:
            self._warned_at = now
            log.warning("rate limits: Redis failed (%s), counting in memory for now", error)

    async def _strategy_call(self, method: str, *args: Any) -> Any:
        if self._shared is not None:
            try:
                return await getattr(self._shared, method)(*args)
            except Exception as error:
                if not _storage_failed(error):
                    raise
                self._degraded(error)
        return await getattr(self._memory, method)(*args)

    async def _storage_call(self, method: str, *args: Any) -> Any:
        if self._shared is not None:
            try:
                return await getattr(self._shared.storage, method)(*args)
            except Exception as error:
                if not _storage_failed(error):
                    raise
                self._degraded(error)
        return await getattr(self._memory.storage, method)(*args)

    # ------------------------------------------------------------------ rates
    async def check(
        self,
        kinds: str | Sequence[str],
        *,
        principal: Principal | None = None,
        ip: str | None = None,
    ) -> None:
        """Count one action of each of ``kinds`` (a request that opens a conversation with
        its first message is a conversation and a message) of the caller and of the IP, or
        refuse the request (:class:`RateLimited`). Staff are not limited.

        All the limits of a request are counted, or none: a refused request counts in none
        of them. In Redis they are checked and counted in one step (one script, one round
        trip); in memory one after another, and those before a refusal are taken back."""
        if not self.enabled or (principal is not None and principal.is_operator):
            return
        wanted: list[tuple[RateLimitItem, str, Scope, str]] = []
        for kind in (kinds,) if isinstance(kinds, str) else kinds:
            if principal is not None:
                key = _caller_key(principal)
                wanted += [(item, kind, "caller", key) for item in self.items(kind, "caller")]
            if ip:
                wanted += [(item, kind, "ip", ip) for item in self.items(kind, "ip")]
        if not wanted:
            return
        refused = await self._hit_all(wanted)
        if refused is not None:
            item, kind, scope, key = refused
            raise await self._refuse(kind, scope, key, item)

    async def _hit_all(
        self, wanted: list[tuple[RateLimitItem, str, Scope, str]]
    ) -> tuple[RateLimitItem, str, Scope, str] | None:
        """Count one hit in each limit: None, or the limit that refused."""
        if self._acquire_all is not None:
            keys: list[str] = []
            args: list[int] = []
            for item, kind, scope, key in wanted:
                # the layout of limits' Redis storage (``{<key>}`` and ``{<key>}/-1``), so
                # that its window statistics (the refusal's Retry-After) read these counts
                current = f"{self.prefix}:{{{item.key_for(kind, scope, key)}}}"
                keys += [f"{current}/-1", current]
                args += [item.amount, item.get_expiry()]
            try:
                refused = await self._acquire_all(keys, args)
            except Exception as error:
                if not _storage_failed(error):
                    raise
                self._degraded(error)
            else:
                return wanted[refused - 1] if refused else None
        counted: list[tuple[RateLimitItem, str, Scope, str]] = []
        for entry in wanted:
            if not await self._memory.hit(*entry):
                await self._uncount(counted)
                return entry
            counted.append(entry)
        return None

    async def _uncount(self, counted: list[tuple[RateLimitItem, str, Scope, str]]) -> None:
        """Take back the hits of a refused request from the memory's counters (the library
        takes back a hit of its own the same way when a parallel one won the race)."""
        storage = self._memory_counters
        now = time.time()
        for item, kind, scope, key in counted:
            _, current = storage.sliding_window_keys(
                item.key_for(kind, scope, key), item.get_expiry(), now
            )
            await storage.decr(current, 1)

    async def remaining(self, kind: str, scope: Scope, key: str) -> list[int]:
        """What is left of each limit of ``kind`` for ``key`` (``visitor:<id>``,
        ``customer:<id>`` or an IP address), as the library's window statistics read it."""
        found = []
        for item in self.items(kind, scope):
            stats = await self._strategy_call("get_window_stats", item, kind, scope, key)
            found.append(int(stats.remaining))
        return found

    async def _refuse(self, kind: str, scope: str, key: str, item: RateLimitItem) -> RateLimited:
        stats = await self._strategy_call("get_window_stats", item, kind, scope, key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        await self.record_hit(kind, scope, key)
        return _refusal(KINDS.get(kind, "Слишком много запросов."), retry_after)

    # ------------------------------------------------------------------ refusals seen
    async def record_hit(self, kind: str, scope: str, key: str) -> None:
        now = time.time()
        if now - self._logged.get((kind, scope, key), 0.0) >= 60:  # once a minute per key
            if len(self._logged) >= MAX_HITS:
                self._logged.clear()
            self._logged[(kind, scope, key)] = now
            log.warning("rate limit %s hit by %s %s", kind, scope, key)
        if self._redis is not None:
            try:
                await self._redis.eval(
                    _RECORD_HIT,
                    3,
                    f"{self.prefix}:hits:last",
                    f"{self.prefix}:hits:count",
                    f"{self.prefix}:hits:first",
                    json.dumps([kind, scope, key]),
                    now,
                    MAX_HITS,
                    _HITS_TTL,
                )
                return
            except Exception as error:
                if not _storage_failed(error):
                    raise
                self._degraded(error)
        record = self._hits.pop((kind, scope, key), None) or [0, now, now]
        record[0] += 1
        record[2] = now
        self._hits[(kind, scope, key)] = record
        while len(self._hits) > MAX_HITS:
            self._hits.popitem(last=False)

    async def hits(self, limit: int = 100) -> list[RateLimitHit]:
        """The latest refusals, most recent first."""
        rows: list[tuple[str, str, str, int, float, float]] = []
        if self._redis is not None:
            try:
                last = await self._redis.zrevrange(
                    f"{self.prefix}:hits:last", 0, limit - 1, withscores=True
                )
                members = [member for member, _ in last]
                counts = (
                    await self._redis.hmget(f"{self.prefix}:hits:count", members) if members else []
                )
                firsts = (
                    await self._redis.hmget(f"{self.prefix}:hits:first", members) if members else []
                )
                for (member, at), count, first in zip(last, counts, firsts, strict=True):
                    kind, scope, key = json.loads(member)
                    rows.append((kind, scope, key, int(count or 1), float(first or at), at))
            except Exception as error:
                if not _storage_failed(error):
                    raise
                self._degraded(error)
        if not rows:
            for (kind, scope, key), (count, first, at) in reversed(self._hits.items()):
                rows.append((kind, scope, key, count, first, at))
                if len(rows) >= limit:
                    break
        return [
            RateLimitHit(
                kind=kind,
                scope=scope,
                key=key,
                count=count,
                first_at=datetime.fromtimestamp(first, UTC),
                last_at=datetime.fromtimestamp(at, UTC),
            )
            for kind, scope, key, count, first, at in rows
        ]

    # ------------------------------------------------------------------ open sockets
    async def open_socket(self, principal: Principal, ip: str | None) -> SocketSlot | None:
        """Take a place for a socket of a visitor or customer (None for staff, or with the
        limits off); :class:`RateLimited` when the caller or the IP has too many open."""
        if not self.enabled or principal.is_operator:
            return None
        member = uuid.uuid4().hex
        wanted = [(f"sockets:caller:{_caller_key(principal)}", self.sockets_per_caller, "caller")]
        if ip:
            wanted.append((f"sockets:ip:{ip}", self.sockets_per_ip, "ip"))
        slot = SocketSlot(self, [], member)
        for key, limit, scope in wanted:
            if not await self._acquire_socket(key, limit, member):
                await self._release_socket(slot)
                slot.released = True
                await self.record_hit("sockets", scope, key.split(":", 2)[2])
                raise TooManySockets()
            slot.keys.append(key)
        return slot

    async def _acquire_socket(self, key: str, limit: int, member: str) -> bool:
        if self._redis is not None:
            try:
                now = time.time()
                acquired = await self._redis.eval(
                    _ACQUIRE_SOCKET,
                    1,
                    f"{self.prefix}:{key}",
                    now,
                    now + SOCKET_LEASE,
                    limit,
                    member,
                    SOCKET_LEASE * 2,
                )
                if acquired:
                    self._held.setdefault(key, set()).add(member)
                    self._start_renewer()
                return bool(acquired)
            except Exception as error:
                if not _storage_failed(error):
                    raise
                self._degraded(error)
                return True  # a socket is not refused because Redis is away
        if self._sockets.get(key, 0) >= limit:
            return False
        self._sockets[key] = self._sockets.get(key, 0) + 1
        return True

    async def _release_socket(self, slot: SocketSlot) -> None:
        for key in slot.keys:
            held = self._held.get(key)
            if held is not None and slot.member in held:
                held.discard(slot.member)
                if not held:
                    del self._held[key]
                with contextlib.suppress(Exception):
                    await self._redis.zrem(f"{self.prefix}:{key}", slot.member)
            elif key in self._sockets:
                self._sockets[key] -= 1
                if self._sockets[key] <= 0:
                    del self._sockets[key]
        slot.keys.clear()

    def _start_renewer(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.create_task(self._renew_leases())

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(SOCKET_LEASE / 3)
            until = time.time() + SOCKET_LEASE
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for key, members in list(self._held.items()):
                        pipe.zadd(f"{self.prefix}:{key}", dict.fromkeys(members, until), xx=True)
                        pipe.expire(f"{self.prefix}:{key}", SOCKET_LEASE * 2)
                    await pipe.execute()
            except Exception as error:  # the next round tries again
                self._degraded(error)

    # ------------------------------------------------------------------ operator logins
    async def login_attempt(self, login: str, ip: str | None) -> LoginAttempt | None:
        """Admit an operator login attempt before its password is checked, or refuse it
        (:class:`RateLimited`): while the login (any login, existing or not) or the IP is
        locked out, and when it would take more password checks at once than the failures
        left before a lockout (near a lockout, one at a time)."""
        if not self.enabled:
            return None
        attempt = LoginAttempt(
            self, "login:" + _digest(login.strip().casefold()), f"login-ip:{ip}" if ip else None
        )
        admitted: list[str] = []
        try:
            for key, threshold in attempt.counters():
                if await self._storage_call("get", key + ":lock") > 0:
                    expires = await self._storage_call("get_expiry", key + ":lock")
                    raise await self._login_refusal(key, math.ceil(expires - time.time()))
                pending = await self._storage_call("incr", key + ":pending", _PENDING_TTL)
                admitted.append(key)
                failures = await self._storage_call("get", key + ":failures")
                if pending > 1 and failures + pending > threshold:
                    raise await self._login_refusal(key, self.lockout_seconds)
        except RateLimited:
            for key in admitted:
                await self._done(key)
            raise
        return attempt

    async def _login_refusal(self, key: str, seconds: int) -> RateLimited:
        await self.record_hit(
            "login", "ip" if key.startswith("login-ip:") else "login", _shown(key)
        )
        return _refusal(_LOGIN_TEXT, max(1, seconds))

    async def _done(self, key: str) -> None:
        await self._storage_call("incr", key + ":pending", _PENDING_TTL, -1)

    async def _login_succeeded(self, attempt: LoginAttempt) -> None:
        # the login's failures are forgiven; the IP's are not (else one account of one's own
        # would wipe the count of guesses at the others)
        await self._storage_call("clear", attempt.login_key + ":failures")
        for key, _ in attempt.counters():
            await self._done(key)

    async def _login_failed(self, attempt: LoginAttempt) -> int:
        locked = 0
        for key, threshold in attempt.counters():
            ttl = _LOGIN_FAILURES_TTL if key == attempt.login_key else _IP_FAILURES_TTL
            # counted before the attempt leaves «pending»: failures + pending never undercounts
            failures = await self._storage_call("incr", key + ":failures", ttl)
            await self._done(key)
            if failures >= threshold:
                seconds = min(
                    self.lockout_seconds * 2 ** min(failures - threshold, 30),
                    self.lockout_max_seconds,
                )
                await self._storage_call("clear", key + ":lock")
                await self._storage_call("incr", key + ":lock", seconds)
                locked = max(locked, seconds)
        return locked


_PENDING_TTL = 120  # an attempt's place while its password is checked (a crash frees it)
_LOGIN_FAILURES_TTL = 24 * 3600
_IP_FAILURES_TTL = 3600


def _storage_failed(error: Exception) -> bool:
    """Redis away or failing (its client's errors, or the network's)."""
    return isinstance(error, OSError) or type(error).__module__.startswith("redis")


def _shown(key: str) -> str:
    """What supervisors see of a login key: the IP, or the login's digest."""
    return key.split(":", 1)[1]
