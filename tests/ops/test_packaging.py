"""Packaging for servers (issue 17): the Containerfile's image builds and serves, the compose
file wires N nodes, PostgreSQL, Redis and HAProxy together consistently, HAProxy accepts its
configuration, and the systemd units are valid."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from tests.chat.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BASE_TAG = "localhost/marketdesk-base:bookworm"


def _compose() -> dict[str, object]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))


def test_compose_runs_every_node_from_one_image_on_postgresql_and_redis() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    assert {"postgres", "redis", "haproxy", "worker"} <= set(services)
    nodes = {name: s for name, s in services.items() if name.startswith("node")}
    assert len(nodes) >= 2
    images = {s["image"] for name, s in services.items() if name.startswith(("node", "worker"))}
    assert images == {"localhost/marketdesk:latest"}  # one image for every role
    for service in nodes.values():
        assert service["command"][:2] == ["marketdesk", "serve"]
        environment = service["environment"]
        assert environment["MARKETDESK_DATABASE_URL"].startswith("postgresql://")
        assert environment["MARKETDESK_REDIS_URL"].startswith("redis://")
        assert "postgres" in service["depends_on"]
    assert services["worker"]["command"] == ["marketdesk", "worker"]
    assert any("haproxy.cfg" in volume for volume in services["haproxy"]["volumes"])


def test_haproxy_balances_exactly_the_compose_nodes_with_readyz_checks() -> None:
    config = (DEPLOY / "haproxy.cfg").read_text()
    servers = set(re.findall(r"^\s*server (\S+) (\S+):8000", config, re.MULTILINE))
    nodes = {name for name in _compose()["services"] if name.startswith("node")}  # type: ignore[union-attr]
    assert {name for name, _ in servers} == nodes
    assert all(name == host for name, host in servers)
    assert "uri /readyz" in config
    assert "timeout tunnel" in config  # WebSockets live on as tunnels


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="HAProxy is not installed")
def test_haproxy_accepts_its_configuration() -> None:
    result = subprocess.run(
        ["haproxy", "-c", "-f", str(DEPLOY / "haproxy.cfg")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration file is valid" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("unit", "command"),
    [
        ("marketdesk.service", "marketdesk serve"),
        ("marketdesk-worker.service", "marketdesk worker"),
    ],
)
def test_the_systemd_units_start_the_right_command(unit: str, command: str) -> None:
    text = (DEPLOY / "systemd" / unit).read_text()
    exec_start = re.search(r"^ExecStart=(.+)$", text, re.MULTILINE)
    assert exec_start is not None and command in exec_start.group(1)
    assert re.search(r"^Restart=on-failure$", text, re.MULTILINE)
    assert re.search(r"^User=marketdesk$", text, re.MULTILINE)
    if shutil.which("systemd-analyze"):
        result = subprocess.run(
            ["systemd-analyze", "verify", str(DEPLOY / "systemd" / unit)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        # the binary is not installed on a development machine; anything else is an error
        problems = [
            line
            for line in (result.stdout + result.stderr).splitlines()
            if line.strip() and "is not executable" not in line
        ]
        assert problems == []


def _podman(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    # runc where installed: Debian's crun refuses this machine's hybrid cgroups
    runtime = ["--runtime", "runc"] if shutil.which("runc") else []
    return subprocess.run(
        ["podman", *runtime, *args], capture_output=True, text=True, timeout=timeout
    )


def _ca_secret() -> list[str]:
    """This machine's CA bundle for pip in the build (a TLS-inspecting proxy's CA is in it)."""
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    return ["--secret", f"id=pip_ca,src={bundle}"] if bundle.exists() else []


def _ulimits() -> list[str]:
    """Limits the runtime may set here: podman's defaults exceed this machine's hard limits,
    which a container may not raise (4 096 files and processes are plenty for the server)."""
    import resource

    flags = []
    for name, limit in (("nofile", resource.RLIMIT_NOFILE), ("nproc", resource.RLIMIT_NPROC)):
        _, hard = resource.getrlimit(limit)
        value = 4096 if hard == resource.RLIM_INFINITY else min(4096, hard)
        flags += ["--ulimit", f"{name}={value}:{value}"]
    return flags


def _base_image() -> str:
    """The official Python image when this machine has or reaches it; otherwise a base built
    from Debian's packages (tools/container_base.sh), kept for the next runs."""
    default = "docker.io/library/python:3.11-slim-bookworm"
    for image in (default, BASE_TAG):
        if _podman("image", "exists", image).returncode == 0:
            return image
    if _podman("pull", "-q", default, timeout=120).returncode == 0:
        return default
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        pytest.skip("no base image: no registry reachable and no debootstrap to build one")
    built = subprocess.run(
        [str(ROOT / "tools" / "container_base.sh"), BASE_TAG],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    return BASE_TAG


@pytest.mark.slow
@pytest.mark.timeout(2400)  # the first run builds the base image from Debian's packages
@pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed")
def test_the_image_builds_and_serves_the_demo(tmp_path: Path) -> None:
    base = _base_image()
    tag = "localhost/marketdesk:test"
    build = _podman(
        "build",
        # build steps in a chroot: no cgroups or resource limits needed
        "--isolation",
        "chroot",
        "--network",
        "host",
        "--build-arg",
        f"BASE_IMAGE={base}",
        *_ca_secret(),
        "-t",
        tag,
        "-f",
        str(ROOT / "Containerfile"),
        str(ROOT),
        timeout=1500,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    port = free_port()
    name = f"marketdesk-smoke-{uuid.uuid4().hex[:8]}"
    run = _podman(
        "run",
        "-d",
        "--rm",
        "--name",
        name,
        "--network",
        "host",
        *_ulimits(),
        "-e",
        "MARKETDESK_DEMO_PASSWORD=smoke-test-password",
        tag,
        "marketdesk",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    )
    assert run.returncode == 0, run.stderr
    try:
        deadline = time.monotonic() + 120
        answer = None
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if answer.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert answer is not None and answer.status_code == 200, _podman("logs", name).stderr
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"login": "operator", "password": "smoke-test-password"},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        user = _podman("exec", name, "id", "-un")
        assert user.stdout.strip() == "marketdesk"  # not root
    finally:
        _podman("rm", "-f", name, timeout=60)
