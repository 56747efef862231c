"""flyway_local.checksum against values computed by Java the way Flyway does."""

from __future__ import annotations

import pytest
from flyway_local import checksum

# Printed by a throwaway Java 17 program: CRC32 per BufferedReader line, BOM cut, as in Flyway.
CASES = {
    "lf": (b"CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n", 169406234),
    "crlf": (b"CREATE TABLE t (id int);\r\nINSERT INTO t VALUES (1);\r\n", 169406234),
    "cr_only": (b"CREATE TABLE t (id int);\rINSERT INTO t VALUES (1);\r", 169406234),
    "mixed_endings": (
        b"CREATE TABLE t (id int);\r\nINSERT INTO t VALUES (1);\rSELECT 1;\n",
        -1845084751,
    ),
    "bom": (b"\xef\xbb\xbfCREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n", 169406234),
    "bom_on_second_line": (
        b"CREATE TABLE t (id int);\n\xef\xbb\xbfINSERT INTO t VALUES (1);\n",
        170770672,
    ),
    "no_final_newline": (b"CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);", 169406234),
    "extra_blank_lines": (
        b"\n\nCREATE TABLE t (id int);\n\n\n\nINSERT INTO t VALUES (1);\n\n\n",
        169406234,
    ),
    "form_feed_in_line": (
        b"CREATE TABLE t (id int);\x0c-- next page\nINSERT INTO t VALUES (1);\n",
        -314224008,
    ),
    "u2028_u2029_in_line": ("SELECT 'a\u2028b';\nSELECT 'c\u2029d';\n".encode(), 1735388694),
    "vt_fs_gs_rs_nel_in_line": (
        "SELECT 'v\x0bt', 'f\x1cs', 'n\x85l', 'g\x1dr', 'r\x1es';\n".encode(),
        1958407834,
    ),
    "multibyte_utf8": (
        "INSERT INTO t VALUES ('h\u00e9llo', '\u65e5\u672c\u8a9e', '\U0001f600');\n".encode(),
        -588028284,
    ),
    "trailing_whitespace": (b"SELECT 1;   \n\tSELECT 2;\t\n", 2069360341),
    "empty_file": (b"", 0),
    "only_line_breaks": (b"\n\r\n\r", 0),
}


@pytest.mark.parametrize(("data", "expected"), CASES.values(), ids=CASES.keys())
def test_checksum_matches_java(data: bytes, expected: int) -> None:
    assert checksum(data) == expected


def test_checksum_is_signed_32_bit() -> None:
    values = [checksum(data) for data, _ in CASES.values()]
    assert all(-(2**31) <= value < 2**31 for value in values)


def test_checksum_rejects_invalid_utf8() -> None:
    with pytest.raises(UnicodeDecodeError):
        checksum(b"SELECT '\xff';\n")
