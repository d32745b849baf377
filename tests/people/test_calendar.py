"""Business hours with Russia's public holidays (issue 16): a public holiday is not a working
day and a task's deadline skips it; an admin's exception (a transferred working day, an extra
day off) changes the deadlines of the tasks made after it; lines' hours reach the chat's SLA
clocks and queues' deadlines the new tasks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from marketdesk.domain import calendar as rules
from marketdesk.domain.tasks import (
    COMPLAINTS_QUEUE,
    FRAUD_QUEUE,
    MOSCOW_BUSINESS_HOURS,
    MOSCOW_TZ,
    deadline_for,
    queue_spec,
)
from marketdesk.services import tasks
from marketdesk.services.chat import sla
from marketdesk.services.people import calendar
from marketdesk.services.principals import Principal
from tests.conftest import auth, run_db
from tests.errors import assert_error

YEARS = range(2026, 2029)


def msk(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=MOSCOW_TZ)  # type: ignore[misc]


def test_public_holidays_are_not_working_days() -> None:
    hours = rules.business_hours(rules.DEFAULT_LINE_HOURS, years=YEARS, exceptions={})
    assert not hours.is_workday(date(2027, 1, 7))  # Рождество Христово (a Thursday)
    assert not hours.is_workday(date(2027, 6, 14))  # День России moved to Monday
    assert hours.is_workday(date(2027, 2, 20))  # a working Saturday (the day off moved)
    assert hours.is_workday(date(2027, 6, 15))
    assert MOSCOW_BUSINESS_HOURS.is_workday(date(2027, 6, 14))  # the plain weekday clock


def test_an_exception_overrides_the_public_calendar() -> None:
    exceptions = {
        date(2027, 6, 15): (rules.DayKind.HOLIDAY, "Корпоративный выходной"),
        date(2027, 6, 14): (rules.DayKind.WORKDAY, "Рабочий день"),
        date(2027, 6, 19): (rules.DayKind.WORKDAY, ""),  # a Saturday
    }
    hours = rules.business_hours(rules.DEFAULT_LINE_HOURS, years=YEARS, exceptions=exceptions)
    assert not hours.is_workday(date(2027, 6, 15))
    assert hours.is_workday(date(2027, 6, 14))
    assert hours.is_workday(date(2027, 6, 19))
    days = {d.day: d for d in rules.year_days(2027, exceptions)}
    assert days[date(2027, 6, 12)].title == "День России"
    assert days[date(2027, 6, 12)].source == "law"
    assert (days[date(2027, 6, 19)].kind, days[date(2027, 6, 19)].source) == (
        rules.DayKind.WORKDAY,
        "admin",
    )


def test_the_deadline_skips_a_public_holiday() -> None:
    hours = rules.business_hours(rules.DEFAULT_LINE_HOURS, years=YEARS, exceptions={})
    friday = msk(2027, 6, 11, 17, 0)  # before День России (Sat 12, moved to Mon 14)
    spec = queue_spec(FRAUD_QUEUE)  # 18 working hours
    assert deadline_for(spec, friday, MOSCOW_BUSINESS_HOURS) == msk(2027, 6, 15, 17, 0)
    assert deadline_for(spec, friday, hours) == msk(2027, 6, 16, 17, 0)


def _admin(client: Any, tokens: dict[str, str]) -> Principal:
    me = client.get("/api/v1/auth/me", headers=auth(tokens["admin"])).json()
    return Principal("operator", int(me["id"]), me["name"], frozenset(me["roles"]))


def _task_deadline(demo_db: Any, actor: Principal, queue: str, now: datetime) -> datetime:
    async def work(session: Any) -> datetime:
        task = await tasks.create_task(session, actor, queue=queue, title="Проверка срока", now=now)
        return task.deadline_at

    return run_db(demo_db, work)


def test_a_task_made_before_a_holiday_is_due_after_it(client, tokens, demo_db, clean_calendar):
    actor = _admin(client, tokens)
    deadline = _task_deadline(demo_db, actor, FRAUD_QUEUE, msk(2027, 6, 11, 17, 0))
    assert deadline == msk(2027, 6, 16, 17, 0)


def test_an_admins_exception_moves_the_next_deadline(client, tokens, demo_db, clean_calendar):
    admin = auth(tokens["admin"])
    actor = _admin(client, tokens)
    put = client.put(
        "/api/v1/calendar/2027-06-15",
        json={"kind": "holiday", "title": "Корпоративный выходной"},
        headers=admin,
    )
    assert put.status_code == 200, put.text
    assert put.json()["source"] == "admin"
    deadline = _task_deadline(demo_db, actor, FRAUD_QUEUE, msk(2027, 6, 11, 17, 0))
    assert deadline == msk(2027, 6, 17, 17, 0)  # Mon 14 and Tue 15 off
    year = client.get("/api/v1/calendar?year=2027", headers=auth(tokens["supervisor"])).json()
    day = next(d for d in year["days"] if d["date"] == "2027-06-15")
    assert (day["kind"], day["title"], day["source"]) == (
        "holiday",
        "Корпоративный выходной",
        "admin",
    )
    # removed: back to the public calendar
    assert client.delete("/api/v1/calendar/2027-06-15", headers=admin).status_code == 204
    assert _task_deadline(demo_db, actor, FRAUD_QUEUE, msk(2027, 6, 11, 17, 0)) == msk(
        2027, 6, 16, 17, 0
    )
    assert_error(
        client.delete("/api/v1/calendar/2027-06-15", headers=admin), 404, "calendar_day_not_found"
    )
    entries = client.get("/api/v1/audit?entity=calendar_day:2027-06-15", headers=admin).json()[
        "entries"
    ]
    assert {e["action"] for e in entries} == {
        "calendar.exception_set",
        "calendar.exception_removed",
    }


def test_a_queues_deadline_is_the_admins(client, tokens, demo_db, clean_calendar):
    admin = auth(tokens["admin"])
    changed = client.put(
        "/api/v1/queues/deadline",
        json={"queue": COMPLAINTS_QUEUE, "deadline_minutes": 9 * 60, "business_hours": True},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["deadline_minutes"] == 540 and changed.json()["default_minutes"] == 4320
    deadline = _task_deadline(
        demo_db, _admin(client, tokens), COMPLAINTS_QUEUE, msk(2027, 6, 11, 17, 0)
    )
    assert deadline == msk(2027, 6, 15, 17, 0)  # 1 h on Friday, 8 h on Tuesday
    listed = client.get("/api/v1/tasks/queues", headers=auth(tokens["supervisor"])).json()
    complaints = next(q for q in listed["queues"] if q["path"] == COMPLAINTS_QUEUE)
    assert (complaints["deadline_hours"], complaints["business_hours"]) == (9.0, True)
    assert_error(
        client.put(
            "/api/v1/queues/deadline",
            json={"queue": "Нет такой", "deadline_minutes": 60, "business_hours": True},
            headers=admin,
        ),
        422,
        "unknown_queue",
    )


def test_a_lines_hours_reach_its_sla_clocks(client, tokens, clean_calendar):
    admin = auth(tokens["admin"])
    changed = client.put(
        "/api/v1/lines/seller",
        json={"opens": "10:00", "closes": "19:30", "workdays": [0, 1, 2, 3, 4, 5]},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "line": "seller",
        "title": "Поддержка продавцов",
        "opens": "10:00",
        "closes": "19:30",
        "workdays": [0, 1, 2, 3, 4, 5],
    }
    seller = sla.policy("seller").calendar
    assert (seller.opens, seller.closes) == (time(10, 0), time(19, 30))
    assert 5 in seller.workdays and not seller.is_workday(date(2027, 1, 7))
    assert sla.policy("general").calendar.opens == time(9, 0)
    assert calendar.current("seller").add(msk(2027, 6, 11, 19, 0), timedelta(hours=1)) == msk(
        2027, 6, 15, 10, 30
    )  # Sat 12 is a public holiday, Sun is not worked, Mon 14 is the holiday's day off
    for body, code in (
        ({"opens": "19:00", "closes": "10:00", "workdays": [0]}, "calendar_invalid"),
        ({"opens": "9", "closes": "18:00", "workdays": [0]}, "calendar_invalid"),
        ({"opens": "09:00", "closes": "18:00", "workdays": [9]}, "calendar_invalid"),
    ):
        assert_error(client.put("/api/v1/lines/general", json=body, headers=admin), 422, code)
    assert_error(
        client.put(
            "/api/v1/lines/moon",
            json={"opens": "09:00", "closes": "18:00", "workdays": [0]},
            headers=admin,
        ),
        422,
        "invalid_line",
    )


def test_bad_calendar_input_is_refused(client, tokens):
    admin = auth(tokens["admin"])
    assert_error(
        client.put("/api/v1/calendar/2027-06-15", json={"kind": "party"}, headers=admin),
        422,
        "calendar_invalid",
    )
    assert_error(client.get("/api/v1/calendar?year=1900", headers=admin), 422, "calendar_invalid")
    assert (
        client.put(
            "/api/v1/calendar/2027-13-45", json={"kind": "holiday"}, headers=admin
        ).status_code
        == 422
    )
