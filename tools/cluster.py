#!/usr/bin/env python3
"""Several marketdesk hosts on one Linux machine, behind HAProxy, for people and for the test
of issue 17 (tests/ops/test_multi_host.py).

    sudo .venv/bin/python tools/cluster.py --nodes 3 --database postgresql://root@127.0.0.1:5432/md

Each node is a separate host: its own network namespace with its own address on a private
bridge (10.77.N.0/24), running ``marketdesk serve`` there. HAProxy (Debian's) runs on the
machine: the balancer on 127.0.0.1 (WebSockets as tunnels, health checks on ``/readyz``),
and TCP relays on the bridge to the machine's PostgreSQL. Redis is a private
``redis-server`` of the cluster's own on the bridge, so that a test can restart it. Ctrl+C
takes everything down again (namespaces, links, processes).

Needs root (``ip netns``), HAProxy and redis-server; only the standard library is used.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
MARKETDESK = ROOT / ".venv" / "bin" / "marketdesk"
IP = shutil.which("ip") or "/usr/sbin/ip"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
NODE_PORT = 8000


def _ip(*args: str, netns: str | None = None) -> None:
    command = [IP, *args] if netns is None else [IP, "netns", "exec", netns, IP, *args]
    subprocess.run(command, check=True, capture_output=True, text=True)


def _wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (our own URL)
                if answer.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    return False


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Node:
    name: str
    netns: str
    address: str
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.address}:{NODE_PORT}"


@dataclass
class Cluster:
    """``nodes`` hosts on database ``database_url`` (PostgreSQL on this machine)."""

    database_url: str
    nodes_count: int = 3
    env: dict[str, str] = field(default_factory=dict)
    work_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mdcluster-")))
    tag: str = field(default_factory=lambda: f"{random.randrange(16**4):04x}")  # noqa: S311
    subnet: int = field(default_factory=lambda: random.randrange(20, 250))  # noqa: S311
    nodes: list[Node] = field(default_factory=list)
    balancer_port: int = 0
    redis_port: int = 0
    _haproxy: subprocess.Popen[bytes] | None = None
    _redis: subprocess.Popen[bytes] | None = None

    # ------------------------------------------------------------------ addresses
    @property
    def bridge(self) -> str:
        return f"mdbr{self.tag}"

    @property
    def gateway(self) -> str:
        return f"10.77.{self.subnet}.1"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.balancer_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.balancer_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.gateway}:{self.redis_port}/0"

    def _node_database_url(self) -> str:
        """The database URL as a node sees it: through the relay on the bridge."""
        parts = urlsplit(self.database_url)
        user = f"{parts.username}@" if parts.username else ""
        password = f"{parts.username}:{parts.password}@" if parts.password else user
        return urlunsplit(parts._replace(netloc=f"{password}{self.gateway}:{self.pg_relay_port}"))

    pg_relay_port: int = 15432

    # ------------------------------------------------------------------ up and down
    def up(self) -> Cluster:
        try:
            self._network()
            self.start_redis()
            self.balancer_port = _free_port()
            self._start_haproxy()
            for node in self.nodes:
                self.start_node(node)
        except BaseException:
            self.down()
            raise
        return self

    def _network(self) -> None:
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for index in range(1, self.nodes_count + 1):
            netns = f"md{self.tag}n{index}"
            outside, inside = f"md{self.tag}v{index}", f"md{self.tag}p{index}"
            _ip("netns", "add", netns)
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            _ip("link", "set", inside, "netns", netns)
            _ip("link", "set", outside, "master", self.bridge)
            _ip("link", "set", outside, "up")
            address = f"10.77.{self.subnet}.{10 + index}"
            _ip("addr", "add", f"{address}/24", "dev", inside, netns=netns)
            _ip("link", "set", inside, "up", netns=netns)
            _ip("link", "set", "lo", "up", netns=netns)
            _ip("route", "add", "default", "via", self.gateway, netns=netns)
            self.nodes.append(Node(f"node{index}", netns, address))

    def start_redis(self) -> None:
        if not self.redis_port:
            self.redis_port = _free_port()
        log = (self.work_dir / "redis.log").open("ab")
        self._redis = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind",
                self.gateway,
                "--port",
                str(self.redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                # only the cluster's private bridge reaches it
                "--protected-mode",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        time.sleep(0.3)

    def stop_redis(self) -> None:
        if self._redis is not None and self._redis.poll() is None:
            self._redis.kill()
            self._redis.wait(10)

    def _start_haproxy(self) -> None:
        pg = urlsplit(self.database_url)
        servers = "\n".join(
            f"    server {node.name} {node.address}:{NODE_PORT}" for node in self.nodes
        )
        config = f"""global
    maxconn 5000
    log stdout format raw local0

