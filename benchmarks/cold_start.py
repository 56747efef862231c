"""Cold start: each function's import and initialisation in a fresh process, and its size.

Each function's zip is built by scripts/package_functions.py, as it is
deployed, and once more without its .pyc files, and both are unpacked into
temporary folders.

Each measurement is a new interpreter, isolated from the virtual
environment (-I -S), whose sys.path is the package folder and the standard
library, as in Lambda. It times, with perf_counter inside the process, the
import of the handler module and the work the function does once per
container (settings, the compiled schema), with -B because Lambda's
/var/task is read-only and nothing compiled there is kept. Two cases:

* as deployed: the zip's unchecked-hash .pyc files are loaded;
* without bytecode: every module of the zip is compiled at each import, as
  it was before the zips contained .pyc files.

Both use the standard library's .pyc files, as the Lambda runtime ships them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from package_functions import build

from benchmarks.stats import median

ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_NAME": "audit-bench",
    "DB_HOST": "127.0.0.1",
    "DB_USER": "bench",
    "DB_PASSWORD": "bench",
    "DB_SSLMODE": "disable",
    "CURSOR_SECRET": "benchmark-cursor-secret-0123456789abcdef",
    "JWT_ISSUER": "https://issuer.invalid/",
    "JWT_AUDIENCE": "audit-log",
    "POWERTOOLS_METRICS_NAMESPACE": "AuditLog",
}


@dataclass(frozen=True)
class Function:
    name: str
    package: str
    # Python run after the import: the once-per-container work of the handler.
    init: str
    target_ms: float


FUNCTIONS = (
    Function(
        "subscriber",
        "subscriber",
        "from subscriber import handler\nhandler.settings()",
        300,
    ),
    Function(
        "authorizer",
        "authorizer",
        "from authorizer import handler\nhandler.authorizer()",
        300,
    ),
    Function(
        "graphql_api",
        "graphql_api",
        "from graphql_api import appsync\n"
        "appsync.context.settings()\n"
        "appsync.context.cursor_key()\n"
        "appsync.context.database()",
        600,
    ),
)

PROBE = """
import sys, time
started = time.perf_counter()
sys.path.insert(0, {folder!r})
{init}
elapsed = time.perf_counter() - started
missing = sorted(name for name in ("boto3", "botocore") if name in sys.modules)
import json
print(json.dumps({{"seconds": elapsed, "modules": len(sys.modules), "boto3": missing}}))
"""


@dataclass(frozen=True)
class ColdStart:
    function: Function
    installed_bytes: int
    zip_bytes: int
    source_zip_bytes: int
    source_ms: list[float]
    bytecode_ms: list[float]
    process_ms: list[float]
    modules: int

    @property
    def source_median(self) -> float:
        return median(self.source_ms)

    @property
    def bytecode_median(self) -> float:
        return median(self.bytecode_ms)


def unpack(function: Function, work: Path, *, bytecode: bool) -> tuple[Path, int]:
    """Build the function's zip as deployed and unpack it; return the folder and zip size."""
    kind = "bytecode" if bytecode else "source"
    built = build(function.name, work / f"zips-{kind}", bytecode=bytecode)
    folder = work / f"{function.name}-{kind}"
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(folder)
    return folder, built.size_bytes


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _probe(function: Function, folder: Path) -> tuple[float, float, dict]:
    """Run one fresh interpreter; return (import and init ms, process wall ms, its report)."""
    code = PROBE.format(folder=str(folder), init=function.init)
    # -B: /var/task is read-only, so nothing compiled at import is ever kept.
    options = ["-I", "-S", "-B"]
    environment = {"PATH": os.environ.get("PATH", ""), **ENVIRONMENT}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *options, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        cwd=folder,
        check=False,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{function.name} failed to start: {result.stderr.strip()}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["seconds"] * 1000, wall * 1000, report


def measure(function: Function, runs: int, work: Path, say: Callable[[str], None]) -> ColdStart:
    say(f"cold start: building {function.name}'s zip with and without bytecode")
    source_folder, source_zip = unpack(function, work, bytecode=False)
    folder, zipped = unpack(function, work, bytecode=True)
    if any(source_folder.rglob("*.pyc")) or not any(folder.rglob("*.pyc")):
        raise RuntimeError(f"{function.name}: the zips do not differ in their .pyc files")
    source, process, bytecode = [], [], []
    modules = 0
    for _ in range(runs + 1):
        seconds, wall, report = _probe(function, source_folder)
        if report["boto3"]:
            raise RuntimeError(f"{function.name} imported {report['boto3']} at start")
        source.append(seconds)
        modules = report["modules"]
        seconds, wall, _ = _probe(function, folder)
        bytecode.append(seconds)
        process.append(wall)
    # The first run of each kind warms the file cache and is left out.
    return ColdStart(
        function=function,
        installed_bytes=folder_bytes(folder),
        zip_bytes=zipped,
        source_zip_bytes=source_zip,
        source_ms=source[1:],
        bytecode_ms=bytecode[1:],
        process_ms=process[1:],
        modules=modules,
    )


def import_profile(function: Function, folder: Path) -> str:
    """Return `python -X importtime` for the function, slowest imports first (cumulative µs)."""
    code = PROBE.format(folder=str(folder), init=function.init)
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), **ENVIRONMENT},
        cwd=folder,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line.removeprefix("import time:").split("|")
        try:
            rows.append((int(parts[1]), int(parts[0]), parts[2].rstrip()))
        except ValueError:
            continue
    rows.sort(reverse=True)
    return "\n".join(f"{cumulative:>9} {own:>9} {name}" for cumulative, own, name in rows[:60])


def run_cold_starts(
    runs: int, say: Callable[[str], None], profile_dir: Path | None = None
) -> list[ColdStart]:
    results = []
    with tempfile.TemporaryDirectory(prefix="audit-cold-") as temporary:
        work = Path(temporary)
        for function in FUNCTIONS:
            result = measure(function, runs, work, say)
            say(
                f"cold start: {function.name}: {result.source_median:.0f} ms without bytecode, "
                f"{result.bytecode_median:.0f} ms with, zip {result.zip_bytes / 2**20:.1f} MiB"
            )
            if profile_dir is not None:
                path = profile_dir / f"importtime-{function.name}.txt"
                folder = work / f"{function.name}-bytecode"
                path.write_text(import_profile(function, folder), encoding="utf-8")
                say(f"cold start: wrote {path}")
            results.append(result)
    return results
