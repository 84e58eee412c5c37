"""A throwaway PostgreSQL cluster in a temporary folder on 127.0.0.1 (tests, benchmarks).

Uses the Debian PostgreSQL binaries (``/usr/lib/postgresql/<v>/bin``). As root
the cluster runs as the ``postgres`` system user (PostgreSQL refuses root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["TempPostgres", "find_pg_bin", "postgis_available"]


def find_pg_bin() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``, newest version first, or None."""
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(cand, "initdb")):
            return Path(cand)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def postgis_available() -> bool:
    """Whether PostgreSQL binaries and the PostGIS extension are installed."""
    pg_bin = find_pg_bin()
    if pg_bin is None:
        return False
    version = pg_bin.parent.name
    return bool(glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TempPostgres:
    """Start a cluster with ``initdb`` and ``pg_ctl``; stop it and delete its folder on exit.

    ``url`` is ``postgresql://postgres@127.0.0.1:<port>/postgres`` (trust auth).
    ``create_database(name)`` returns the URL of a new, empty database.
    """

    def __init__(self, *, max_connections: int = 200) -> None:
        pg_bin = find_pg_bin()
        if pg_bin is None:
            raise RuntimeError("PostgreSQL binaries not found (run scripts/setup-postgis.sh)")
        self.bin = pg_bin
        self.max_connections = max_connections
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pvz-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._user: str | None = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self._user is not None:
            pw = pwd.getpwnam(self._user)

            def demote() -> None:  # pragma: no cover - runs in the child
                os.setgid(pw.pw_gid)
                os.setuid(pw.pw_uid)

            subprocess.run(cmd, check=True, capture_output=True, preexec_fn=demote, cwd="/")
        else:
            subprocess.run(cmd, check=True, capture_output=True)

    def start(self) -> TempPostgres:
        """Create and start the cluster; waits until it accepts connections."""
        if self._user is not None:
            pw = pwd.getpwnam(self._user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-sync")  # fmt: skip
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c fsync=off "
                f"-c max_connections={self.max_connections} -c unix_socket_directories='' "
                "-c synchronous_commit=off -c full_page_writes=off")  # fmt: skip
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"),
                  "-w", "-t", "60", "start")  # fmt: skip
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        return self

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def clone_database(self, template: str) -> str:
        """A new database copied from ``template`` (fast); returns its URL."""
        import uuid

        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        """Stop the cluster (fast shutdown) and delete its folder."""
        try:
            if self.data.exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:  # pragma: no cover - already stopped
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
