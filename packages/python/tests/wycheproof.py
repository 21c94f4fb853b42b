"""Runs C2SP/wycheproof's JOSE vectors (json_web_signature_test.json, json_web_key_test.json) through the
verifier's own stages up to the signature: syntax of the three segments, header policy, key usability
(contract/checks.json keyUsability), candidate selection and the signature check. The payload is not read as
claims: Wycheproof signs arbitrary bytes ("foo"), while claim checks are our own later stages. The files are
not committed (docs/wycheproof.md says how to provide them)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trusted_proxy_auth._compact_jws import ParsedCompactJws, decode_canonical_base64url
from trusted_proxy_auth._contract import max_json_depth
from trusted_proxy_auth._json_strict import parse_strict_json_object
from trusted_proxy_auth._key_set import KeyMember, fits_algorithm, unusable_reason
from trusted_proxy_auth._key_sources.candidates import try_candidates

REPO_ROOT = Path(__file__).resolve().parents[3]
_WYCHEPROOF_CANDIDATES = (REPO_ROOT.parent / "shared" / "wycheproof", REPO_ROOT / ".tools" / "wycheproof")
#: The Wycheproof checkout (the parent of its testvectors_v1 folder): WYCHEPROOF_DIR; else ../shared/wycheproof
#: when it holds the vectors; else .tools/wycheproof, the pinned copy scripts/install-tools.sh takes from the Go
#: module proxy.
WYCHEPROOF_DIR = Path(
    os.environ.get("WYCHEPROOF_DIR")
    or next((path for path in _WYCHEPROOF_CANDIDATES if (path / "testvectors_v1").is_dir()), _WYCHEPROOF_CANDIDATES[1])
)
WYCHEPROOF_FILES = ("json_web_signature_test.json", "json_web_key_test.json")

#: TRUSTED_PROXY_ALGORITHMS's default: every asymmetric algorithm the verifier supports.
_DEFAULT_ALGORITHMS = next(
    variable["default"]
    for variable in json.loads((REPO_ROOT / "contract" / "env.json").read_text(encoding="utf-8"))["variables"]
    if variable["name"] == "TRUSTED_PROXY_ALGORITHMS"
)


def wycheproof_path(file: str) -> Path | None:
    """Where a file is, or None when it is not there (the test is then skipped with that reason)."""
    path = WYCHEPROOF_DIR / "testvectors_v1" / file
    return path if path.is_file() else None


def accepts(jws: str, members: list[dict[str, Any]]) -> bool:
    """Whether the verifier accepts the signature of `jws` with the key set `members` (stages syntax to signature)."""
    segments = jws.split(".")
    if len(segments) != 3:
        return False
    header_segment, payload_segment, signature_segment = segments
    header_bytes = decode_canonical_base64url(header_segment)
    signature = decode_canonical_base64url(signature_segment)
    if header_bytes is None or signature is None or decode_canonical_base64url(payload_segment) is None:
        return False
    try:
        text = header_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return False
    header = None if text.startswith("\ufeff") else parse_strict_json_object(text, max_json_depth())
    if header is None:
        return False
    alg, kid = header.get("alg"), header.get("kid")
    if not isinstance(alg, str) or alg not in _DEFAULT_ALGORITHMS:
        return False
    if "b64" in header or "crit" in header or ("kid" in header and not isinstance(kid, str)):
        return False
    candidates = [
        KeyMember(member)
        for member in members
        if unusable_reason(member) is None
        and ("kid" not in header or member.get("kid") == kid)
        and fits_algorithm(member, alg)
    ]
    parsed = ParsedCompactJws(header, {}, f"{header_segment}.{payload_segment}".encode("ascii"), signature)
    return try_candidates(parsed, alg, candidates) == "verified"


@dataclass(frozen=True)
class WycheproofCase:
    tc_id: int
    comment: str
    group: str
    expected: str
    accepted: bool


def run_wycheproof_file(path: Path) -> tuple[list[WycheproofCase], int]:
    """Every public-key vector of a file with our verdict, and how many were not applicable (groups without
    a public key: HMAC and AES keys)."""
    groups = json.loads(path.read_text(encoding="utf-8"))["testGroups"]
    cases: list[WycheproofCase] = []
    not_applicable = 0
    for group in groups:
        public = group.get("public")
        if not public:
            not_applicable += len(group["tests"])
            continue
        members = public.get("keys", [public])
        for test in group["tests"]:
            accepted = accepts(test["jws"], members)
            cases.append(WycheproofCase(test["tcId"], test["comment"], group["comment"], test["result"], accepted))
    return cases, not_applicable


def differences(cases: list[WycheproofCase]) -> list[WycheproofCase]:
    """The cases whose verdict differs from Wycheproof's (an `acceptable` result never differs)."""
    return [case for case in cases if case.expected != "acceptable" and case.accepted != (case.expected == "valid")]
