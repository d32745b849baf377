#!/usr/bin/env python3
"""The README's two commands, for a fresh machine with only Python 3.11+:

    python3 tools/dev.py demo    set up .venv, install marketdesk, start the demo server
    python3 tools/dev.py test    set up .venv with the test tools, run ruff, mypy, the import
                                 contracts (lint-imports) and pytest (Chromium and Dovecot
                                 are installed from Debian's packages when missing)
    python3 tools/dev.py test --fast   the fast lane: no browser, no PostgreSQL, no slow tests

Without pytest arguments the tests run in one pytest process per core (pytest-xdist;
MARKETDESK_TEST_PROCESSES chooses another number, 1 for none); with arguments
(`tools/dev.py test tests/api -k products`) pytest runs them as given, in one process
unless they say `-n N`.

Only the standard library is used here, since nothing else is installed yet.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import venv
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project; skipped when pyproject.toml has not changed."""
    if sys.version_info < (3, 11):
        sys.exit("marketdesk needs Python 3.11 or newer")
    if not PYTHON.exists():
        say(f"creating the virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    spec = f".[{extras}]" if extras else "."
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    stamp = VENV / ".marketdesk-installed"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"installing marketdesk{f' with [{extras}]' if extras else ''}")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", spec)
    stamp.write_text(digest)


CHROMIUM = Path("/usr/bin/chromium")


def ensure_chromium() -> None:
    """The browser tests drive Debian's Chromium through Playwright (no browser download)."""
    if CHROMIUM.exists():
        return
    if os.name != "posix" or os.geteuid() != 0:
        sys.exit(
            "The browser tests need Chromium at /usr/bin/chromium: "
            "run `sudo apt-get install chromium` and try again."
        )
    say("installing Chromium from Debian's packages for the browser tests")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", env=env)


DOVECOT = Path("/usr/sbin/dovecot")


def ensure_dovecot() -> None:
    """The e-mail tests poll a private Dovecot of their own (tests/channels/mail_servers.py:
    its own configuration, port and user; the system's service is not used)."""
    if DOVECOT.exists():
        return
    if os.name != "posix" or os.geteuid() != 0:
        sys.exit(
            "The e-mail tests need Dovecot at /usr/sbin/dovecot: "
            "run `sudo apt-get install dovecot-imapd` and try again."
        )
    say("installing Dovecot from Debian's packages for the e-mail tests")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "dovecot-imapd", env=env)


SERVER_TOOLS = {
    # command: the Debian package that brings it
    "/usr/sbin/haproxy": "haproxy",  # the load balancer of the deployment (deploy/haproxy.cfg)
    "/usr/bin/podman": "podman",  # builds and runs the Containerfile's image
    "/usr/sbin/runc": "runc",  # its runtime where crun refuses the machine's cgroups
    "/usr/sbin/debootstrap": "debootstrap",  # its base, where no container registry answers
}


def ensure_server_tools() -> None:
    """The packaging tests (tests/ops/test_packaging.py) check the HAProxy configuration and
    build and start the image with podman; where these cannot be installed they are skipped
    and say why."""
    missing = [package for path, package in SERVER_TOOLS.items() if not Path(path).exists()]
    if not missing or os.name != "posix" or os.geteuid() != 0:
        return
    say(f"installing {', '.join(missing)} from Debian's packages for the packaging tests")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run("apt-get", "update", "-qq", env=env)
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)


def check_postgres(url: str) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as error:
        sys.exit(
            f"MARKETDESK_TEST_DATABASE_URL is set but PostgreSQL at {host}:{port} cannot be "
            f"reached ({error}). Start it, or unset the variable to test on SQLite only."
        )


def demo(argv: list[str]) -> None:
    ensure_venv("")
    env = dict(os.environ)
    env.setdefault("MARKETDESK_DATA_DIR", str(ROOT / "data" / "demo"))
    say("starting the demo server at http://127.0.0.1:8000 (Ctrl+C stops it)")
    os.execve(BIN / "marketdesk", [str(BIN / "marketdesk"), "serve", *argv], env)


def test(argv: list[str]) -> None:
    fast = "--fast" in argv
    argv = [a for a in argv if a != "--fast"]
    ensure_venv("test")
    env = dict(os.environ)
    lane: list[str] = []
    if fast:
        # the developer's own loop: SQLite only, no browser, nothing marked slow
        env.pop("MARKETDESK_TEST_DATABASE_URL", None)
        lane = ["-m", "not browser and not slow"]
        say("fast lane: SQLite only, no browser, no slow tests")
    else:
        ensure_chromium()
        ensure_dovecot()
        ensure_server_tools()
    pg = env.get("MARKETDESK_TEST_DATABASE_URL")
    if pg:
        check_postgres(pg)
        say("PostgreSQL: the suite runs on SQLite and on PostgreSQL")
    elif not fast:
        say("SQLite only (set MARKETDESK_TEST_DATABASE_URL to add PostgreSQL)")
    say("ruff")
    run(BIN / "ruff", "check", "marketdesk", "tests", "bench", "tools")
    run(BIN / "ruff", "format", "--check", "marketdesk", "tests", "bench", "tools")
    say("mypy (strict)")
    run(BIN / "mypy")
    say("import contracts")
    run(BIN / "lint-imports")
    if argv:  # the developer's own selection: as given (``-n 2`` for parallel processes)
        say("pytest")
        run(PYTHON, "-m", "pytest", *lane, *argv, env=env)
        return
    processes = test_processes()
    parallel = ["-n", str(processes), "--dist", "loadgroup"] if processes > 1 else []
    if fast:
        say(f"pytest in {processes} process(es)")
        run(PYTHON, "-m", "pytest", *lane, *parallel, env=env)
    else:  # the whole suite: with the coverage report and its floor (pyproject.toml)
        say(f"pytest in {processes} process(es), with coverage")
        run(PYTHON, "-m", "pytest", *parallel, "--cov", "--cov-report=term", env=env)


def test_processes() -> int:
    """How many pytest processes the whole suite runs in (pytest-xdist): one per core this
    process may use, or ``MARKETDESK_TEST_PROCESSES`` (1: no worker processes at all)."""
    chosen = os.environ.get("MARKETDESK_TEST_PROCESSES", "").strip()
    if chosen:
        if not chosen.isdigit() or int(chosen) < 1:
            sys.exit(f"MARKETDESK_TEST_PROCESSES must be a whole number from 1: {chosen!r}")
        return int(chosen)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cores or 1)


def main() -> None:
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
