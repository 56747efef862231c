"""Read the files of a Flyway project: its TOML configuration and its SQL migrations.

This is the part of the local Flyway runner (flyway_local.py) that needs no database: it
finds migration files, parses their names, computes Flyway's checksums, reads per-script
.conf files, replaces placeholders and splits scripts into statements, each as Flyway 10
does.
"""

from __future__ import annotations

import logging
import re
import tomllib
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LOG = logging.getLogger("flyway_local.files")

DEFAULT_TABLE = "flyway_schema_history"
DEFAULT_SCHEMA = "public"
BOM = "\ufeff"


class FlywayError(Exception):
    """A migration, the configuration or the schema history is invalid.

    The message names the file or value and the fix.
    """


class ConfigError(FlywayError):
    """The TOML configuration, a ``<script>.conf`` file or a command-line value is invalid."""


class PlaceholderError(FlywayError):
    """A script uses a placeholder that has no value."""


class ValidationError(FlywayError):
    """The migration files and the schema history disagree."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            "Validate failed: migrations have failed validation:\n- " + "\n- ".join(self.problems)
        )


class MigrationError(FlywayError):
    """A migration script failed in PostgreSQL."""

    def __init__(self, message: str, *, script: str, sqlstate: str | None) -> None:
        self.script = script
        self.sqlstate = sqlstate
        super().__init__(message)


# -- checksum -----------------------------------------------------------------------------

# Java's BufferedReader.readLine() ends a line at \n, \r or \r\n and nowhere else.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def checksum(data: bytes) -> int:
    """Compute Flyway's checksum of a migration file's bytes.

    Flyway 10's ChecksumCalculator decodes the file as UTF-8, reads it with Java's
    BufferedReader.readLine(), strips a byte order mark from the first line and feeds each
    line's UTF-8 bytes, without the line terminator, into one CRC-32. Only \\n, \\r and
    \\r\\n end a line: form feed and U+2028 do not, unlike Python's str.splitlines(). The
    result is the CRC as a signed 32-bit int, the value stored in the checksum column.

    Raises UnicodeDecodeError if the data is not UTF-8; Flyway fails on such a file as well.
    """
    return checksum_text(data.decode("utf-8"))


def checksum_text(text: str) -> int:
    """Compute Flyway's checksum of decoded text, such as a script after placeholder replacement."""
    if text.startswith(BOM):
        text = text[1:]
    crc = 0
    for line in _LINE_BREAK.split(text):
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc


# -- migration files ----------------------------------------------------------------------

_VERSION = re.compile(r"[0-9]+(\.[0-9]+)*")


@dataclass(frozen=True, order=True)
class MigrationVersion:
    """A migration version, compared numerically part by part as Flyway's MigrationVersion.

    Trailing zero parts are dropped from the comparison key, so 1, 1.0 and 1_0 are the same
    version, while ``text`` keeps the form that goes into the version column.
    """

    parts: tuple[int, ...]
    text: str = field(compare=False)

    @classmethod
    def parse(cls, raw: str) -> MigrationVersion:
        """Parse a version as written in a file name (``1_2``) or in the history (``1.2``)."""
        text = raw.replace("_", ".")
        if not _VERSION.fullmatch(text):
            raise ValueError(
                f"invalid version {raw!r}: use digits separated by '.' or '_', "
                "such as 1, 2_1 or 3.0.1"
            )
        parts = [int(part) for part in text.split(".")]
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        return cls(tuple(parts), text)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class ResolvedMigration:
    """A migration file found in a location."""

    version: MigrationVersion | None
    description: str
    script: str  # path relative to its location with '/' separators, as in the script column
    path: Path
    data: bytes = field(repr=False)
    checksum: int  # of the file as written, before placeholder replacement
    execute_in_transaction: bool | None  # from <script>.conf; None lets the statements decide
    placeholder_replacement: bool

    @property
    def repeatable(self) -> bool:
        return self.version is None


