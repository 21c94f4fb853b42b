"""Reading the library's local files (configuration file, enrollment record, key set file) safely."""

from __future__ import annotations

import os
import stat

#: The most a configuration file or enrollment record may hold (bytes); a key set file has MAX_KEY_SET_BYTES.
MAX_LOCAL_FILE_BYTES = 1024 * 1024


class LocalFileError(Exception):
    """Why a local file could not be read; `reason` is the non-secret cause (`not found`, `cannot be read`,
    `larger than N bytes`) and `missing` whether no file exists there."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


def read_local_file(path: str, max_bytes: int) -> bytes:
    """The bytes of the regular file at `path`, at most `max_bytes` of them. Opened without blocking and checked
    on the open descriptor, so a FIFO, a device (a symlink to /dev/zero), a directory or a file swapped between
    a check and the read is refused instead of hanging the process or filling its memory; at most
    `max_bytes + 1` bytes are ever read.

    Raises:
        LocalFileError: `not found` (missing=True), `cannot be read` (not a regular file, no permission, I/O
            error) or `larger than <max_bytes> bytes`.
    """
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer (absent on Windows).
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise LocalFileError("not found", missing=True) from None
    except OSError:
        raise LocalFileError("cannot be read") from None
    try:
        try:
            regular = stat.S_ISREG(os.fstat(descriptor).st_mode)
        except OSError:
            regular = False
        if not regular:
            raise LocalFileError("cannot be read")
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            try:
                chunk = os.read(descriptor, min(64 * 1024, max_bytes + 1 - total))
            except OSError:
                raise LocalFileError("cannot be read") from None
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise LocalFileError(f"larger than {max_bytes} bytes")
        return b"".join(chunks)
    finally:
        os.close(descriptor)
