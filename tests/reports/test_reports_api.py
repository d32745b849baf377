"""GET /api/v1/reports/{name}: the handmade week of tests/reports/conftest.py, numbers worked
out by hand there; who may read the reports; downloads; the drill; refusals."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from marketdesk.services import reports
from marketdesk.services.principals import Principal
from marketdesk.store.models import ConversationFact
from tests.conftest import auth, run_db
from tests.errors import assert_error

from .conftest import PERIOD


@pytest.fixture
def get(client, tokens, history):
    def call(path: str, who: str = "supervisor", **params):
        response = client.get(path, params={**PERIOD, **params}, headers=auth(tokens[who]))
        assert response.status_code == 200, response.text
        return response.json()

    return call


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("customer", "Доступно только сотрудникам поддержки."),
        ("visitor", "Доступно только сотрудникам поддержки."),
        ("operator", "Для этого действия не хватает прав."),
        ("backoffice", "Для этого действия не хватает прав."),
    ],
)
def test_only_supervisors_and_admins_read_reports(client, tokens, who, message):
    for path in (
        "/api/v1/reports",
        "/api/v1/reports/overview",
        "/api/v1/reports/overview?format=csv",
        "/api/v1/reports/overview/conversations?metric=all",
    ):
        error = assert_error(client.get(path, headers=auth(tokens[who])), 403, "forbidden")
        assert error["message"] == message


def test_reports_need_a_token(client):
    assert_error(client.get("/api/v1/reports/overview"), 401, "unauthorized")


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_overview_of_the_handmade_week(get, who):
    body = get("/api/v1/reports/overview", who)
    # 5 conversations, 3 handed (A, B, E), 2 solved by the bot (C, D): 2/5
    assert body["conversations"] == 5
    assert body["handed"] == 3
    assert body["bot_containment"] == 0.4
    # B breached its first response: 2 of 3 handed within the SLA
    assert body["sla_attainment"] == 0.6667
    # ratings 5, 2, 4
    assert body["rating_average"] == 3.67
    assert body["rated"] == 3
    # first responses 120 s, 600 s, 4 500 s (E: business hours across the weekend), taken at
    # the middle of their buckets: 150, 750, 4 500; median 750, p90 750 + 0.8 * 3 750
    assert body["first_response_median_s"] == 750
    assert body["first_response_p90_s"] == 3750
    # resolutions 720, 1 800, 8 100 s: middles 750, 2 250, 9 000
    assert body["resolution_median_s"] == 2250
    assert body["resolution_p90_s"] == 7650
    assert body["rows"][0]["conversations"] == 5


def test_filters(get, history):
    assert get("/api/v1/reports/overview", line="seller")["conversations"] == 1
    assert get("/api/v1/reports/overview", channel="telegram")["conversations"] == 1
    assert get("/api/v1/reports/overview", topic="coupons")["conversations"] == 3
    mine = get("/api/v1/reports/overview", operator=history["operator"])
    assert (mine["conversations"], mine["sla_attainment"]) == (2, 0.5)


def _rows(body):
    return {row["key"]: row for row in body["rows"]}


def test_volume_by_day_and_hour(get):
    days = _rows(get("/api/v1/reports/volume_by_day"))
    assert len(days) == 7  # every day of the period, zeros included
    assert (days["2025-03-03"]["conversations"], days["2025-03-03"]["handed"]) == (2, 2)
    assert (days["2025-03-04"]["contained"], days["2025-03-05"]["conversations"]) == (2, 0)
    hours = _rows(get("/api/v1/reports/volume_by_hour"))
    assert [h for h, row in hours.items() if row["conversations"]] == [9, 10, 11, 12, 17]
    assert hours[17]["label"] == "17:00"


def test_sla_containment_ratings_operators_tasks(get, history):
    sla = _rows(get("/api/v1/reports/sla"))
    assert (sla["2025-03-03"]["breached"], sla["2025-03-03"]["sla_attainment"]) == (1, 0.5)
    assert sla["2025-03-07"]["sla_attainment"] == 1.0
    topics = _rows(get("/api/v1/reports/containment"))
    assert topics["coupons"]["handoff_rate"] == 0.6667
    assert topics["discounts"]["bot_containment"] == 1.0
    assert topics[None]["handed"] == 1
    ratings = get("/api/v1/reports/ratings")
    assert [r["count"] for r in ratings["rows"]] == [1, 1, 0, 1, 0]  # 5, 4, 3, 2, 1
    assert ratings["rating_average"] == 3.67
    assert {c["comment"] for c in ratings["comments"]} == {"Спасибо, быстро", "Долго"}
    people = _rows(get("/api/v1/reports/operators"))
    assert None not in people  # what the bot solved is nobody's work
    mine = people[history["operator"]]
    # A 600 s and B 1 200 s from the first reply to resolution; ratings 5 and 2
    assert (mine["handled"], mine["handle_average_s"], mine["rating_average"]) == (2, 900, 3.5)
    assert mine["label"] == "Иванова Мария"
    assert people[history["sellers"]]["handle_average_s"] == 3600
    tasks = _rows(get("/api/v1/reports/tasks"))
    assert tasks["Жалобы"] == {
        "key": "Жалобы",
        "label": "Жалобы",
        "created": 1,
        "closed": 1,
        "closed_late": 1,
        "overdue": 0,
    }


def test_drill_to_the_conversations_behind_a_number(get, history):
    def ids(name, metric, **params):
        body = get(f"/api/v1/reports/{name}/conversations", metric=metric, **params)
        assert body["total"] == len(body["conversations"])
        return {c["id"] for c in body["conversations"]}

    assert ids("overview", "breached") == {history["B"]}
    assert ids("volume_by_day", "contained", key="2025-03-04") == {history["C"], history["D"]}
    assert ids("volume_by_hour", "all", key="17") == {history["E"]}
    assert ids("containment", "handed", key="") == {history["E"]}
    assert ids("ratings", "rating", key="2") == {history["B"]}
    assert ids("operators", "resolved", key=str(history["operator"])) == {
        history["A"],
        history["B"],
    }
    body = get("/api/v1/reports/overview/conversations", metric="attained")
    assert body["conversations"][0]["url"] == f"/console#conversation={history['E']}"
    tasks = get("/api/v1/reports/tasks/conversations", metric="closed_late", key="Жалобы")
    assert [t["number"] for t in tasks["tasks"]] == ["CTASK-REPORTS-1"]


def test_csv_and_xlsx_hold_the_page_numbers(client, tokens, get):
    body = get("/api/v1/reports/volume_by_day")
    response = client.get(
        "/api/v1/reports/volume_by_day",
        params={**PERIOD, "format": "csv"},
        headers=auth(tokens["supervisor"]),
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Строка", "Диалогов", "Передано людям", "Решено ботом"]
    assert rows[1] == ["03.03.2025", "2", "2", "0"]
    assert len(rows) == 1 + len(body["rows"])
    response = client.get(
        "/api/v1/reports/overview",
        params={**PERIOD, "format": "xlsx"},
        headers=auth(tokens["admin"]),
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == "Диалогов" and values[2][0] == 5
    assert values[2][list(values[1]).index("Соблюдение SLA")] == 0.6667


def test_refusals(client, tokens):
    headers = auth(tokens["supervisor"])
    error = assert_error(
        client.get("/api/v1/reports/nope", headers=headers), 404, "report_not_found"
    )
    assert "overview" in error["message"] and "overview" in error["catalogue"]
    assert_error(
        client.get("/api/v1/reports/overview?from=2025-13-01", headers=headers),
        422,
        "validation_error",
    )
    assert_error(
        client.get("/api/v1/reports/overview?from=2025-03-09&to=2025-03-01", headers=headers),
        422,
        "invalid_period",
    )
    assert_error(
        client.get("/api/v1/reports/overview?from=2020-01-01&to=2025-03-01", headers=headers),
        422,
        "report_period_too_long",
    )
    assert_error(
        client.get("/api/v1/reports/overview?line=moon", headers=headers), 422, "validation_error"
    )
    assert_error(
        client.get("/api/v1/reports/overview/conversations?metric=moon", headers=headers),
        422,
        "invalid_drill",
    )
    assert_error(
        client.get(
            "/api/v1/reports/volume_by_hour/conversations?metric=all&key=25", headers=headers
        ),
        422,
        "invalid_drill",
    )
    assert_error(
        client.get("/api/v1/reports/volume_by_day/conversations?metric=all&key=x", headers=headers),
        422,
        "invalid_drill",
    )
    assert_error(
        client.get("/api/v1/reports/nope/conversations?metric=all", headers=headers),
        404,
        "report_not_found",
    )


def test_materialised_facts_give_the_same_numbers_as_live(demo_db, history):
    """The worker's facts of closed days and the live count agree (on a cleared week, then
    materialised)."""
    supervisor = Principal("operator", history["operator"], "", frozenset({"supervisor"}))
    days = [date(2025, 3, d) for d in range(3, 10)]
    wanted = reports.resolve_filter(days[0], days[-1])
    lines = frozenset({"seller"})
    names = ("overview", "volume_by_day", "volume_by_hour", "containment", "operators", "ratings")

    async def both(session):
        from sqlalchemy import delete, func, select

        from marketdesk.store.models import ReportDay

        await session.execute(delete(ConversationFact).where(ConversationFact.day.in_(days)))
        await session.execute(delete(ReportDay).where(ReportDay.day.in_(days)))
        await session.commit()
        general = reports.resolve_filter(days[0], days[-1], line="general")
        mine = reports.resolve_filter(days[0], days[-1], operator_id=history["operator"])
        cases = {
            # without filters, or one line: the stored tallies of the days
            **{(name, None): wanted for name in names},
            **{(name, "general"): general for name in names},
            # other filters: the facts of the days
            **{(name, "operator"): mine for name in names},
        }
        live = {}
        for case, period in cases.items():
            live[case] = await reports.build_report(session, supervisor, case[0], period, lines)
        written = await reports.materialise(session, refresh_days=1, lines=lines, days=days)
        facts = await session.scalar(
            select(func.count()).select_from(ConversationFact).where(ConversationFact.day.in_(days))
        )
        stored = {}
        for case, period in cases.items():
            stored[case] = await reports.build_report(session, supervisor, case[0], period, lines)
        return live, written, facts, stored

    live, written, facts, stored = run_db(demo_db, both)
    assert written == days and facts == 5
    assert live["overview", None]["conversations"] == 5
    assert live["overview", "general"]["conversations"] == 4
    assert live["overview", "general"]["first_response_median_s"] == 450  # 150 and 750
    assert live["overview", "operator"]["conversations"] == 2
    for case in live:
        assert stored[case] == live[case], case


def test_a_refresh_writes_only_what_changed(demo_db, history):
    """Counting a materialised week again writes nothing while nothing changed (no write
    statement: SQLite's write lock is not taken); a conversation rated since rewrites its
    own day only, and the stored facts are the live ones."""
    from sqlalchemy import delete, event, func, select, update

    from marketdesk.store.models import Conversation, ReportDay

    days = [date(2025, 3, d) for d in range(3, 10)]
    lines = frozenset({"seller"})

    async def work(session):
        writes: list[str] = []

        def record(_conn, _cursor, statement, *_rest):
            if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
                writes.append(statement)

        async def rate(value):
            await session.execute(
                update(Conversation).where(Conversation.id == history["D"]).values(rating=value)
            )
            await session.commit()

        await reports.materialise(session, refresh_days=1, lines=lines, days=days)
        engine = session.bind.sync_engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            again = await reports.materialise(session, refresh_days=1, lines=lines, days=days)
            quiet_writes = list(writes)
            await rate(3)
            writes.clear()
            changed = await reports.materialise(session, refresh_days=1, lines=lines, days=days)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        stored = await session.scalar(
            select(ConversationFact.rating).where(ConversationFact.conversation_id == history["D"])
        )
        await rate(None)  # as the other tests know it
        await reports.materialise(session, refresh_days=1, lines=lines, days=days)
        # the marks gone, the facts left (a run that wrote them and never committed its
        # mark): the week is written whole again, nothing lost
        await session.execute(delete(ReportDay).where(ReportDay.day.in_(days)))
        await session.commit()
        rewritten = await reports.materialise(session, refresh_days=1, lines=lines, days=days)
        facts = await session.scalar(
            select(func.count()).select_from(ConversationFact).where(ConversationFact.day.in_(days))
        )
        return again, quiet_writes, changed, stored, rewritten, facts

    again, quiet_writes, changed, stored, rewritten, facts = run_db(demo_db, work)
    assert again == [] and quiet_writes == []
    assert changed == [date(2025, 3, 4)]  # D's day, and only it
    assert stored == 3
    assert rewritten == days and facts == 5


def test_a_large_change_is_written_in_short_transactions(demo_db, history):
    """A change of more facts than a write transaction may hold goes in several, none with
    more than ``chunk_rows`` facts. A round stopped half-way leaves its days unmarked: the
    reports count them live meanwhile, and the next round writes them whole, to the same
    facts and tallies as one transaction writes."""
    from sqlalchemy import delete, event, select

    from marketdesk.services.reports.facts import materialised_days
    from marketdesk.store.models import ReportDay, ReportDayTally

    supervisor = Principal("operator", history["operator"], "", frozenset({"supervisor"}))
    days = [date(2025, 3, d) for d in range(3, 10)]
    lines = frozenset({"seller"})
    periods = {
        "all": reports.resolve_filter(days[0], days[-1]),
        "operator": reports.resolve_filter(days[0], days[-1], operator_id=history["operator"]),
    }
    names = ("overview", "volume_by_day", "operators", "ratings")

    async def work(session):
        engine = session.bind.sync_engine

        async def clear():
            await session.execute(delete(ConversationFact).where(ConversationFact.day.in_(days)))
            await session.execute(delete(ReportDay).where(ReportDay.day.in_(days)))
            await session.commit()

        async def built():
            return {
                (name, period): await reports.build_report(
                    session, supervisor, name, periods[period], lines
                )
                for name in names
                for period in periods
            }

        async def stored():
            facts = ConversationFact.__table__
            rows = (await session.execute(select(facts).where(facts.c.day.in_(days)))).mappings()
            tallies = await session.execute(
                select(ReportDayTally.day, ReportDayTally.grouping, ReportDayTally.data).where(
                    ReportDayTally.day.in_(days)
                )
            )
            return (
                sorted((dict(row) for row in rows), key=lambda r: r["conversation_id"]),
                sorted(tuple(row) for row in tallies),
            )

        await clear()
        live = await built()
        await reports.materialise(session, refresh_days=1, lines=lines, days=days)
        reference = await stored()
        await clear()

        inserts: list[int] = []

        def stop_at_the_second_chunk(_conn, _cursor, statement, params, _context, many):
            if statement.startswith("INSERT INTO conversation_facts"):
                inserts.append(len(params) if many else 1)
                if len(inserts) == 2:
                    raise RuntimeError("stopped half-way")

        event.listen(engine, "before_cursor_execute", stop_at_the_second_chunk)
        try:
            with pytest.raises(RuntimeError, match="half-way"):
                await reports.materialise(
                    session, refresh_days=1, lines=lines, days=days, chunk_rows=2
                )
        finally:
            event.remove(engine, "before_cursor_execute", stop_at_the_second_chunk)
        await session.rollback()
        marked = await materialised_days(session, days[0], days[-1])
        left = len((await stored())[0])
        meanwhile = await built()

        facts_of: list[int] = [0]

        def count_facts(_conn, _cursor, statement, params, _context, many):
            if statement.startswith("INSERT INTO conversation_facts"):
                facts_of[-1] += len(params) if many else 1

        def committed(_conn):
            facts_of.append(0)

        event.listen(engine, "before_cursor_execute", count_facts)
        event.listen(engine, "commit", committed)
        try:
            written = await reports.materialise(
                session, refresh_days=1, lines=lines, days=days, chunk_rows=2
            )
        finally:
            event.remove(engine, "before_cursor_execute", count_facts)
            event.remove(engine, "commit", committed)
        return (
            live,
            reference,
            marked,
            left,
            meanwhile,
            written,
            facts_of,
            await stored(),
            (await built()),
        )

    live, reference, marked, left, meanwhile, written, facts_of, after, rebuilt = run_db(
        demo_db, work
    )
    assert len(reference[0]) == 5 and reference[1]
    assert marked == set() and left == 2  # the first chunk committed, no day marked
    assert meanwhile == live  # counted live while unmarked: the leftovers are never read
    assert written == days
    assert max(facts_of) == 2 and sum(facts_of) == 5  # three transactions of facts
    assert len([n for n in facts_of if n]) == 3
    assert after == reference
    assert rebuilt == live


def test_a_new_conversation_counts_at_once(client, tokens):
    """Today is read live: a conversation just started is in the overview."""
    headers = auth(tokens["supervisor"])
    before = client.get("/api/v1/reports/overview", headers=headers).json()["conversations"]
    response = client.post("/api/v1/conversations", json={}, headers=auth(tokens["customer"]))
    assert response.status_code in (200, 201), response.text
    after = client.get("/api/v1/reports/overview", headers=headers).json()["conversations"]
    assert after == before + 1
    client.post(f"/api/v1/conversations/{response.json()['id']}/close", headers=headers)


def test_plotly_is_served_from_the_installed_package(client):
    response = client.get("/console/vendor/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert b"plotly" in response.content[:2000].lower()
    page = client.get("/console/reports")
    assert page.status_code == 200
    assert "/console/vendor/plotly.min.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
