"""The audit log viewer (issue 20, item 7): supervisors and admins read who did what,
filtered, paged and as CSV; nobody else can."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from tests.conftest import auth
from tests.errors import assert_error


def audit(client, token, **params):
    return client.get("/api/v1/audit", params=params, headers=auth(token))


@pytest.mark.parametrize("who", ["operator", "backoffice", "customer", "visitor"])
def test_only_supervisors_and_admins_read_the_log(client, tokens, who):
    response = audit(client, tokens[who])
    assert_error(response, 403, "forbidden")
    csv_response = audit(client, tokens[who], format="csv")
    assert csv_response.status_code == 403


def test_without_a_token_the_log_is_closed(client):
    response = client.get("/api/v1/audit")
    assert response.status_code == 401


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_who_revealed_which_contacts(client, tokens, who):
    revealed = client.post(
        "/api/v1/customers/61000002/contacts/reveal", headers=auth(tokens["operator"])
    )
    assert revealed.status_code == 200
    page = audit(
        client,
        tokens[who],
        action="customer.contacts_revealed",
        entity="customer:61000002",
        actor="operator",
    ).json()
    assert page["total"] >= 1
    entry = page["entries"][0]
    assert entry["action_title"] == "Просмотр контактов клиента"
    assert entry["actor"] == "Иванова Мария (operator)"
    assert (entry["entity_kind"], entry["entity_id"]) == ("customer", "61000002")
    assert page["actions"]["customer.contacts_revealed"] == "Просмотр контактов клиента"


def test_filters_narrow_and_pages_do_not_overlap(client, tokens):
    for customer_id in (61000002, 61000003):
        client.post(
            f"/api/v1/customers/{customer_id}/contacts/reveal", headers=auth(tokens["operator"])
        )
    everything = audit(client, tokens["supervisor"], limit=200).json()
    reveals = audit(client, tokens["supervisor"], action="customer", limit=200).json()
    assert 2 <= reveals["total"] < everything["total"]
    assert {e["action"].split(".")[0] for e in reveals["entries"]} == {"customer"}
    first = audit(client, tokens["supervisor"], action="customer", limit=1).json()
    second = audit(client, tokens["supervisor"], action="customer", limit=1, offset=1).json()
    assert first["entries"][0]["id"] != second["entries"][0]["id"]
    assert first["entries"][0]["at"] >= second["entries"][0]["at"]  # newest first

    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert audit(client, tokens["supervisor"], **{"from": tomorrow}).json()["total"] == 0
    for ends in ({"to": "9999-12-31"}, {"from": "0001-01-01"}, {"from": "0001-01-02"}):
        all_time = audit(client, tokens["supervisor"], limit=200, **ends)
        assert all_time.status_code == 200, (ends, all_time.text)
        assert all_time.json()["total"] >= everything["total"]


def test_bad_filters_get_a_clear_refusal(client, tokens):
    response = audit(client, tokens["supervisor"], **{"from": "2026-05-02", "to": "2026-05-01"})
    assert_error(response, 422, "invalid_period")
    response = audit(client, tokens["supervisor"], actor="nobody-like-this")
    assert_error(response, 422, "unknown_actor")
    assert "nobody-like-this" in response.json()["error"]["message"]


def test_the_csv_export_is_complete_and_itself_audited(client, tokens):
    client.post("/api/v1/customers/61000003/contacts/reveal", headers=auth(tokens["operator"]))
    response = audit(
        client, tokens["supervisor"], format="csv", action="customer.contacts_revealed"
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["id", "время (МСК)", "кто", "действие"]
    body = rows[1:]
    page = audit(client, tokens["supervisor"], action="customer.contacts_revealed").json()
    assert len(body) == page["total"]
    assert [body[-1][5], body[-1][3]] == ["customer:61000003", "Просмотр контактов клиента"]

    exported = audit(client, tokens["admin"], action="audit.exported").json()
    assert exported["total"] >= 1
    assert exported["entries"][0]["actor"] == "Соколова Анна (supervisor)"
    assert exported["entries"][0]["details"]["filter"] == {"action": "customer.contacts_revealed"}
