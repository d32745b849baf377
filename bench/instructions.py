"""Benchmark (not a test): the instructions the application's process runs for one call of
each path of ``bench/api.py``, counted by valgrind's callgrind — a figure that does not
drift with the machine's other load, the way CPU time does on a shared virtual machine.

    .venv/bin/python bench/instructions.py [--backend sqlite|postgresql|both]
                                           [--pg postgresql://…] [--calls 100]
                                           [--only task_create,message] [--scale 2000]
                                           [--redis redis://127.0.0.1:6379/0] [--keep DIR]

Why: on the machine of 2026-12-07 the same code's CPU per call in-process differed by up to
70 % from one run to the next (``bench/profile_api.py``: a visitor 2.3–4.0 ms, a bot's
follow-up 3.9–6.2 ms), so a change worth a few per cent could not be told from the drift.
Callgrind counts instructions, not seconds: two runs of the same code gave the same count
within 1 %.

How: the application runs in a child process under ``valgrind --tool=callgrind`` with the
instrumentation off (its start, the demo data's load and each path's set-up and warm-up run
at valgrind's uninstrumented pace). The child calls the ASGI application directly, with no
client library and no socket: its middleware, routing, dependencies, the use case, the
serialisation — all of the server's process but uvicorn's HTTP parsing — with its periodic
background work (pollers, timers) set an hour apart and what it keeps for a second (the
staff's principals, the webhook subscriptions) kept longer: under valgrind a call takes
a fiftieth of a second or more, and what a loaded server reads once among hundreds of calls
was read every few calls, a different number in each run. Before a path's measured calls it
tells the parent, which zeroes the counters and turns the instrumentation on with
``callgrind_control``; after them the parent turns it off and dumps the counts. The
database server's own work (PostgreSQL) is not in the count; SQLite's is (it runs in the
process).

What the count leaves out: the kernel's work for the process's system calls (a socket's
send, an ``fsync``), and time spent waiting. What it measures is the interpreter's and the
libraries' work — where nearly all of a request's CPU goes (``bench/README.md``).

Prints a Markdown table of millions of instructions a call and writes
``bench/results/instructions.json``. ``--keep DIR`` keeps each path's callgrind file there
(``callgrind_annotate`` reads them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api import PLAN, Paths, _auth, ids, load_data  # noqa: E402
from bench.databases import on_fresh_database  # noqa: E402

WARM_UP = 30
# the periodic background work (pollers, timers, the wallboard's push) an hour apart: under
# valgrind a run lasts many minutes, and a round of it that fell into one path's calls in one
# run and not in another made that path's count differ by a tenth
QUIET = {
    f"MARKETDESK_{name}": "3600"
    for name in (
        "SLA_INTERVAL_SECONDS",
        "SLA_CHAT_INTERVAL_SECONDS",
        "KB_WATCH_INTERVAL_SECONDS",
        "REPORTS_INTERVAL_SECONDS",
        "IMAP_POLL_SECONDS",
        "CHANNEL_POLL_SECONDS",
        "WEBHOOK_POLL_SECONDS",
        "CLEANUP_INTERVAL_SECONDS",
        "RATING_REMINDER_INTERVAL_SECONDS",
        "LEADER_RETRY_SECONDS",
        "BOARD_PUSH_SECONDS",
    )
} | {
    "MARKETDESK_METRICS_REFRESH_SECONDS": "60",
    # what a process keeps for a second is read again once a second: a few of a loaded
    # server's hundreds of calls a second, but a tenth of valgrind's few, and a different
    # number in each run: kept here for the run (the staff's principals) or a minute (the
    # webhook subscriptions, at most that)
    "MARKETDESK_PRINCIPAL_CACHE_SECONDS": "3600",
    "MARKETDESK_WEBHOOK_SUBSCRIPTIONS_CACHE_SECONDS": "60",
}
# the paths measured by default: every write path and the cards (the login's argon2 is one
# library call, and the old widget's flows are the visitor's and the first question's)
DEFAULT_PATHS = (
    "visitor",
    "chat_one",
    "message",
    "message_queued",
    "task_create",
    "task_status",
    "task_comment",
    "customer_comment",
    "rule_inaccuracy",
    "card_customer",
    "card_product",
)


class AsgiResponse:
    def __init__(self, status_code: int, body: bytes) -> None:
        self.status_code = status_code
        self._body = body

    def json(self) -> Any:
        return json.loads(self._body)


class AsgiClient:
    """What ``bench/api.py``'s paths call (``get``, ``post``), made as ASGI calls of the
    application in this process: the server's side of a request only."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.headers: dict[str, str] = {}

    async def get(self, url: str, *, headers: dict[str, str] | None = None) -> AsgiResponse:
        return await self._call("GET", url, b"", headers)

    async def post(
        self, url: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> AsgiResponse:
        body = b"" if json is None else _dumps(json)
        return await self._call("POST", url, body, headers)

    async def _call(
        self, method: str, url: str, body: bytes, headers: dict[str, str] | None
    ) -> AsgiResponse:
        path, _, query = url.partition("?")
        raw = [(b"host", b"bench")] + [
            (name.lower().encode(), value.encode())
            for name, value in {**self.headers, **(headers or {})}.items()
        ]
        if body:
            raw += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": raw,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        received = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client stays: no disconnect
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return AsgiResponse(status, b"".join(chunks))


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


async def child(args: argparse.Namespace, database_url: str, data_dir: Path) -> None:
    """Under valgrind: set up, then each path's measured calls between the parent's go-aheads
    (``ready PATH`` on stdout; a line on stdin to go; ``done PATH failed N``; a line to go on)."""
    load_data(database_url, data_dir, args.scale)
    customers, products = await ids(database_url)
    os.environ["MARKETDESK_DATABASE_URL"] = database_url
    os.environ["MARKETDESK_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("MARKETDESK_RATE_LIMIT_SCALE", "10000")  # one address plays all
    if args.redis:
        os.environ["MARKETDESK_REDIS_URL"] = args.redis
    os.environ.update(QUIET)

    from marketdesk.server import create_app
    from marketdesk.settings import Settings

    app = create_app(Settings())
    async with app.router.lifespan_context(app):
        client = AsgiClient(app)
        tokens = {}
        for login in ("backoffice", "supervisor"):
            r = await client.post("/api/v1/auth/login", json={"login": login, "password": "bench"})
            tokens[login] = r.json()["token"]
        paths = Paths(customers, products, random.Random(7))
        await _settle()  # the start's background work (the reports' first round) done
        for path, who in PLAN:
            if path not in args.only:
                continue
            client.headers = {}
            if path in ("task_status", "task_comment") and not paths.tasks:
                client.headers = _auth(tokens["backoffice"])
                for i in range(args.calls + WARM_UP):
                    assert await paths.task_create(client, i)
            if path == "message" and not paths.conversations:
                # a conversation a message, as bench/api.py: the bot's turn in each
                for i in range(args.calls + WARM_UP):
                    assert await paths.chat_open(client, i)
            if path == "message_queued" and not paths.queued:
                for i in range(64):
                    assert await paths.open_queued(client, i)
            client.headers = _auth(tokens[who]) if who else {}
            op = getattr(paths, path)
            for i in range(WARM_UP):
                assert await op(client, args.calls + i), path
            await _settle()
            _tell(f"ready {path}")
            failed = 0
            for i in range(args.calls):
                failed += not await op(client, i)
            _tell(f"done {path} failed {failed}")


async def _settle() -> None:
    """Wait until the process is about idle (under a tenth of a core over half a second,
    a minute at most): what the application starts in the background is not a path's."""
    for _ in range(120):
        before = time.process_time()
        await asyncio.sleep(0.5)
        if time.process_time() - before < 0.05:
            return


def _tell(line: str) -> None:
    """A line to the parent, then wait for its go-ahead (the child's loop stands still)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    sys.stdin.readline()


def _control(pid: int, *command: str) -> None:
    subprocess.run(
        ["callgrind_control", *command, str(pid)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def measure(args: argparse.Namespace, backend: str, out_dir: Path) -> dict[str, float]:
    """Run the child under callgrind for one database → millions of instructions a call."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out_dir}/callgrind.%p",
        sys.executable,
        __file__,
        "--child",
        "--backend",
        backend,
        "--calls",
        str(args.calls),
        "--scale",
        str(args.scale),
        "--only",
        ",".join(args.only),
    ]
    if args.pg:
        command += ["--pg", args.pg]
    if args.redis:
        command += ["--redis", args.redis]
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict orders in every run
    results: dict[str, float] = {}
    with (
        (out_dir / "valgrind.log").open("wb") as log,
        subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, env=env
        ) as process,
    ):
        assert process.stdin is not None and process.stdout is not None
        for line in process.stdout:
            words = line.split()
            if not words or words[0] not in ("ready", "done"):
                continue
            path = words[1]
            if words[0] == "ready":
                _control(process.pid, "--zero")
                _control(process.pid, "--instr=on")
            else:
                _control(process.pid, "--instr=off")
                _control(process.pid, f"--dump={path}")
                if words[3] != "0":
                    print(f"{backend} {path}: {words[3]} calls failed", file=sys.stderr)
                dump = max(out_dir.glob("callgrind.*.*"), key=lambda f: f.stat().st_mtime)
                total = _totals(dump)
                results[path] = total / args.calls / 1e6
                if args.keep:
                    shutil.copy(dump, Path(args.keep) / f"{backend}.{path}.callgrind")
                print(f"| {backend} | {path} | {results[path]:.3f} |", flush=True)
            process.stdin.write("\n")
            process.stdin.flush()
    if process.returncode:
        raise SystemExit(f"{backend}: the child failed (see {out_dir / 'valgrind.log'})")
    return results


