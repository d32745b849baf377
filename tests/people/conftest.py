"""People and structure: the shared demo app (``client``, ``tokens``) and helpers that make
staff accounts of the test's own through the admins' API."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from marketdesk.services.people import calendar
from tests.conftest import auth, run_db

PASSWORD = "a-long-password-1"


@pytest.fixture
def new_staff(client: Any, tokens: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Create an account through ``POST /api/v1/operators`` as admin → its view (+ login)."""

    def make(roles: tuple[str, ...] = ("operator",), lines: tuple[str, ...] = ("general",)):
        login = f"p16-{uuid.uuid4().hex[:10]}"
        response = client.post(
            "/api/v1/operators",
            json={
                "login": login,
                "name": "Тестовый Сотрудник",
                "password": PASSWORD,
                "roles": list(roles),
                "lines": list(lines),
                "capacity": 2,
            },
            headers=auth(tokens["admin"]),
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    return make


def login(client: Any, name: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/api/v1/auth/login", json={"login": name, "password": password, **extra})


@pytest.fixture
def clean_calendar(demo_db: Any) -> Iterator[None]:
    """The calendar's exceptions, lines' hours and queues' deadlines a test sets are removed
    after it, and the process's copy read again (other tests count the defaults)."""
    yield

    async def work(session: Any) -> None:
        from sqlalchemy import delete

        from marketdesk.store.models import CalendarException, LineSchedule, QueueSetting

        for model in (CalendarException, LineSchedule, QueueSetting):
            await session.execute(delete(model))
        await session.commit()
        await calendar.refresh(session)

    run_db(demo_db, work)
