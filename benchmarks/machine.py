"""The machine, versions, commit and date of a benchmark run, for the report."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "pg8000",
    "aws-lambda-powertools",
    "fastjsonschema",
    "ariadne",
    "graphql-core",
    "PyJWT",
    "cryptography",
    "moto",
    "boto3",
)


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    memory_gib: float
    os: str
    python: str
    postgres: str
    packages: dict[str, str]
    commit: str
    started: datetime

    def lines(self) -> list[str]:
        packages = ", ".join(f"{name} {version}" for name, version in self.packages.items())
        return [
            f"- date: {self.started:%Y-%m-%d %H:%M} UTC",
            f"- commit: `{self.commit}`",
            f"- machine: {self.cores} cores ({self.cpu}), {self.memory_gib:.1f} GiB memory, "
            f"{self.os}",
            f"- Python {self.python}; {self.postgres}",
            f"- packages: {packages}",
        ]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    pages = os.sysconf("SC_PHYS_PAGES")
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**30


def _commit() -> str:
    result = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "unknown"


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def describe_machine(postgres_version: str) -> Machine:
    """Describe this machine; `postgres_version` is the server's `SELECT version()` summary."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return Machine(
        cpu=_cpu_model(),
        cores=os.cpu_count() or 0,
        memory_gib=_memory_gib(),
        os=_os_name(),
        python=platform.python_version(),
        postgres=postgres_version,
        packages=versions,
        commit=_commit(),
        started=datetime.now(UTC),
    )
