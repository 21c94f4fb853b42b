"""The enrollment record (contract/schema/enrollment-record.schema.json): validated with jsonschema, written
atomically with mode 0600, read and revoked (contract/enrollment.json `write`, `fileMode`)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from functools import cache
from typing import Any, Literal, TypedDict, cast

from jsonschema import Draft202012Validator, ValidationError

from trusted_proxy_auth._contract import read_contract_file, setting_name
from trusted_proxy_auth._events import EventListener, emit
from trusted_proxy_auth._local_file import MAX_LOCAL_FILE_BYTES, LocalFileError, read_local_file
from trusted_proxy_auth.errors import ConfigProblem, TrustedProxyAuthError

#: A setting value as TRUSTED_PROXY_CONFIG_FILE accepts it.
SettingValue = str | int | float | list[str]

_FILE_SETTING = setting_name("enrollmentFile")
_SCHEMA_FILE = "enrollment-record.schema.json"


class EnrolledBy(TypedDict):
    subject: str
    issuer: str
    method: Literal["cli", "page"]


class EnrolledKeyEntry(TypedDict):
    kid: str | None
    kty: Literal["RSA", "EC", "OKP"]
    alg: str | None
    thumbprint: str


class CheckEntry(TypedDict):
    id: str
    result: Literal["pass"]


class EnrollmentRecord(TypedDict):
    """The JSON document, camelCase keys as in the schema."""

    format: str
    settings: dict[str, SettingValue]
    enrolledAt: str
    enrolledBy: EnrolledBy
    keySetUrl: str | None
    keys: list[EnrolledKeyEntry]
    checks: list[CheckEntry]


@cache
def _validator() -> Draft202012Validator:
    schema = read_contract_file(_SCHEMA_FILE)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


#: At most this many schema problems are listed; a wholly wrong file would otherwise list hundreds.
_MAX_LISTED = 20
_NAMED_SEGMENT = re.compile(r"(?:[A-Za-z]{1,40}|TRUSTED_PROXY_[A-Z0-9_]{1,80}|[0-9]{1,4})")
_NAMED_MEMBER = re.compile(r"(?:[A-Za-z]{1,40}|TRUSTED_PROXY_[A-Z0-9_]{1,80})")


def _location(error: ValidationError) -> str:
    """Where the schema failed as a JSON Pointer, keeping only segments that are setting or member names of the
    schema (any other becomes `*`), plus the offending member's name for additionalProperties."""
    named = [str(part) if _NAMED_SEGMENT.fullmatch(str(part)) else "*" for part in error.absolute_path]
    member = ""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extras = [name for name in error.instance if name not in allowed]
        if extras and _NAMED_MEMBER.fullmatch(str(extras[0])):
            member = f"/{extras[0]}"
    return re.sub(r"^//", "/", f"/{'/'.join(named)}{member}")


def record_problems(document: object) -> list[str]:
    """Every schema violation of `document` (at most 20), as `does not match the enrollment record schema at
    <where> (<keyword>)`: the place and the rule, never the offending value (a misplaced secret must not reach a
    log through this message). The TypeScript core words them the same way."""
    problems: list[str] = []
    for error in _validator().iter_errors(document):
        message = f"does not match the enrollment record schema at {_location(error)} ({error.validator})"
        if message not in problems:
            problems.append(message)
        if len(problems) == _MAX_LISTED:
            break
    return problems


def validate_enrollment_record(document: object, *, variable: str = _FILE_SETTING) -> EnrollmentRecord:
    """Returns `document` typed as a record; raises `invalid_config` with one problem per violation (named
    by `variable`, default the enrollment file setting)."""
    problems = record_problems(document)
    if problems:
        raise TrustedProxyAuthError(
            "invalid_config",
            problems=[ConfigProblem(variable, problem) for problem in problems],
        )
    return cast("EnrollmentRecord", document)


def _reject_constant(_name: str) -> Any:
    raise ValueError("not JSON")


def read_enrollment_record(path: str) -> EnrollmentRecord | None:
    """The record at `path`; None when no file exists there. Raises `invalid_config` (problems on
    the enrollment file setting) when it cannot be read (not a regular file: a FIFO or device is never waited
    on), is over 1 MiB, is not JSON or fails the schema."""
    try:
        text = read_local_file(path, MAX_LOCAL_FILE_BYTES).decode("utf-8")
    except LocalFileError as error:
        if error.missing:
            return None
        raise TrustedProxyAuthError("invalid_config", problems=[ConfigProblem(_FILE_SETTING, error.reason)]) from None
    except UnicodeDecodeError:
        raise TrustedProxyAuthError(
            "invalid_config", problems=[ConfigProblem(_FILE_SETTING, "cannot be read")]
        ) from None
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise TrustedProxyAuthError(
            "invalid_config", problems=[ConfigProblem(_FILE_SETTING, "is not a JSON document")]
        ) from None
    return validate_enrollment_record(document)


def _sync_directory(directory: str) -> None:
    """Makes the rename durable (POSIX: the directory entry is data of the directory)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def write_enrollment_record(path: str, record: EnrollmentRecord) -> None:
    """Validates `record` and writes it atomically: a temporary file in the same directory, created with mode
    0600 (contract/enrollment.json `fileMode`), written, flushed, fsynced, then renamed over `path`. A reader
    sees the old record or the new one, never a part. Raises `invalid_config` for an invalid record, OSError
    when the directory is not writable."""
    validate_enrollment_record(record)
    text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    directory = os.path.dirname(os.path.abspath(path))
    # mkstemp creates the file with O_EXCL and mode 0600 whatever the umask.
    descriptor, temporary = tempfile.mkstemp(prefix=".enrollment-", suffix=".tmp", dir=directory)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def revoke_enrollment(path: str, *, on_event: EventListener | None = None) -> bool:
    """Removes the record at `path` (the application stops trusting what it enrolled at its next configuration
    load, or at once when the enrollment page switches it). Returns whether a record existed. Emits
    `{"type": "enrollment_revoked"}` for the audit trail."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    _sync_directory(os.path.dirname(os.path.abspath(path)))
    emit(on_event, {"type": "enrollment_revoked"})
    return True
