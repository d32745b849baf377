"""``GET /api/v1/board`` (issue 15, the wallboard): supervisors and admins only; the figures
move with the chat (a new conversation, a handoff, a take)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import auth
from tests.errors import assert_error

BOARD = "/api/v1/board"


def board(client: Any, token: str) -> dict[str, Any]:
    response = client.get(BOARD, headers=auth(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("who", ["operator", "backoffice", "customer", "visitor"])
def test_only_supervisors_and_admins_see_the_board(client, tokens, who):
    assert_error(client.get(BOARD, headers=auth(tokens[who])), 403, "forbidden")


def test_without_a_token_the_board_is_closed(client):
    assert_error(client.get(BOARD), 401, "unauthorized")


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_the_board_has_every_figure(client, tokens, who):
    snap = board(client, tokens[who])
    assert {
        "at",
        "lines",
        "waiting",
        "active",
        "bot",
        "longest_wait_s",
        "operators",
        "sla",
        "containment",
        "tasks",
        "reviews_open",
    } <= set(snap)
    assert {row["line"] for row in snap["lines"]} >= {"general", "travel_priority", "seller"}
    assert {"online", "at_capacity", "chats", "capacity"} == set(snap["operators"])
    assert {t["title"] for t in snap["tasks"]} >= {"Жалобы клиентов", "Обращения на контроле"}


def test_the_board_follows_a_conversation(client, tokens):
    supervisor = tokens["supervisor"]
    visitor = client.post("/api/v1/visitors").json()["token"]
    before = board(client, supervisor)

    cid = client.post("/api/v1/conversations", json={}, headers=auth(visitor)).json()["id"]
    started = board(client, supervisor)
    assert started["bot"] == before["bot"] + 1
    assert started["containment"]["created"] == before["containment"]["created"] + 1
    assert started["containment"]["contained"] == before["containment"]["contained"] + 1

    handoff = client.post(f"/api/v1/conversations/{cid}/handoff", headers=auth(visitor))
    assert handoff.status_code == 200
    waiting = board(client, supervisor)
    assert (waiting["bot"], waiting["waiting"]) == (before["bot"], before["waiting"] + 1)
    assert waiting["longest_wait_s"] is not None
    assert waiting["containment"]["contained"] == before["containment"]["contained"]
    general = next(r for r in waiting["lines"] if (r["line"], r["channel"]) == ("general", "web"))
    assert general["waiting"] >= 1

    taken = client.post(f"/api/v1/conversations/{cid}/take", headers=auth(supervisor))
    assert taken.status_code == 200, taken.text
    active = board(client, supervisor)
    assert (active["waiting"], active["active"]) == (before["waiting"], before["active"] + 1)
    client.post(f"/api/v1/conversations/{cid}/close", headers=auth(supervisor))
    assert board(client, supervisor)["active"] == before["active"]
