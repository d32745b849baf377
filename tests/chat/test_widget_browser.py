"""The widget in headless Chromium against a real server: the bot answers, an operator takes
over, the page reconnects by itself after a server crash, files, rating — and no message,
from either side, ever runs as HTML."""

from __future__ import annotations

import re
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.chat.servers import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAYLOADS = (
    '<img src=x onerror="window.__xss = 1">',
    "<script>window.__xss = 2</script>",
    '"><svg onload="window.__xss = 3">',
)


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"\x00\xff\x00\x00"  # one red pixel
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("no Chromium at /usr/bin/chromium")
    url = f"sqlite:///{tmp_path / 'widget.db'}"
    running = Server(tmp_path, url, log_name="widget").start()
    yield running
    running.stop()


@pytest.fixture
def page(server: Server) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.url + "/")
            yield page
            assert errors == []
        finally:
            browser.close()


def _operator(server: Server) -> tuple[str, int]:
    token = server.login("operator")
    me = server.get("/api/v1/auth/me", token).json()
    response = httpx.put(
        server.url + "/api/v1/operator/availability",
        json={"available": True},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    return token, int(me["id"])


def _conversation_id(page: Any) -> int:
    state = page.evaluate("JSON.parse(localStorage.getItem('marketdesk.widget'))")
    return int(state["conversationId"])


def test_widget_bot_operator_reconnect_files_rating_and_no_script_runs(
    server: Server, page: Any
) -> None:
    from playwright.sync_api import expect

    messages = page.locator("#messages")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    # a quick topic: the bot answers from the knowledge base
    page.get_by_role("button", name="Как активировать подарочный сертификат?").click()
    expect(messages.locator(".msg--bot")).to_have_count(1, timeout=15000)
    cid = _conversation_id(page)
    # the first question made the visitor and opened its conversation: one request, no
    # separate send
    paths = [url.split("/api/v1/", 1)[-1] for url in posts]
    assert paths == ["visitors"], posts
    expect(messages.locator(".msg--mine:not(.msg--pending)")).to_have_count(1)

    # «Позвать оператора»: the available operator gets the chat
    operator, _ = _operator(server)
    page.get_by_role("button", name="Позвать оператора").click()
    expect(page.locator("#status")).to_contain_text("Оператор в чате", timeout=15000)
    expect(page.get_by_role("button", name="Позвать оператора")).to_be_hidden()

    # hostile text from the customer is shown as text and never runs
    for payload in PAYLOADS:
        page.fill("#text", payload)
        page.click("#send")
    expect(messages.locator(".msg--mine:not(.msg--pending)")).to_have_count(4, timeout=15000)
    shown = messages.locator(".msg--mine .msg__text").all_text_contents()
    assert shown[1:] == list(PAYLOADS)
    assert messages.locator("img[src='x'], script, svg").count() == 0
    assert page.evaluate("window.__xss") is None

    # hostile text from the operator's side is text as well
    for n, payload in enumerate(PAYLOADS):
        response = server.post(
            f"/api/v1/conversations/{cid}/messages",
            operator,
            {"client_msg_id": f"op-{n}", "text": payload},
        )
        assert response.status_code == 201, response.text
    operator_texts = messages.locator(".msg--operator .msg__text")
    expect(operator_texts).to_have_count(3, timeout=15000)
    assert operator_texts.all_text_contents() == list(PAYLOADS)
    assert page.evaluate("window.__xss") is None
    # a private note never reaches the page
    server.post(
        f"/api/v1/conversations/{cid}/messages",
        operator,
        {"client_msg_id": "note", "text": "СЛУЖЕБНАЯ ЗАМЕТКА", "private": True},
    )

    # the server dies; the page reconnects by itself and misses nothing
    server.kill()
    expect(page.locator("#status")).to_contain_text("переподключаемся", timeout=15000)
    server.start(same_port=True)
    server.post(
        f"/api/v1/conversations/{cid}/messages",
        operator,
        {"client_msg_id": "after-restart", "text": "Я снова на связи"},
    )
    expect(messages.locator(".msg", has_text="Я снова на связи")).to_have_count(1, timeout=30000)
    assert messages.locator(".msg", has_text="СЛУЖЕБНАЯ ЗАМЕТКА").count() == 0

    # and sending works again on the new socket
    page.fill("#text", "Сообщение после переподключения")
    page.click("#send")
    expect(
        messages.locator(".msg--mine:not(.msg--pending)", has_text="после переподключения")
    ).to_have_count(1, timeout=15000)

    # an image: stored, shown from a blob URL
    page.set_input_files(
        "#file", files=[{"name": "screen.png", "mimeType": "image/png", "buffer": _png()}]
    )
    image = messages.locator(".msg__file img")
    expect(image).to_have_count(1, timeout=15000)
    expect(image).to_have_attribute("src", re.compile(r"^blob:"))
    page.set_input_files(
        "#file", files=[{"name": "evil.png", "mimeType": "image/png", "buffer": b"<html>not png"}]
    )
    expect(page.locator("#error")).to_contain_text("Можно прикрепить только", timeout=15000)

    # resolved: the page asks for a 1–5 rating
    assert server.post(f"/api/v1/conversations/{cid}/resolve", operator).status_code == 200
    expect(page.locator("#rating")).to_be_visible(timeout=15000)
    page.locator(".star", has_text="5").click()
    page.fill("#rating-comment", "Спасибо, всё понятно")
    page.locator("#rating-send").click()
    expect(page.locator("#rating-note")).to_have_text("Спасибо за оценку!", timeout=15000)
    view = server.get(f"/api/v1/conversations/{cid}", operator).json()
    assert view["rating"] == 5

    history = server.get(f"/api/v1/conversations/{cid}/messages", operator).json()["messages"]
    ids = [m["client_msg_id"] for m in history if m["client_msg_id"]]
    assert len(ids) == len(set(ids))


def test_the_widget_fits_a_phone(page: Any) -> None:
    """On a 360-px phone every screen of the widget fits without a horizontal scroll bar: the
    start with its topics, the seller form, the login panel, and a conversation with the bot."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 360, "height": 640})

    def fits() -> None:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360

    fits()
    page.get_by_role("button", name="Я продавец").click()
    expect(page.locator("#seller-form")).to_be_visible()
    fits()
    page.get_by_role("button", name="Войти по номеру телефона").click()
    expect(page.locator("#login")).to_be_visible()
    fits()
    page.get_by_role("button", name="Где мой заказ?").click()
    expect(page.locator("#messages .msg--bot")).to_have_count(1, timeout=15000)
    fits()
