"""Files in the chat: images and PDF only (by their bytes), a size limit, access like the
conversation's, private notes' files hidden from customers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from marketdesk.services.attachments import MAX_BYTES
from tests.chat.conftest import ChatEnv, auth
from tests.errors import assert_error

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


def _upload(env: ChatEnv, token: str, cid: int, name: str, data: bytes, **form: str):
    return env.client.post(
        f"/api/v1/conversations/{cid}/attachments",
        files={"file": (name, data, "application/octet-stream")},
        data={"client_msg_id": form.pop("client_msg_id", uuid.uuid4().hex), **form},
        headers=auth(token),
    )


def test_an_image_and_a_pdf_are_sent_as_messages_and_read_back(env: ChatEnv) -> None:
    token = env.visitor()
    cid = env.conversation(token)["id"]
    env.post(token, f"/api/v1/conversations/{cid}/handoff")
    image = _upload(env, token, cid, "../../etc/скрин.png", PNG, text="Вот скриншот")
    assert image.status_code == 201, image.text
    [file] = image.json()["attachments"]
    assert file["content_type"] == "image/png"
    assert file["filename"] == "скрин.png"
    assert image.json()["text"] == "Вот скриншот"
    pdf = _upload(env, token, cid, "чек", PDF)
    assert pdf.status_code == 201
    assert pdf.json()["attachments"][0]["filename"] == "чек.pdf"

    got = env.client.get(f"/api/v1/attachments/{file['id']}", headers=auth(token))
    assert got.status_code == 200
    assert got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    pdf_id = pdf.json()["attachments"][0]["id"]
    download = env.client.get(f"/api/v1/attachments/{pdf_id}", headers=auth(token))
    assert download.headers["content-disposition"].startswith("attachment;")
    # somebody else: not found, like a missing file
    stranger = env.visitor()
    for target in (file["id"], file["id"] + 10_000):
        denied = env.client.get(f"/api/v1/attachments/{target}", headers=auth(stranger))
        assert_error(denied, 404, "attachment_not_found")
    assert _upload(env, stranger, cid, "x.png", PNG).status_code == 404


def test_other_types_oversized_and_empty_files_are_refused_and_nothing_is_stored(
    env: ChatEnv,
) -> None:
    token = env.visitor()
    cid = env.conversation(token)["id"]
    cases = [
        ("page.html", b"<html><script>alert(1)</script></html>", "attachment_type"),
        ("fake.png", b"MZ\x90\x00 an executable", "attachment_type"),
        ("big.pdf", b"%PDF-" + b"0" * MAX_BYTES, "attachment_too_large"),
        ("empty.png", b"", "attachment_empty"),
    ]
    for name, data, code in cases:
        response = _upload(env, token, cid, name, data)
        assert_error(response, 422, code)
    assert env.messages(token, cid) == []


def test_a_body_far_over_the_limit_is_refused_while_it_streams_in(env: ChatEnv) -> None:
    token = env.visitor()
    cid = env.conversation(token)["id"]

    def body() -> Iterator[bytes]:  # no Content-Length: the server must count as it reads
        chunk = b"0" * (1024 * 1024)
        for _ in range(64):
            yield chunk

    response = env.client.post(
        f"/api/v1/conversations/{cid}/attachments",
        content=body(),
        headers={**auth(token), "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert_error(response, 413, "payload_too_large")
    assert env.messages(token, cid) == []


def test_a_retried_upload_is_one_message(env: ChatEnv) -> None:
    token = env.visitor()
    cid = env.conversation(token)["id"]
    env.post(token, f"/api/v1/conversations/{cid}/handoff")
    first = _upload(env, token, cid, "a.png", PNG, client_msg_id="file-1")
    again = _upload(env, token, cid, "a.png", PNG, client_msg_id="file-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    files = [m for m in env.messages(token, cid) if m["attachments"]]
    assert len(files) == 1


def test_files_of_private_notes_stay_with_staff(fresh_env: ChatEnv) -> None:
    env = fresh_env
    _, operator = env.operator(available=True)
    token = env.visitor()
    cid = env.conversation(token)["id"]
    env.post(token, f"/api/v1/conversations/{cid}/handoff")
    shared = _upload(env, operator, cid, "инструкция.pdf", PDF)
    assert shared.status_code == 201, shared.text
    shared_id = shared.json()["attachments"][0]["id"]
    assert (
        env.client.get(f"/api/v1/attachments/{shared_id}", headers=auth(token)).status_code == 200
    )
    note = _upload(env, operator, cid, "внутреннее.pdf", PDF, private="true")
    assert note.status_code == 201, note.text
    assert note.json()["private"] is True
    note_id = note.json()["attachments"][0]["id"]
    hidden = env.client.get(f"/api/v1/attachments/{note_id}", headers=auth(token))
    assert hidden.status_code == 404
    assert (
        env.client.get(f"/api/v1/attachments/{note_id}", headers=auth(operator)).status_code == 200
    )
    # a customer cannot make a private note with a file either
    assert _upload(env, token, cid, "x.pdf", PDF, private="true").status_code == 403


def test_an_operators_caption_passes_the_privacy_guard(fresh_env: ChatEnv) -> None:
    """The caption reaches the customer like any reply: a leak is refused, no file message
    is stored; the same file with a clean caption goes through."""
    env = fresh_env
    _, operator = env.operator(available=True)
    token = env.visitor()
    cid = env.conversation(token)["id"]
    env.post(token, f"/api/v1/conversations/{cid}/handoff")
    before = env.get(token, cid)["last_seq"]
    leak = "У вас 3 пересечения с другими аккаунтами"
    refused = _upload(env, operator, cid, "скрин.png", PNG, text=leak)
    assert_error(refused, 422, "privacy_violation")
    assert env.get(token, cid)["last_seq"] == before
    assert not [m for m in env.messages(operator, cid) if m["attachments"]]
    sent = _upload(env, operator, cid, "скрин.png", PNG, text="Вот где это в приложении")
    assert sent.status_code == 201, sent.text
    assert env.get(token, cid)["last_seq"] == before + 1
