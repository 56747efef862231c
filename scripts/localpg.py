"""Start and stop a throwaway PostgreSQL cluster with pg_partman and pg_cron.

The cluster listens on 127.0.0.1 only, on a free port unless one is given.
initdb and pg_ctl refuse to run as root, so when this runs as root the
cluster belongs to the ``postgres`` OS user and both commands run through
``runuser``; as a normal user they run directly.

Command line::

    python scripts/localpg.py start --data-dir .local/pg [--port 5433]
    python scripts/localpg.py stop --data-dir .local/pg
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"
DEFAULT_DATABASE = "audit"


def find_bin_dir() -> Path:
    """Return the PostgreSQL server bin directory: $PG_BIN, else the newest Debian one."""
    configured = os.environ.get("PG_BIN")
    if configured:
        return Path(configured)
    on_path = shutil.which("initdb")
    if on_path:
        # Debian links initdb into /usr/local/bin on some machines; psql lives beside the target.
        return Path(on_path).resolve().parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]),
    )
    if not candidates:
        raise RuntimeError(
            "PostgreSQL server binaries not found: install postgresql-15 "
            "or set PG_BIN to the directory that holds initdb and pg_ctl"
        )
    return Path(candidates[-1]).parent


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Connection:
    """Where the cluster listens and how to log in as its superuser."""

    host: str
    port: int
    database: str
    user: str
    password: str

    def url(self, database: str | None = None) -> str:
        return (
            f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/"
            f"{database or self.database}"
        )


class LocalPostgres:
    """A PostgreSQL cluster in one data directory, owned by this process."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        port: int | None = None,
        database: str = DEFAULT_DATABASE,
        *,
        durable: bool = False,
    ) -> None:
        self._owns_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="audit-pg-")).resolve()
        self.port = port or free_port()
        self.database = database
        self.durable = durable
        self.bin_dir = find_bin_dir()
        self.run_as = SUPERUSER if os.geteuid() == 0 else None
        self._password_file = self.data_dir.parent / f".{self.data_dir.name}.password"

    # -- commands -------------------------------------------------------------

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / program), *args]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"{program} failed with exit code {result.returncode}: "
                f"{(result.stderr or result.stdout).strip()}"
            )
        return result

    def _chown(self, path: Path) -> None:
        if self.run_as:
            owner = pwd.getpwnam(self.run_as)
            os.chown(path, owner.pw_uid, owner.pw_gid)

    # -- lifecycle --------------------------------------------------------------

    @property
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    @property
    def running(self) -> bool:
        pid_file = self.data_dir / "postmaster.pid"
        return pid_file.exists()

    def check_extensions(self) -> None:
        """Raise if pg_partman or pg_cron is not installed for this PostgreSQL."""
        pg_config = str(self.bin_dir / "pg_config")
        share = subprocess.run(
            [pg_config, "--sharedir"], capture_output=True, text=True, check=True
        )
        lib = subprocess.run([pg_config, "--pkglibdir"], capture_output=True, text=True, check=True)
        required = {
            "pg_partman": Path(share.stdout.strip()) / "extension" / "pg_partman.control",
            "pg_cron": Path(lib.stdout.strip()) / "pg_cron.so",
        }
        missing = [name for name, path in required.items() if not path.exists()]
        if missing:
            raise RuntimeError(
                f"{' and '.join(missing)} not installed for the PostgreSQL in {self.bin_dir}: "
                "run `make deps` (Debian: apt-get install postgresql-15-partman "
                "postgresql-15-cron)"
            )

    def init(self) -> None:
        """Create the cluster and write its configuration."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        self._chown(self.data_dir)
        password = secrets.token_urlsafe(18)
        with tempfile.NamedTemporaryFile("w", delete=False, prefix="pgpw-") as pwfile:
            pwfile.write(password + "\n")
        self._chown(Path(pwfile.name))
        try:
            self._run(
                "initdb",
                "--pgdata",
                str(self.data_dir),
                "--username",
                SUPERUSER,
                "--pwfile",
                pwfile.name,
                "--auth-local",
                "trust",
                "--auth-host",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
                *([] if self.durable else ["--no-sync"]),
            )
        finally:
            os.unlink(pwfile.name)
        self._password_file.write_text(password)
        self._password_file.chmod(0o600)
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.data_dir}'",
            "shared_preload_libraries": "'pg_cron'",
            "cron.database_name": f"'{self.database}'",
            # Background workers run the jobs, so pg_cron needs no login of its own.
            "cron.use_background_workers": "on",
            "max_worker_processes": "16",
            "timezone": "'UTC'",
            "log_timezone": "'UTC'",
            "max_connections": "100",
        }
        if not self.durable:
            settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# Written by scripts/localpg.py\n")
            for name, value in settings.items():
                conf.write(f"{name} = {value}\n")

    def start(self) -> Connection:
        """Initialise the cluster if needed, start it and create the database."""
        if not self.initialised:
            self.check_extensions()
            self.init()
        self._run(
            "pg_ctl",
            "--pgdata",
            str(self.data_dir),
            "--log",
            str(self.data_dir / "server.log"),
            "--options",
            f"-p {self.port}",
            "--wait",
            "start",
        )
        try:
            self._create_database()
        except BaseException:
            self.stop()
            raise
        return self.connection

    def stop(self, remove: bool | None = None, *, mode: str = "fast") -> None:
        """Stop the cluster; remove its directory if this object created it.

        ``mode`` is pg_ctl's shutdown mode. ``fast`` rolls back open transactions and
        disconnects clients. ``immediate`` kills every server process, as a crash does,
        so the next start recovers from the WAL.
        """
        if self.initialised and self.running:
            self._run("pg_ctl", "--pgdata", str(self.data_dir), "--mode", mode, "--wait", "stop")
        if remove if remove is not None else self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                self._password_file.unlink()

    def restart(self, *, mode: str = "fast") -> None:
        """Stop and start the server, keeping its data (a failover, as clients see it)."""
        self._run("pg_ctl", "--pgdata", str(self.data_dir), "--mode", mode, "--wait", "stop")
        self.start()

    @property
    def connection(self) -> Connection:
        return Connection(
            host="127.0.0.1",
            port=self.port,
            database=self.database,
            user=SUPERUSER,
            password=self._password_file.read_text(),
        )

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run SQL through psql over the Unix socket as the superuser; return its output."""
        result = self._run(
            "psql",
            "--no-psqlrc",
            "--quiet",
            "--tuples-only",
            "--no-align",
            "--set",
            "ON_ERROR_STOP=1",
            "--host",
            str(self.data_dir),
            "--port",
            str(self.port),
            "--username",
            SUPERUSER,
            "--dbname",
            database or "postgres",
            "--command",
            sql,
        )
        return result.stdout.strip()

    def _create_database(self) -> None:
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'")
        if not exists:
            self.psql(f'CREATE DATABASE "{self.database}"')

    def __enter__(self) -> LocalPostgres:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument(
        "--data-dir", required=True, help="cluster directory, created on first start"
    )
    parser.add_argument("--port", type=int, help="TCP port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="database to create")
    args = parser.parse_args(argv)
    cluster = LocalPostgres(args.data_dir, args.port, args.database)
    if args.action == "start":
        print(cluster.start().url())
    else:
        cluster.stop(remove=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
