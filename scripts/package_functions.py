"""Build one reproducible deployment zip per Lambda function: build/<function>.zip.

A function is a folder ``functions/<name>/`` with a ``requirements.txt`` and a package
``functions/<name>/<name>/``. Its zip contains, at the root:

* the function's package,
* the shared package ``audit_common`` from ``functions/common/``,
* the distributions in its ``requirements.txt`` and their dependencies, installed by pip
  for the Lambda runtime's platform (wheels only), without boto3, botocore and
  s3transfer, which the Lambda Python runtime provides.

The same sources and the same wheels give the same bytes: entries are sorted, every
entry has the timestamp 1980-01-01 00:00:00 and the mode 0644, and no console script
(``bin/``) goes in. The command prints each zip's size and SHA-256; Terraform's
``filebase64sha256`` of the file is the base64 form of that hash.

Every module is compiled to bytecode in the zip, because Lambda's /var/task is
read-only: without ``.pyc`` files each cold start compiles every imported module again
(docs/benchmarks.md measures the difference). The ``.pyc`` files are of the
unchecked-hash kind (PEP 552), which Python loads without comparing them with the
source's timestamp, and they are compiled in one process with a fixed hash seed and
the path ``/var/task``, so that they too are the same bytes on every build. They are
only written when this interpreter is the runtime's Python version (a ``.pyc`` of
another version would be ignored); otherwise the zip contains source only, with a
warning.

NOTE: pip picks the newest release of each dependency that requirements.txt does not
pin (python-dateutil, tzdata, ...), so a build after such a release differs. Pin them in
requirements.txt when two builds on different days must give the same bytes.

Command line::

    python scripts/package_functions.py                    # every function
    python scripts/package_functions.py subscriber --output-dir build
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPOSITORY / "functions"
DEFAULT_OUTPUT_DIR = REPOSITORY / "build"

# The Lambda python3.11 runtime runs on Amazon Linux 2 (glibc 2.26) on x86_64, so
# manylinux2014 (glibc 2.17) wheels are the newest that are sure to load there.
DEFAULT_PLATFORM = "manylinux2014_x86_64"
DEFAULT_PYTHON_VERSION = "3.11"
# Distributions that the Lambda Python runtime ships: bundling them would only add size.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")

# 1980-01-01 is the earliest time a zip entry can hold.
FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
SKIPPED_DIRECTORIES = frozenset({"__pycache__", "bin"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")
# The folder Lambda unpacks the zip into, recorded in the bytecode for tracebacks.
LAMBDA_TASK_ROOT = "/var/task"


class PackagingError(RuntimeError):
    """A function could not be packaged."""


@dataclass(frozen=True)
class BuiltPackage:
    """A zip that ``build`` wrote."""

    function: str
    path: Path
    size_bytes: int
    sha256: str


def discover_functions(functions_dir: Path = FUNCTIONS_DIR) -> list[str]:
    """Return the names of the function folders: those with requirements.txt and a package."""
    return sorted(
        entry.name
        for entry in functions_dir.iterdir()
        if (entry / "requirements.txt").is_file() and (entry / entry.name).is_dir()
    )


def install_requirements(
    requirements: Path, target: Path, *, platform: str, python_version: str
) -> None:
    """Install the requirements into ``target`` as wheels built for the Lambda platform."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--no-compile",
        "--only-binary=:all:",
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--target",
        str(target),
        "--requirement",
        str(requirements),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PackagingError(
            f"pip could not install {requirements} for {platform}, Python {python_version} "
            f"(exit code {result.returncode}):\n{result.stderr.strip()}"
        )


def remove_runtime_provided(site: Path) -> None:
    """Delete the runtime's own distributions (boto3, ...) that a dependency pulled in."""
    for entry in site.iterdir():
        name = entry.name.split("-", 1)[0].lower() if entry.suffix == ".dist-info" else entry.name
        if name in RUNTIME_PROVIDED:
            shutil.rmtree(entry)


def iter_files(root: Path, *, bytecode: bool = False) -> Iterator[tuple[str, Path]]:
    """Yield (archive name, path) for every file to package below ``root``, in any order.

    ``__pycache__`` folders and ``.pyc`` files are left out unless ``bytecode`` is true.
    """
    skipped_directories = SKIPPED_DIRECTORIES - ({"__pycache__"} if bytecode else set())
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [name for name in subdirectories if name not in skipped_directories]
        for name in files:
            if name.endswith(SKIPPED_SUFFIXES) and not bytecode:
                continue
            path = Path(directory, name)
            yield path.relative_to(root).as_posix(), path


def copy_sources(source: Path, destination: Path) -> None:
    """Copy a package without any bytecode a development run left in it."""
    shutil.copytree(
        source, destination, ignore=shutil.ignore_patterns("__pycache__", *SKIPPED_SUFFIXES)
    )