def parse_migration_name(filename: str) -> tuple[MigrationVersion | None, str]:
    """Split a file name into Flyway's version and description.

    ``V1_2__add_index.sql`` gives version 1.2 and description "add index", and
    ``R__views.sql`` gives no version and description "views". Raises ValueError for any
    other ``.sql`` name.
    """
    expected = "expected V<version>__<description>.sql or R__<description>.sql"
    if not filename.endswith(".sql"):
        raise ValueError(f"{expected}, got a file that does not end in .sql")
    stem = filename[: -len(".sql")]
    prefix, rest = stem[:1], stem[1:]
    version_text, separator, description = rest.partition("__")
    if prefix not in ("V", "R") or not separator:
        raise ValueError(
            f"{expected}; Flyway callbacks and undo or baseline migrations are not supported"
        )
    description = description.replace("_", " ")
    if prefix == "R":
        if version_text:
            raise ValueError(f"{expected}: a repeatable migration has no version after the R")
        return None, description
    if not version_text:
        raise ValueError(f"{expected}: the version after the V is missing")
    return MigrationVersion.parse(version_text), description


def resolve_migrations(locations: Sequence[Path]) -> list[ResolvedMigration]:
    """Find the migrations in the locations: versioned ones by version, then repeatables.

    Subfolders are scanned too, as Flyway does. A missing location only logs a warning,
    which matches Flyway's default (failOnMissingLocations = false).
    """
    migrations: list[ResolvedMigration] = []
    for location in locations:
        if not location.is_dir():
            LOG.warning("Skipping location %s: directory not found", location)
            continue
        for path in sorted(location.rglob("*.sql")):
            if path.is_file():
                migrations.append(_resolve_file(location, path))
    _check_unique(migrations)
    versioned = sorted((m for m in migrations if m.version), key=lambda m: m.version)
    repeatable = sorted((m for m in migrations if not m.version), key=lambda m: m.description)
    return versioned + repeatable


def _resolve_file(location: Path, path: Path) -> ResolvedMigration:
    try:
        version, description = parse_migration_name(path.name)
    except ValueError as error:
        raise FlywayError(
            f"Invalid migration file name {path}: {error}. "
            f"Rename the file or move it out of {location}."
        ) from error
    data = path.read_bytes()
    try:
        file_checksum = checksum(data)
    except UnicodeDecodeError as error:
        raise FlywayError(
            f"Migration {path} is not valid UTF-8 ({error}). Save it as UTF-8."
        ) from error
    execute_in_transaction, placeholder_replacement = _read_script_config(
        path.with_name(path.name + ".conf")
    )
    return ResolvedMigration(
        version=version,
        description=description,
        script=path.relative_to(location).as_posix(),
        path=path,
        data=data,
        checksum=file_checksum,
        execute_in_transaction=execute_in_transaction,
        placeholder_replacement=placeholder_replacement,
    )


def _check_unique(migrations: Sequence[ResolvedMigration]) -> None:
    by_key: dict[object, list[ResolvedMigration]] = {}
    for migration in migrations:
        key = migration.version if migration.version else ("R", migration.description)
        by_key.setdefault(key, []).append(migration)
    for key, group in by_key.items():
        if len(group) < 2:
            continue
        files = ", ".join(str(m.path) for m in group)
        if isinstance(key, MigrationVersion):
            raise FlywayError(
                f"Found more than one migration with version {key}: {files}. "
                "Give each migration its own version."
            )
        raise FlywayError(
            f"Found more than one repeatable migration with description {group[0].description!r}:"
            f" {files}. Give each repeatable migration its own description."
        )


_PROPERTY = re.compile(r"(?P<key>[^=:\s]+)\s*[=:]\s*(?P<value>.*)")


def _read_script_config(path: Path) -> tuple[bool | None, bool]:
    """Read ``executeInTransaction`` and ``placeholderReplacement`` from a script's .conf file.

    The file uses Java properties syntax. Flyway rejects keys it does not know, and this
    runner also rejects the ones it does not implement.
    """
    if not path.is_file():
        return None, True
    settings: dict[str, str] = {}
    for number, raw_line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw_line.strip()
        if not line or line[0] in "#!":
            continue
        match = _PROPERTY.fullmatch(line)
        if not match:
            raise ConfigError(f"{path}:{number}: expected key=value, got {raw_line!r}")
        settings[match["key"]] = match["value"].strip()
    execute_in_transaction = _pop_boolean(settings, "executeInTransaction", path)
    placeholder_replacement = _pop_boolean(settings, "placeholderReplacement", path)
    encoding = settings.pop("encoding", "UTF-8")
    if encoding.upper().replace("-", "") != "UTF8":
        raise ConfigError(
            f"{path}: encoding {encoding!r} is not supported; save the script as UTF-8"
        )
    if settings:
        raise ConfigError(
            f"{path}: unsupported settings {', '.join(sorted(settings))}; "
            "the local runner supports executeInTransaction, placeholderReplacement and encoding"
        )
    return execute_in_transaction, placeholder_replacement is not False


