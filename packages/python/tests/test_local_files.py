"""Every local file the library reads (TRUSTED_PROXY_CONFIG_FILE, TRUSTED_PROXY_ENROLLMENT_FILE,
TRUSTED_PROXY_JWKS_FILE, the doctor's key file) is read only when it is a regular file of bounded size: opening a
FIFO blocks until a writer comes, a device such as /dev/zero never ends. Each FIFO here gets a writer, so the old
code (which waited for one) reads it and the test fails rather than hangs. As packages/core/test/local-files.test.ts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import AUDIENCE, HEADER

from trusted_proxy_auth import TrustedProxyAuth, TrustedProxyAuthError, load_config
from trusted_proxy_auth.enrollment import read_enrollment_record

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero are POSIX")

_VECTORS = Path(__file__).resolve().parents[3] / "test-vectors" / "enrollment" / "records.json"
RECORD = json.dumps(next(item["record"] for item in json.loads(_VECTORS.read_text())["records"] if item["configLoads"]))


@pytest.fixture
def fifo_offering(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    writers: list[subprocess.Popen[bytes]] = []

    def offer(content: str) -> str:
        path = tmp_path / "fifo"
        os.mkfifo(path)
        writers.append(subprocess.Popen(["sh", "-c", 'printf "%s" "$1" > "$2"', "sh", content, str(path)]))
        return str(path)

    yield offer
    for writer in writers:
        writer.kill()
        writer.wait()


def _problems(run: Callable[[], Any]) -> list[str]:
    try:
        run()
    except TrustedProxyAuthError as error:
        return [f"{problem.variable} {problem.message}" for problem in error.problems or ()]
    return []


def test_enrollment_record_fifo_device_and_oversize_are_refused_not_read(
    tmp_path: Path, fifo_offering: Callable[[str], str]
) -> None:
    fifo = fifo_offering(RECORD)
    assert _problems(lambda: read_enrollment_record(fifo)) == ["TRUSTED_PROXY_ENROLLMENT_FILE cannot be read"]
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    assert _problems(lambda: read_enrollment_record(str(zero))) == ["TRUSTED_PROXY_ENROLLMENT_FILE cannot be read"]
    large = tmp_path / "large.json"
    large.write_text(RECORD.replace("{", '{"padding":"' + "x" * 1024 * 1024 + '",', 1))
    assert _problems(lambda: read_enrollment_record(str(large))) == [
        "TRUSTED_PROXY_ENROLLMENT_FILE larger than 1048576 bytes"
    ]
    assert read_enrollment_record(str(tmp_path / "absent.json")) is None


def test_configuration_file_fifo_is_refused_not_read(fifo_offering: Callable[[str], str]) -> None:
    settings = {**{"TRUSTED_PROXY_ASSERTION_HEADER": HEADER, "TRUSTED_PROXY_AUDIENCE": AUDIENCE}}
    settings |= {"TRUSTED_PROXY_ISSUER": "https://i.example", "TRUSTED_PROXY_JWKS_URL": "https://i.example/jwks.json"}
    fifo = fifo_offering(json.dumps(settings))
    assert "TRUSTED_PROXY_CONFIG_FILE cannot be read as a JSON file" in _problems(
        lambda: load_config({"TRUSTED_PROXY_CONFIG_FILE": fifo})
    )


def test_key_set_file_symlinked_to_dev_zero_is_unavailable_at_once(tmp_path: Path) -> None:
    zero = tmp_path / "jwks.json"
    zero.symlink_to("/dev/zero")
    env = {"TRUSTED_PROXY_ASSERTION_HEADER": HEADER, "TRUSTED_PROXY_AUDIENCE": AUDIENCE}
    auth = TrustedProxyAuth(
        load_config({**env, "TRUSTED_PROXY_ISSUER": "https://i.example", "TRUSTED_PROXY_JWKS_FILE": str(zero)})
    )
    try:
        with pytest.raises(TrustedProxyAuthError) as refused:
            auth.ready()
        assert (refused.value.code, refused.value.detail) == (
            "jwks_unavailable",
            f"key file {json.dumps(str(zero))}: cannot be read",
        )
    finally:
        auth.close()
