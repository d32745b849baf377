"""The listening sockets of ``marketdesk serve --workers N``: one per process, on the same
address, bound with ``SO_REUSEPORT``, so that the kernel spreads the connections over the
processes.

uvicorn's processes share one listening socket by default. The process whose event loop
wakes first accepts every connection waiting (uvloop accepts until the queue is empty), so a
burst of keep-alive connections (a load balancer's pool opened at start, sixteen clients
at once) could all land on one process and stay there while the others idled: in the
benchmark's runs with two processes, one of them served 97 % of the requests in four runs
out of eight (``bench/README.md``). With a socket of its own in each process, the kernel
hands each new connection to one of the sockets by a hash of its addresses, whichever
process is busy.

The supervisor (uvicorn's ``Multiprocess``) binds a :class:`ReusePortSocket` and hands it to
each process it spawns, also to the ones it starts again. Handed over (pickled for the new
process), it does not share the supervisor's socket: it binds a new one on the same address
in the process that receives it. The supervisor's own socket never listens, so it takes no
connections; it keeps the address bound while the processes come and go."""

from __future__ import annotations

import socket
from typing import Any, TypeVar

__all__ = ["ReusePortSocket", "bind_reuse_port", "reuse_port_supported"]

_S = TypeVar("_S", bound=socket.socket)


def reuse_port_supported() -> bool:
    """Whether this system has ``SO_REUSEPORT`` (Linux and the BSDs; not Windows)."""
    return hasattr(socket, "SO_REUSEPORT")


def bind_reuse_port(host: str, port: int) -> ReusePortSocket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (not listening yet), which
    other sockets of the same user may bind too. ``port`` 0: a free port, which the sockets
    made from this one (:meth:`ReusePortSocket.__reduce_ex__`) share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return _bound(ReusePortSocket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP), (host, port))


def _bound(sock: _S, address: tuple[Any, ...]) -> _S:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        sock.set_inheritable(True)
    except BaseException:
        sock.close()
        raise
    return sock


def _rebind(family: int, address: tuple[Any, ...]) -> socket.socket:
    """In the process that receives a :class:`ReusePortSocket`: a new socket of its own on
    the same address."""
    return _bound(socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP), address)


class ReusePortSocket(socket.socket):
    """A socket bound with ``SO_REUSEPORT`` that, handed to another process, becomes a new
    socket on the same address there (see the module's text)."""

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (_rebind, (int(self.family), self.getsockname()))