def _totals(dump: Path) -> int:
    for line in dump.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise ValueError(f"{dump}: no totals")


def _child_main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="md-instructions-") as tmp:
        data_dir = Path(tmp)
        on_fresh_database(
            args.backend,
            args.pg,
            data_dir,
            "md_instructions",
            lambda url: child(args, url, data_dir),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg", default=os.environ.get("MARKETDESK_TEST_DATABASE_URL"))
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument(
        "--only", type=lambda v: tuple(v.split(",")), default=DEFAULT_PATHS, help="paths"
    )
    parser.add_argument("--redis", default=None, help="Redis for the application (as ×N)")
    parser.add_argument("--keep", default=None, help="a directory for the callgrind files")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    unknown = set(args.only) - {path for path, _ in PLAN}
    if unknown:
        parser.error(f"unknown paths: {', '.join(sorted(unknown))}")
    if args.child:
        _child_main(args)
        return
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        parser.error("valgrind is not installed (Debian: apt-get install valgrind)")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not args.pg:
        parser.error("PostgreSQL: give --pg or MARKETDESK_TEST_DATABASE_URL")
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
    print("| database | path | million instructions a call |")
    print("| --- | --- | --- |", flush=True)
    results: dict[str, dict[str, float]] = {}
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="md-callgrind-") as out:
            results[backend] = measure(args, backend, Path(out))
    machine = f"{platform.machine()}, Python {platform.python_version()}"
    redis = "with Redis" if args.redis else "without Redis"
    print(f"\nmachine: {machine}; {args.calls} calls a path, {args.scale} customers, {redis}")
    target = ROOT / "bench" / "results" / "instructions.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(
        json.dumps(
            {
                "machine": machine,
                "calls": args.calls,
                "redis": bool(args.redis),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