def _pop_boolean(settings: dict[str, str], key: str, path: Path) -> bool | None:
    value = settings.pop(key, None)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise ConfigError(f"{path}: {key} must be true or false, got {value!r}")
    return value.lower() == "true"


# -- configuration ------------------------------------------------------------------------

# The [flyway] keys the local runner reads, with the TOML type each must have.
_CONFIG_KEYS: dict[str, type] = {
    "locations": list,
    "placeholders": dict,
    "table": str,
    "defaultSchema": str,
    "schemas": list,
    "installedBy": str,
    "placeholderReplacement": bool,
    # Accepted but not read: the local runner always rejects badly named .sql files.
    "validateMigrationNaming": bool,
}


@dataclass(frozen=True)
class FlywayConfig:
    """The settings of a Flyway TOML file that the local runner uses."""

    locations: list[Path]
    placeholders: dict[str, str]
    table: str = DEFAULT_TABLE
    schema: str = DEFAULT_SCHEMA
    installed_by: str | None = None
    placeholder_replacement: bool = True


def load_config(path: Path, placeholder_overrides: Mapping[str, str] | None = None) -> FlywayConfig:
    """Read the ``[flyway]`` table of a Flyway 10 TOML configuration file.

    Relative ``filesystem:`` locations are resolved against the folder of the file, which
    is what the official Flyway does when run with ``-workingDirectory`` set to that folder.
    Placeholder overrides replace configured values with the same name, ignoring case.
    Any other [flyway] key raises ConfigError, so that no setting which changes what Flyway
    does is silently ignored here.
    """
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except FileNotFoundError as error:
        raise ConfigError(f"Configuration file {path} not found; pass --config PATH") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"Configuration file {path} is not valid TOML: {error}") from error

    settings = document.get("flyway", {})
    unsupported = sorted(set(settings) - set(_CONFIG_KEYS))
    if unsupported:
        raise ConfigError(
            f"{path}: [flyway] settings {', '.join(unsupported)} are not supported by the local "
            f"runner; it supports {', '.join(sorted(_CONFIG_KEYS))}"
        )
    for key, value in settings.items():
        if not isinstance(value, _CONFIG_KEYS[key]):
            raise ConfigError(
                f"{path}: [flyway] {key} must be a TOML {_CONFIG_KEYS[key].__name__}, got {value!r}"
            )

    base = path.resolve().parent
    raw_locations = settings.get("locations", ["filesystem:sql"])
    if not all(isinstance(location, str) for location in raw_locations):
        raise ConfigError(f'{path}: locations must be strings such as "filesystem:sql"')
    locations = [_parse_location(location, base, path) for location in raw_locations]

    placeholders = settings.get("placeholders", {})
    for name, value in placeholders.items():
        if not isinstance(value, str):
            raise ConfigError(
                f"{path}: placeholder {name} must be a string, got {value!r}; quote the value"
            )
    merged = _merge_placeholders(placeholders, placeholder_overrides or {})

    schemas = settings.get("schemas", [])
    schema = settings.get("defaultSchema") or (schemas[0] if schemas else DEFAULT_SCHEMA)
    return FlywayConfig(
        locations=locations,
        placeholders=merged,
        table=settings.get("table", DEFAULT_TABLE),
        schema=schema,
        installed_by=settings.get("installedBy"),
        placeholder_replacement=settings.get("placeholderReplacement", True),
    )


def _parse_location(location: str, base: Path, config_path: Path) -> Path:
    if not location.startswith("filesystem:"):
        raise ConfigError(
            f"{config_path}: location {location!r} is not supported; use filesystem:<folder>"
        )
    folder = Path(location.removeprefix("filesystem:"))
    return folder if folder.is_absolute() else base / folder


