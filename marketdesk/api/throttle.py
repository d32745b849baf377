"""The abuse limits at the routes: dependencies that count a request of the caller and of
its IP address (:mod:`marketdesk.services.rate_limits`), the client's address behind
trusted proxies, and what supervisors see of the refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.requests import HTTPConnection

from marketdesk.domain.roles import Role
from marketdesk.services import rate_limits
from marketdesk.services.principals import Principal
from marketdesk.services.rate_limits import RateLimiter

from .deps import CurrentOperator, CurrentPrincipal

__all__ = ["client_ip", "count_caller", "get_limiter", "per_caller", "per_ip", "router"]

router = APIRouter(tags=["rate limits"])


def client_ip(connection: HTTPConnection) -> str:
    """The client's address (``X-Forwarded-For`` only from ``MARKETDESK_TRUSTED_PROXIES``)."""
    settings = connection.app.state.settings
    peer = connection.client.host if connection.client else None
    return rate_limits.client_ip(
        peer, connection.headers.get("x-forwarded-for"), settings.trusted_networks
    )


def get_limiter(connection: HTTPConnection) -> RateLimiter | None:
    limiter: RateLimiter | None = getattr(connection.app.state, "rate_limiter", None)
    return limiter


def per_ip(kind: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency: one ``kind`` action of the client's IP (routes without a caller)."""

    async def dependency(request: Request) -> None:
        limiter = get_limiter(request)
        if limiter is not None:
            await limiter.check(kind, ip=client_ip(request))

    return dependency


async def count_caller(request: Request, kind: str | Sequence[str], principal: Principal) -> None:
    """One action of each ``kind`` of the caller and of its IP (staff are not held); 429
    past a limit."""
    limiter = get_limiter(request)
    if limiter is not None:
        await limiter.check(kind, principal=principal, ip=client_ip(request))


def per_caller(kind: str) -> Callable[..., Awaitable[None]]:
    """A dependency: :func:`count_caller` for every request of the route."""

    async def dependency(request: Request, principal: CurrentPrincipal) -> None:
        await count_caller(request, kind, principal)

    return dependency


@router.get("/api/v1/rate-limits/hits")
async def hits(
    request: Request,
    principal: CurrentOperator,
    limit: int = Query(100, ge=1, le=rate_limits.MAX_HITS),
) -> dict[str, Any]:
    """Who ran into which limit, most recent first: supervisors and admins. ``key`` is the
    visitor or customer (``visitor:<id>``, ``customer:<id>``), the IP address, or for
    operator logins a digest of the login."""
    principal.require_operator(Role.SUPERVISOR)
    limiter = get_limiter(request)
    found = await limiter.hits(limit) if limiter is not None else []
    return {"hits": [hit.model_dump(mode="json") for hit in found]}
