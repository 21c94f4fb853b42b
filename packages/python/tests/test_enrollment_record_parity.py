"""Record validation parity: every record of test-vectors/enrollment/records.json gets the verdicts written
there (the TypeScript core reads the same file in test/enrollment-record-parity.test.ts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trusted_proxy_auth import TrustedProxyAuthError, load_config
from trusted_proxy_auth.enrollment import record_problems

FIXTURE = Path(__file__).resolve().parents[3] / "test-vectors" / "enrollment" / "records.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["records"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_record_verdicts_match_the_shared_fixture(case: dict[str, Any], tmp_path: Path) -> None:
    assert (record_problems(case["record"]) == []) is case["schemaValid"]
    path = tmp_path / "enrollment.json"
    path.write_text(json.dumps(case["record"]), encoding="utf-8")
    if case["configLoads"]:
        load_config({"TRUSTED_PROXY_ENROLLMENT_FILE": str(path)})
    else:
        with pytest.raises(TrustedProxyAuthError) as raised:
            load_config({"TRUSTED_PROXY_ENROLLMENT_FILE": str(path)})
        assert raised.value.code == "invalid_config"


def test_the_fixture_covers_both_verdicts_of_both_questions() -> None:
    verdicts = {(case["schemaValid"], case["configLoads"]) for case in CASES}
    assert verdicts == {(True, True), (False, False), (True, False)}