def _merge_placeholders(
    configured: Mapping[str, str], overrides: Mapping[str, str]
) -> dict[str, str]:
    merged = dict(configured)
    for name, value in overrides.items():
        for existing in [key for key in merged if key.lower() == name.lower()]:
            del merged[existing]
        merged[name] = value
    return merged


# -- placeholders -------------------------------------------------------------------------

_BUILT_IN_PLACEHOLDERS = (
    "flyway:defaultSchema",
    "flyway:user",
    "flyway:database",
    "flyway:timestamp",
    "flyway:filename",
    "flyway:workingDirectory",
    "flyway:table",
)


def replace_placeholders(sql: str, values: Mapping[str, str], script: str) -> str:
    """Replace each ``${name}`` in the SQL with its value; names match ignoring case.

    This follows Flyway's PlaceholderReplacingReader exactly: it also replaces inside
    comments and string literals, the name runs to the next ``}``, and a ``$`` that does not
    start ``${`` is copied together with the character after it. So ``$${name}`` stays as
    written while ``$$${name}`` becomes ``$$`` followed by the value.
    """
    lookup = {name.lower(): value for name, value in values.items()}
    output: list[str] = []
    position = 0
    while True:
        dollar = sql.find("$", position)
        if dollar < 0:
            output.append(sql[position:])
            return "".join(output)
        output.append(sql[position:dollar])
        if not sql.startswith("${", dollar):
            output.append(sql[dollar : dollar + 2])
            position = dollar + 2
            continue
        end = sql.find("}", dollar + 2)
        if end < 0:
            raise PlaceholderError(
                f"Unterminated placeholder in {script} at line {line_at(sql, dollar)}: "
                "'${' has no closing '}'"
            )
        name = sql[dollar + 2 : end]
        value = lookup.get(name.lower())
        if value is None:
            raise PlaceholderError(_missing_placeholder_message(name, script, line_at(sql, dollar)))
        output.append(value)
        position = end + 1


def _missing_placeholder_message(name: str, script: str, line: int) -> str:
    if name.lower().startswith("flyway:"):
        return (
            f"Unknown built-in placeholder ${{{name}}} in {script} at line {line}; "
            f"the local runner provides {', '.join(_BUILT_IN_PLACEHOLDERS)}"
        )
    return (
        f"No value provided for placeholder ${{{name}}} in {script} at line {line}. "
        f"Add it under [flyway.placeholders] in the configuration file "
        f"or pass --placeholder {name}=VALUE."
    )


def line_at(text: str, offset: int) -> int:
    """Return the 1-based line of a character offset, counting line breaks as Java does."""
    return len(_LINE_BREAK.findall(text, 0, offset)) + 1


# -- SQL statements -----------------------------------------------------------------------

_IDENTIFIER_CHAR = re.compile(r"[\w$]")
_LINE_END = re.compile(r"[\r\n]")
_WORD = re.compile(r"[^\W\d][\w$]*")
_DOLLAR_QUOTE = re.compile(r"\$(?:[^\W\d]\w*)?\$")

# Statements that PostgreSQL rejects inside a transaction block. Flyway's PostgreSQLParser
# runs a script that contains one of them outside a transaction, even without a .conf file.
_NON_TRANSACTIONAL = tuple(
    re.compile(pattern)
    for pattern in (
        r"(CREATE|DROP) (DATABASE|TABLESPACE|SUBSCRIPTION)\b",
        r"ALTER SYSTEM\b",
        r"(CREATE|DROP)( UNIQUE)? INDEX CONCURRENTLY\b",
        r"REINDEX( VERBOSE)? (SCHEMA|DATABASE|SYSTEM)\b",
        r"VACUUM\b",
        r"DISCARD ALL\b",
    )
)
_ALTER_TYPE_ADD_VALUE = re.compile(r"ALTER TYPE( .*)? ADD VALUE\b")  # only before PostgreSQL 12
_COPY_FROM_STDIN = re.compile(r"COPY( .*)? FROM STDIN\b")


@dataclass(frozen=True)
class SqlStatement:
    """One statement of a script."""

    sql: str  # without the terminating semicolon
    line: int  # 1-based line of its first character that is not a comment
    keywords: str  # upper case, comments and literals removed: used to classify the statement


