"""Hatch build hook: the contract JSON files become package data at build time."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class ContractBuildHook(BuildHookInterface[Any]):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        script = Path(self.root) / "scripts" / "sync_contract.py"
        spec = importlib.util.spec_from_file_location("_sync_contract", script)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.sync_contract()
        if not any((Path(self.root) / "src" / "trusted_proxy_auth" / "contract").glob("env.json")):
            raise RuntimeError("contract/*.json not found: build from the repository or from an sdist that ships them")
