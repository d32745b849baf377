"""Real mail servers for the e-mail channel's tests: a private Dovecot (Debian's
``dovecot-imapd``: its own configuration in a temporary directory, a free port, one
passwd-file user; the system's service is not touched) and aiosmtpd's SMTP server in the
test process, recording what marketdesk sends."""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from marketdesk.channels.mail.imap import mailbox_name

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class Dovecot:
    port: int
    user: str
    password: str
    root: Path

    def url(self, mailbox: str = "INBOX") -> str:
        return f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}/{mailbox}"

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.user, self.password)
        return client

    def deliver(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """A letter arrives in the mailbox (IMAP APPEND, as a delivery agent would)."""
        mailbox = mailbox_name(mailbox)
        client = self.client()
        try:
            client.create(mailbox)  # an error when it exists: fine
            status, _ = client.append(mailbox, "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK"
        finally:
            client.logout()

    def flags(self, mailbox: str = "INBOX") -> list[str]:
        """The flags of each letter in the mailbox, in order."""
        mailbox = mailbox_name(mailbox)
        client = self.client()
        try:
            client.select(mailbox)
            status, data = client.fetch("1:*", "(FLAGS)")
            if status != "OK" or data == [None]:
                return []
            return [line.decode() for line in data if isinstance(line, bytes)]
        finally:
            client.logout()


_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:{root}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
"""


def _users() -> dict[str, Any]:
    if os.geteuid() == 0:
        mail = pwd.getpwnam("mail")
        internal = "dovecot"
        login = "dovenull"
        group = "dovecot"
        return {
            "uid": mail.pw_uid,
            "gid": mail.pw_gid,
            "internal": internal,
            "internal_group": group,
            "login": login,
        }
    me = pwd.getpwuid(os.geteuid())
    return {
        "uid": me.pw_uid,
        "gid": me.pw_gid,
        "internal": me.pw_name,
        "internal_group": me.pw_name,
        "login": me.pw_name,
    }


@contextlib.contextmanager
def run_dovecot() -> Iterator[Dovecot]:
    """A private Dovecot in a directory of its own under the system's temporary directory
    (its unprivileged processes must reach it: pytest's own are the test user's only)."""
    if not Path(DOVECOT).exists():
        pytest.skip("Dovecot is not installed: `python3 tools/dev.py test` installs it")
    root = Path(tempfile.mkdtemp(prefix="marketdesk-dovecot-"))
    try:
        with _dovecot_in(root) as dovecot:
            yield dovecot
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def _dovecot_in(root: Path) -> Iterator[Dovecot]:
    users = _users()
    port = free_port()
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    for sub in ("mail", "home"):
        os.chown(root / sub, users["uid"], users["gid"])
    dovecot = Dovecot(
        port=port, user="support", password="пароль-не-нужен".encode().hex()[:16], root=root
    )
    (root / "passwd").write_text(f"{dovecot.user}:{{PLAIN}}{dovecot.password}\n")
    config = root / "dovecot.conf"
    config.write_text(_CONFIG.format(root=root, port=port, **users))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        try:
            wait_port(port)
        except RuntimeError:
            process.kill()
            _, err = process.communicate()
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot did not start: {err.decode()} {log}") from None
        yield dovecot
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class SmtpSink:
    """aiosmtpd in the test process: every letter marketdesk sends, and a switch that
    makes it refuse (the server «down»: the port closed)."""

    port: int
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    controller: Controller | None = None
    refuse: set[str] = field(default_factory=set)
    """Recipients refused for good (550)."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        letter = message_from_bytes(raw, policy=policy.default)
        assert isinstance(letter, EmailMessage)
        self.received.append(letter)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 OK"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if address in str(m["To"])]


@contextlib.contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