def split_statements(sql: str) -> list[SqlStatement]:
    """Split a PostgreSQL script at semicolons that end statements.

    Semicolons inside quotes, dollar-quoted bodies, comments (nested /* */ included) and
    BEGIN ATOMIC ... END function bodies do not end a statement, as in Flyway's parser.
    Statements that are only comments are dropped.
    """
    statements: list[SqlStatement] = []
    keywords: list[str] = []
    code_start: int | None = None
    atomic_depth = 0
    previous_word = ""
    position = 0
    length = len(sql)

    def finish(end: int) -> None:
        if code_start is not None:
            statements.append(
                SqlStatement(
                    sql=sql[code_start:end].strip(),
                    line=line_at(sql, code_start),
                    keywords=" ".join(" ".join(keywords).split()),
                )
            )

    while position < length:
        char = sql[position]
        if sql.startswith("--", position):
            # PostgreSQL ends a line comment at \n or \r.
            line_end = _LINE_END.search(sql, position)
            position = line_end.start() if line_end else length
            continue
        if sql.startswith("/*", position):
            position = _skip_block_comment(sql, position)
            keywords.append(" ")
            continue
        if char.isspace():
            position += 1
            continue
        if char == ";" and atomic_depth == 0:
            finish(position)
            code_start, keywords, previous_word = None, [], ""
            position += 1
            continue
        if code_start is None:
            code_start = position
        if char == "'":
            position = _skip_quoted(
                sql, position, "'", backslash_escapes=_is_escape_string(sql, position)
            )
            keywords.append("''")
            continue
        if char == '"':
            position = _skip_quoted(sql, position, '"', backslash_escapes=False)
            keywords.append('""')
            continue
        preceded_by_identifier = position > 0 and _IDENTIFIER_CHAR.match(sql[position - 1])
        dollar_quote = _DOLLAR_QUOTE.match(sql, position) if char == "$" else None
        if dollar_quote and not preceded_by_identifier:
            closing = sql.find(dollar_quote.group(), dollar_quote.end())
            position = length if closing < 0 else closing + len(dollar_quote.group())
            keywords.append("$$")
            continue
        word = _WORD.match(sql, position)
        if word and not preceded_by_identifier:
            text = word.group().upper()
            # Flyway's PostgreSQLParser counts BEGIN ATOMIC, and CASE inside it, as blocks.
            if text == "ATOMIC" and previous_word == "BEGIN":
                atomic_depth += 1
            elif text == "CASE" and atomic_depth > 0:
                atomic_depth += 1
            elif text == "END" and atomic_depth > 0:
                atomic_depth -= 1
            previous_word = text
            keywords.append(text)
            position = word.end()
            continue
        keywords.append(char)
        position += 1
    finish(length)
    return statements


def _skip_block_comment(sql: str, position: int) -> int:
    depth = 0
    while position < len(sql):
        if sql.startswith("/*", position):
            depth += 1
            position += 2
        elif sql.startswith("*/", position):
            depth -= 1
            position += 2
            if depth == 0:
                return position
        else:
            position += 1
    return position


def _skip_quoted(sql: str, position: int, quote: str, *, backslash_escapes: bool) -> int:
    position += 1
    while position < len(sql):
        char = sql[position]
        if backslash_escapes and char == "\\":
            position += 2
        elif char == quote:
            if sql.startswith(quote * 2, position):
                position += 2
            else:
                return position + 1
        else:
            position += 1
    return position


def _is_escape_string(sql: str, quote_position: int) -> bool:
    """Return whether the quote opens an E'...' string, where backslash escapes a quote."""
    if quote_position == 0 or sql[quote_position - 1] not in "Ee":
        return False
    return quote_position < 2 or not _IDENTIFIER_CHAR.match(sql[quote_position - 2])


def is_copy_from_stdin(statement: SqlStatement) -> bool:
    """Return whether the statement is COPY ... FROM STDIN, which needs data sent after it."""
    return bool(_COPY_FROM_STDIN.match(statement.keywords))


def is_non_transactional(statement: SqlStatement, server_version_num: int) -> bool:
    """Return whether PostgreSQL rejects the statement inside a transaction block."""
    if any(pattern.match(statement.keywords) for pattern in _NON_TRANSACTIONAL):
        return True
    return server_version_num < 120000 and bool(_ALTER_TYPE_ADD_VALUE.match(statement.keywords))