defaults
    log global
    mode http
    option httplog
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    retries 3
    option redispatch

frontend balancer
    bind 127.0.0.1:{self.balancer_port}
    default_backend nodes

backend nodes
    balance leastconn
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
    # a busy node answers /readyz late, not never: a check waits 5 s, three misses take it out
    timeout check 5s
    default-server check inter 2s fall 3 rise 2
{servers}

listen postgresql
    mode tcp
    option tcplog
    bind {self.gateway}:{self.pg_relay_port}
    timeout client 1h
    timeout server 1h
    server pg {pg.hostname or "127.0.0.1"}:{pg.port or 5432}
"""
        path = self.work_dir / "haproxy.cfg"
        path.write_text(config)
        log = (self.work_dir / "haproxy.log").open("ab")
        self._haproxy = subprocess.Popen(
            [HAPROXY, "-db", "-f", str(path)], stdout=log, stderr=subprocess.STDOUT
        )
        time.sleep(0.5)
        if self._haproxy.poll() is not None:
            tail = (self.work_dir / "haproxy.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"HAProxy did not start: {tail}")

    def start_node(self, node: Node, timeout: float = 120) -> None:
        data_dir = self.work_dir / node.name
        data_dir.mkdir(exist_ok=True)
        env = {key: value for key, value in os.environ.items() if not key.startswith("MARKETDESK_")}
        env.update(
            {
                "MARKETDESK_DATABASE_URL": self._node_database_url(),
                "MARKETDESK_REDIS_URL": self.redis_url,
                "MARKETDESK_LOG_LEVEL": "warning",
                # three nodes share one PostgreSQL (max_connections 100 by default)
                "MARKETDESK_DB_POOL_SIZE": "8",
                "MARKETDESK_DB_MAX_OVERFLOW": "4",
                **self.env,
            }
        )
        log = (data_dir / "server.log").open("ab")
        node.process = subprocess.Popen(
            [
                IP,
                "netns",
                "exec",
                node.netns,
                str(MARKETDESK),
                "serve",
                "--host",
                node.address,
                "--port",
                str(NODE_PORT),
                "--data-dir",
                str(data_dir),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if not _wait_http(node.url + "/readyz", timeout):
            tail = (data_dir / "server.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{node.name} did not become ready: {tail}")

    def kill_node(self, node: Node) -> None:
        """SIGKILL: no goodbye to its sockets or its database connections."""
        if node.process is not None and node.process.poll() is None:
            node.process.send_signal(signal.SIGKILL)
            node.process.wait(10)

    def wait_balanced(self, timeout: float = 30) -> bool:
        """The balancer answers (its health checks have found a node)."""
        return _wait_http(self.url + "/readyz", timeout)

    def down(self) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
                try:
                    node.process.wait(15)
                except subprocess.TimeoutExpired:
                    self.kill_node(node)
        for process in (self._haproxy, self._redis):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(10)
        for node in self.nodes:
            subprocess.run([IP, "netns", "del", node.netns], capture_output=True)
        for index in range(1, self.nodes_count + 1):
            subprocess.run([IP, "link", "del", f"md{self.tag}v{index}"], capture_output=True)
        subprocess.run([IP, "link", "del", self.bridge], capture_output=True)


def available() -> str | None:
    """Why a cluster cannot run here, or None when it can."""
    if sys.platform != "linux" or os.geteuid() != 0:
        return "needs root on Linux (network namespaces)"
    for tool in ("ip", "haproxy", "redis-server"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    if not MARKETDESK.exists():
        return f"needs {MARKETDESK} (python3 tools/dev.py demo sets it up)"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument(
        "--database", required=True, help="PostgreSQL URL on this machine (a database of its own)"
    )
    arguments = parser.parse_args()
    reason = available()
    if reason:
        sys.exit(f"tools/cluster.py {reason}")
    # the first node migrates the database and loads the demo data; the others find it done
    cluster = Cluster(arguments.database, nodes_count=arguments.nodes).up()
    print(f"balancer: {cluster.url}  (console: {cluster.url}/console)", flush=True)
    for node in cluster.nodes:
        print(f"{node.name}: {node.url} in network namespace {node.netns}", flush=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        # a second Ctrl+C must not leave namespaces and links behind
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.down()


if __name__ == "__main__":
    main()
