"""The package reads the repository's contract and nothing is hand-copied from it."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

from trusted_proxy_auth import TrustedProxyAuthError, error_codes
from trusted_proxy_auth._contract import env_variables, snake_case
from trusted_proxy_auth.config import config_field_names

#: Schemas scripts/sync_contract.py ships as package data (the runtime validates records with them).
RUNTIME_SCHEMAS = ("enrollment-record.schema.json",)

REPO_CONTRACT = Path(__file__).resolve().parents[3] / "contract"
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def test_packaged_contract_files_equal_the_repository_contract() -> None:
    source = {path.name: path.read_bytes() for path in REPO_CONTRACT.glob("*.json")}
    source.update({name: (REPO_CONTRACT / "schema" / name).read_bytes() for name in RUNTIME_SCHEMAS})
    packaged_dir = resources.files("trusted_proxy_auth").joinpath("contract")
    packaged = {item.name: item.read_bytes() for item in packaged_dir.iterdir() if item.name.endswith(".json")}
    assert set(source) >= {"env.json", "errors.json", "checks.json", "identity.schema.json", *RUNTIME_SCHEMAS}
    assert packaged == source, "run `npm run setup -w @mieweb/trusted-proxy-auth-python` to resync the contract"


def test_config_fields_are_exactly_the_contract_options() -> None:
    options = {snake_case(variable["option"]) for variable in env_variables()}
    assert set(config_field_names()) - {"preset_quirks", "key_source"} == options


def test_every_error_code_builds_an_error_with_the_contract_status_and_message() -> None:
    errors = json.loads((REPO_CONTRACT / "errors.json").read_text())["errors"]
    assert error_codes() == tuple(entry["code"] for entry in errors)
    for entry in errors:
        error = TrustedProxyAuthError(entry["code"])
        assert (error.status, str(error)) == (entry["status"], entry["message"])


def test_source_does_not_hand_copy_env_names_or_error_messages() -> None:
    source = "\n".join(path.read_text() for path in (PACKAGE_ROOT / "src").rglob("*.py"))
    errors = json.loads((REPO_CONTRACT / "errors.json").read_text())["errors"]
    for entry in errors:
        assert entry["message"] not in source
    hand_copied = set(re.findall(r"TRUSTED_PROXY_[A-Z_]+", source))
    # Only the few names the loader must mention by name for its own messages may appear.
    assert hand_copied <= {
        "TRUSTED_PROXY_",
        "TRUSTED_PROXY_AUTH",  # the Django setting's name, not a contract variable
        "TRUSTED_PROXY_CONFIG_FILE",
        "TRUSTED_PROXY_PRESET",
        "TRUSTED_PROXY_REQUIRED_CLAIMS",
        "TRUSTED_PROXY_REQUIRED_HEADERS",
    }
