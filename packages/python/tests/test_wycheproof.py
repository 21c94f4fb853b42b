"""C2SP/wycheproof's JOSE vectors through the Python verifier (the same table as packages/core/test/wycheproof.test.ts
and docs/wycheproof.md). Skipped, with the reason, when the files are not provided."""

from __future__ import annotations

import pytest
from wycheproof import WYCHEPROOF_DIR, differences, run_wycheproof_file, wycheproof_path

#: Vectors we decide differently from Wycheproof, on purpose. Groups without a public key (HMAC and AES keys)
#: are not applicable: key sets never use symmetric keys.
EXPECTED_DIFFERENCES: dict[str, dict[int, str]] = {
    "json_web_signature_test.json": {
        259: "empty payload: the syntax stage wants three non-empty segments",
        264: "empty payload",
        268: "empty payload",
        272: "empty payload",
        320: "empty payload",
        325: "empty payload",
        346: "the key declares alg PS256, the token PS384: not a candidate (RFC 7517 section 4.4)",
        347: 'the key declares alg "ES521" (not a registered algorithm), the token ES512: not a candidate',
        350: "as 346, with key_ops",
        351: "as 347, with key_ops",
    },
    "json_web_key_test.json": {},
}


@pytest.mark.parametrize("file", list(EXPECTED_DIFFERENCES))
def test_wycheproof_public_key_vectors(file: str) -> None:
    path = wycheproof_path(file)
    if path is None:
        pytest.skip(
            f"Wycheproof's {file} is not in {WYCHEPROOF_DIR}/testvectors_v1 (set WYCHEPROOF_DIR; docs/wycheproof.md)"
        )
    cases, _ = run_wycheproof_file(path)
    assert cases
    differing = {case.tc_id: f"{case.group}: {case.comment}" for case in differences(cases)}
    assert sorted(differing) == sorted(EXPECTED_DIFFERENCES[file]), differing
