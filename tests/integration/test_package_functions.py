"""scripts/package_functions.py: reproducible Lambda zips with only what each function needs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from package_functions import (
    FILE_MODE,
    FIXED_TIMESTAMP,
    PackagingError,
    build,
    discover_functions,
    main,
    write_zip,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """The subscriber built twice, into two folders (pip installs its wheels each time)."""
    first = build("subscriber", tmp_path_factory.mktemp("first"))
    second = build("subscriber", tmp_path_factory.mktemp("second"))
    return first, second


def test_two_builds_are_identical(two_builds):
    first, second = two_builds
    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()


def test_zip_contains_handler_and_common(two_builds):
    names = set(zipfile.ZipFile(two_builds[0].path).namelist())
    assert "subscriber/handler.py" in names
    assert "subscriber/schemas/audit-event.v1.json" in names
    assert "audit_common/__init__.py" in names
    assert "audit_common/database.py" in names
    assert "pg8000/__init__.py" in names
    assert "aws_lambda_powertools/__init__.py" in names


def test_zip_leaves_out_tests_and_runtime(two_builds):
    names = zipfile.ZipFile(two_builds[0].path).namelist()
    top_levels = {name.split("/", 1)[0] for name in names}
    assert "tests" not in top_levels
    assert "graphql_api" not in top_levels
    assert "bin" not in top_levels
    assert not {"boto3", "botocore", "s3transfer"} & top_levels


def _cached_name(module: str, tag: str) -> str:
    """Where Python looks for the bytecode of `module`, an archive name ending in .py."""
    folder, _, file = module.rpartition("/")
    return f"{folder}/__pycache__/{file[:-3]}.{tag}.pyc".lstrip("/")


def test_zip_holds_unchecked_hash_bytecode_of_every_module(two_builds):
    names = set(zipfile.ZipFile(two_builds[0].path).namelist())
    tag = sys.implementation.cache_tag
    modules = [name for name in names if name.endswith(".py")]
    missing = [name for name in modules if _cached_name(name, tag) not in names]
    assert modules and not missing
    with zipfile.ZipFile(two_builds[0].path) as archive:
        header = archive.read(f"subscriber/__pycache__/handler.{tag}.pyc")[:8]
    # PEP 552: flags 0b01 is hash-based without checking the source.
    assert header[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(header[4:8], "little") == 0b01


def test_runtime_loads_the_bytecode_not_the_source(two_builds, tmp_path):
    with zipfile.ZipFile(two_builds[0].path) as archive:
        archive.extractall(tmp_path)
    # Unpacked files get new timestamps; only unchecked-hash .pyc files survive that.
    (tmp_path / "subscriber" / "envelope.py").write_text(
        "raise SystemExit('compiled the source')\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-B",
            "-c",
            f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import subscriber.envelope",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_no_bytecode_leaves_pyc_out(tmp_path):
    built = build("authorizer", tmp_path, bytecode=False)
    names = zipfile.ZipFile(built.path).namelist()
    assert "authorizer/handler.py" in names
    assert not [name for name in names if name.endswith(".pyc") or "__pycache__" in name]


def test_zip_entries_are_sorted_and_fixed(two_builds):
    infos = zipfile.ZipFile(two_builds[0].path).infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {FIXED_TIMESTAMP}
    assert {info.external_attr >> 16 for info in infos} == {FILE_MODE}


def test_command_prints_size_and_hash(tmp_path, capsys):
    assert main(["subscriber", "--output-dir", str(tmp_path)]) == 0
    line = capsys.readouterr().out.strip()
    built = tmp_path / "subscriber.zip"
    assert line.startswith(f"{built}  {built.stat().st_size} bytes  sha256 ")
    assert len(line.rsplit(" ", 1)[1]) == 64


def test_unknown_function_fails(tmp_path, capsys):
    assert main(["no_such_function", "--output-dir", str(tmp_path)]) == 1
    assert "is not a function folder" in capsys.readouterr().err


def test_functions_discovered():
    functions = discover_functions()
    assert "subscriber" in functions
    assert "graphql_api" in functions
    assert "common" not in functions


def test_write_zip_ignores_file_times(tmp_path):
    source = tmp_path / "module.py"
    source.write_text("VALUE = 1\n")
    write_zip([("module.py", source)], tmp_path / "a.zip")
    source.touch()
    source.chmod(0o755)
    write_zip([("module.py", source)], tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_write_zip_rejects_duplicate_names(tmp_path):
    first, second = tmp_path / "one.py", tmp_path / "two.py"
    first.write_text("")
    second.write_text("")
    with pytest.raises(PackagingError, match="comes from both"):
        write_zip([("same.py", first), ("same.py", second)], tmp_path / "out.zip")
    assert not Path(tmp_path / "out.zip").exists()
