"""The reports page in headless Chromium against a real ``marketdesk serve`` with the demo's
generated history: charts for the seeded days, a CSV download that holds the page's numbers,
a number that opens the conversations behind it."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import DEMO_PASSWORD
from tests.console.test_console_browser import Console, browser_page, server

__all__ = ["browser_page", "server"]  # the fixtures, shared with the console's browser tests

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "reports.png"


def open_reports(page: Any, server: Console, who: str = "supervisor") -> None:
    response = httpx.post(
        server.url + "/api/v1/auth/login", json={"login": who, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    page.goto(server.url + "/console/login")
    page.evaluate(
        "t => sessionStorage.setItem('marketdesk.console.token', t)", response.json()["token"]
    )
    page.goto(server.url + "/console/reports")
    page.wait_for_selector("body[data-ready]")


def test_supervisor_sees_charts_and_downloads_the_same_numbers(
    server: Console, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    open_reports(page, server)
    # the overview of the last 30 days counts the generated history
    conversations = page.locator("[data-kpi=conversations] .kpi-value")
    total = int(conversations.get_attribute("data-value") or "0")
    assert total > 300
    assert conversations.inner_text().strip() == str(total)
    # the volume by day as a plotly chart, one bar per day and kind
    page.wait_for_selector("#chart .main-svg")
    assert page.locator("#chart .bars .point").count() >= 30
    cells = page.locator("#report-rows td[data-col=conversations]")
    assert cells.count() == 30
    on_page = [int(v or 0) for v in cells.evaluate_all("c => c.map(x => x.dataset.value)")]
    assert sum(on_page) == total
    # the CSV holds the numbers of the page
    with page.expect_download() as download:
        page.click("#download-csv")
    path = tmp_path / "volume.csv"
    download.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0][:2] == ["Строка", "Диалогов"]
    assert [int(r[1]) for r in rows[1:]] == on_page
    # a number opens the conversations behind it
    page.locator("#report-rows td[data-col=handed] button.num").first.click()
    page.wait_for_selector("#drill-list a")
    link = page.locator("#drill-list a").first.get_attribute("href") or ""
    assert link.startswith("/console#conversation=")
    page.click("#drill-close")
    assert page.locator("#drill").is_hidden()
    # other reports draw too: response times as lines, ratings with comments
    page.click("#report-tabs button[data-report=response_times]")
    page.wait_for_selector("body[data-report=response_times] #chart .scatterlayer .trace")
    page.click("#report-tabs button[data-report=ratings]")
    page.wait_for_selector("body[data-report=ratings] #comments li")
    page.screenshot(path=str(tmp_path / "reports.png"))


def test_an_operator_is_refused(server: Console, browser_page: Any) -> None:
    page = browser_page
    open_reports(page, server, "operator")
    assert "не хватает прав" in page.locator("#reports-status").inner_text()
