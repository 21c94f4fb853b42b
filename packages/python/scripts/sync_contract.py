"""Copies ../../contract/*.json (and the JSON Schemas the runtime validates with) into the package as data
(run by the build hook and `npm run setup`).

The contract is the single source of truth for both languages; the Python package never hand-copies
it. Outside the repository (building from an sdist) the copies already shipped are kept.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
CONTRACT_SOURCE = PACKAGE_ROOT.parent.parent / "contract"
CONTRACT_TARGET = PACKAGE_ROOT / "src" / "trusted_proxy_auth" / "contract"
#: Schemas under contract/schema/ the package validates data with at run time (the others describe the
#: contract files themselves and are checked in the repository only). Copied flat, next to the rest.
RUNTIME_SCHEMAS = ("enrollment-record.schema.json",)


def sync_contract(source: Path = CONTRACT_SOURCE, target: Path = CONTRACT_TARGET) -> list[str]:
    """Mirrors source/*.json into target; returns the names of the files that changed."""
    if not source.is_dir():
        return []
    target.mkdir(parents=True, exist_ok=True)
    wanted = {path.name: path for path in sorted(source.glob("*.json"))}
    for name in RUNTIME_SCHEMAS:
        wanted[name] = source / "schema" / name
    changed: list[str] = []
    for name, path in wanted.items():
        destination = target / name
        if not destination.exists() or destination.read_bytes() != path.read_bytes():
            shutil.copyfile(path, destination)
            changed.append(name)
    for stale in target.glob("*.json"):
        if stale.name not in wanted:
            stale.unlink()
            changed.append(stale.name)
    return changed


if __name__ == "__main__":
    changed = sync_contract()
    if changed:
        sys.stdout.write(f"contract synced: {', '.join(changed)}\n")