def compile_bytecode(site: Path) -> None:
    """Compile every module below ``site`` to reproducible unchecked-hash ``.pyc`` files."""
    for stale in sorted(site.rglob("__pycache__"), reverse=True):
        shutil.rmtree(stale)
    command = [
        sys.executable,
        "-m",
        "compileall",
        "-q",
        "--invalidation-mode",
        "unchecked-hash",
        "-d",
        LAMBDA_TASK_ROOT,
        str(site),
    ]
    # One process (no -j), in sorted order, with a fixed hash seed: the marshalled
    # constants (frozensets among them) then come out in the same order every time.
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if result.returncode != 0:
        raise PackagingError(
            f"compileall failed in {site} (exit code {result.returncode}):\n"
            f"{(result.stdout + result.stderr).strip()[-4000:]}"
        )


def write_zip(entries: Iterable[tuple[str, Path]], destination: Path) -> None:
    """Write the files to a zip whose bytes depend only on the names and contents."""
    by_name: dict[str, Path] = {}
    for archive_name, path in entries:
        if archive_name in by_name:
            raise PackagingError(
                f"{archive_name} comes from both {by_name[archive_name]} and {path}; "
                "rename one of them"
            )
        by_name[archive_name] = path
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for archive_name in sorted(by_name):
            info = zipfile.ZipInfo(archive_name, date_time=FIXED_TIMESTAMP)
            info.create_system = 3  # Unix, so that external_attr contains the file mode
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, by_name[archive_name].read_bytes(), compresslevel=9)
    partial.replace(destination)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def running_python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def build(
    function: str,
    output_dir: Path = DEFAULT_OUTPUT_DIR,
    *,
    functions_dir: Path = FUNCTIONS_DIR,
    platform: str = DEFAULT_PLATFORM,
    python_version: str = DEFAULT_PYTHON_VERSION,
    bytecode: bool = True,
) -> BuiltPackage:
    """Build ``<output_dir>/<function>.zip`` and return its path, size and SHA-256.

    With ``bytecode`` (and this interpreter at ``python_version``) the zip contains ``.pyc``
    files beside the sources.
    """
    function_dir = functions_dir / function
    package = function_dir / function
    requirements = function_dir / "requirements.txt"
    if not package.is_dir() or not requirements.is_file():
        raise PackagingError(
            f"{function_dir} is not a function folder: it needs requirements.txt and a "
            f"package folder {function}/; functions found: "
            f"{', '.join(discover_functions(functions_dir)) or 'none'}"
        )
    common = functions_dir / "common" / "audit_common"
    with tempfile.TemporaryDirectory(prefix=f"package-{function}-") as staging:
        site = Path(staging)
        install_requirements(requirements, site, platform=platform, python_version=python_version)
        remove_runtime_provided(site)
        for source in (package, common):
            if (site / source.name).exists():
                raise PackagingError(
                    f"a dependency in {requirements} installs a top-level {source.name}, "
                    "which would shadow the function's own code"
                )
        copy_sources(package, site / package.name)
        copy_sources(common, site / common.name)
        compiled = bytecode and python_version == running_python_version()
        if bytecode and not compiled:
            print(
                f"package_functions: warning: Python {running_python_version()} cannot compile "
                f"bytecode for the Python {python_version} runtime; {function}.zip contains "
                "source only and each cold start compiles it. Run this command with "
                f"Python {python_version}.",
                file=sys.stderr,
            )
        if compiled:
            compile_bytecode(site)
        entries = list(iter_files(site, bytecode=compiled))
        destination = output_dir / f"{function}.zip"
        write_zip(entries, destination)
    return BuiltPackage(function, destination, destination.stat().st_size, sha256_of(destination))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "functions",
        nargs="*",
        metavar="FUNCTION",
        help="function folder names under functions/ (default: all of them)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help="folder for the zips (default: build/ in the repository)",
    )
    parser.add_argument(
        "--platform",
        default=DEFAULT_PLATFORM,
        help=f"pip platform tag of the Lambda runtime (default: {DEFAULT_PLATFORM})",
    )
    parser.add_argument(
        "--python-version",
        default=DEFAULT_PYTHON_VERSION,
        help=f"Python version of the Lambda runtime (default: {DEFAULT_PYTHON_VERSION})",
    )
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="leave the .pyc files out (smaller zip, slower cold start)",
    )
    args = parser.parse_args(argv)
    functions = args.functions or discover_functions()
    try:
        for function in functions:
            built = build(
                function,
                args.output_dir,
                platform=args.platform,
                python_version=args.python_version,
                bytecode=not args.no_bytecode,
            )
            print(f"{built.path}  {built.size_bytes} bytes  sha256 {built.sha256}", flush=True)
    except PackagingError as error:
        print(f"package_functions: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
