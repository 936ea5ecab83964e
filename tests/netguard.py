"""No network, proven: every test runs with Python's network calls replaced by a tripwire.

``tests/conftest.py`` imports :func:`network_guard`, an autouse fixture, so the whole suite runs
with ``socket.connect``/``connect_ex``/``sendto``/``create_connection`` and name resolution
refusing (AF_UNIX stays allowed: it never leaves the machine). A refused attempt is also
recorded, and a test during which one happened fails even if the code under test swallowed the
error. libxml2's own I/O is C and bypasses this; ``tests/attacks/test_hardening_attacks.py`` proves it
stays offline with a counting HTTP server on 127.0.0.1.

``python -m tests.netguard ARGS…`` runs the CLI under the same guard in a child process and exits
97 if anything tried to connect.
"""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import Iterator

import pytest

EXIT_NETWORK = 97


class NetworkGuard:
    def __init__(self) -> None:
        self.attempts: list[str] = []
        self.allowed = False
        self.installed = False
        #: while set, connections to a loopback address literal (and only those) are let through
        self.loopback = False

    def _refuse(self, what: str, host: object = None) -> None:
        if self.allowed or (self.loopback and host in LOOPBACK):
            return
        self.attempts.append(what)
        raise OSError(f"network access blocked in tests: {what}")

    def install(self) -> None:
        if self.installed:
            return
        self.installed = True
        guard = self
        original_connect = socket.socket.connect
        original_connect_ex = socket.socket.connect_ex
        original_sendto = socket.socket.sendto
        original_getaddrinfo = socket.getaddrinfo
        original_create_connection = socket.create_connection

        def connect(sock, address):
            if sock.family != socket.AF_UNIX:
                guard._refuse(f"connect {address!r}", _host(address))
            return original_connect(sock, address)

        def connect_ex(sock, address):
            if sock.family != socket.AF_UNIX:
                guard._refuse(f"connect_ex {address!r}", _host(address))
            return original_connect_ex(sock, address)

        def sendto(sock, *args):
            if sock.family != socket.AF_UNIX:
                guard._refuse(f"sendto {args[-1]!r}")
            return original_sendto(sock, *args)

        def getaddrinfo(host, *args, **kwargs):
            guard._refuse(f"getaddrinfo {host!r}", host)
            return original_getaddrinfo(host, *args, **kwargs)

        def create_connection(address, *args, **kwargs):
            guard._refuse(f"create_connection {address!r}", _host(address))
            return original_create_connection(address, *args, **kwargs)

        socket.socket.connect = connect
        socket.socket.connect_ex = connect_ex
        socket.socket.sendto = sendto
        socket.getaddrinfo = getaddrinfo
        socket.create_connection = create_connection
        for name in ("gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
            original = getattr(socket, name)

            def resolver(host, *args, _name=name, _original=original):
                guard._refuse(f"{_name} {host!r}")
                return _original(host, *args)

            setattr(socket, name, resolver)

    @contextlib.contextmanager
    def allowing(self) -> Iterator[None]:
        """For a test's own positive control only (proving a tripwire counts what reaches it)."""
        self.allowed = True
        try:
            yield
        finally:
            self.allowed = False

    @contextlib.contextmanager
    def loopback_only(self) -> Iterator[None]:
        """For tests of the proxy and the test double: 127.0.0.1 and ::1 are reachable, nothing else is."""
        self.loopback = True
        try:
            yield
        finally:
            self.loopback = False


LOOPBACK = frozenset({"127.0.0.1", "::1", b"127.0.0.1"})


def _host(address: object) -> object:
    return address[0] if isinstance(address, tuple) and address else None


GUARD = NetworkGuard()


@pytest.fixture(autouse=True)
def network_guard() -> Iterator[NetworkGuard]:
    GUARD.install()
    before = len(GUARD.attempts)
    yield GUARD
    attempted = GUARD.attempts[before:]
    if attempted:
        pytest.fail(f"the test attempted network access: {attempted}")


def main() -> None:
    GUARD.install()
    from ssbtek_validator.cli.main import main as cli

    try:
        cli(sys.argv[1:], prog_name="ssbtek-validate")
    except SystemExit:
        if GUARD.attempts:
            print(f"network access attempted: {GUARD.attempts}", file=sys.stderr)
            sys.exit(EXIT_NETWORK)
        raise


if __name__ == "__main__":
    main()
