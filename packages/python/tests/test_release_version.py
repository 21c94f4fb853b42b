"""The Python distribution's version is package.json's, which changesets bumps in the fixed release group."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hatchling.metadata.core import ProjectMetadata
from hatchling.plugin.manager import PluginManager
from packaging.version import Version

import trusted_proxy_auth

PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def package_json_version(root: Path = PACKAGE_ROOT) -> str:
    return str(json.loads((root / "package.json").read_text(encoding="utf-8"))["version"])


def built_version(root: Path) -> str:
    """The version hatchling writes into the wheel and sdist built from `root`."""
    return str(ProjectMetadata(str(root), PluginManager()).version)


def test_the_built_version_is_package_json_version() -> None:
    assert Version(built_version(PACKAGE_ROOT)) == Version(package_json_version())


def test_the_installed_version_is_package_json_version() -> None:
    # The dev environment reinstalls when package.json changes (scripts/dev_env.py fingerprint).
    assert Version(trusted_proxy_auth.__version__) == Version(package_json_version())


def test_a_version_bump_in_package_json_reaches_the_python_metadata(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "package.json", "README.md"):
        shutil.copyfile(PACKAGE_ROOT / name, tmp_path / name)
    manifest = json.loads((tmp_path / "package.json").read_text(encoding="utf-8"))
    manifest["version"] = "7.3.0-beta.2"
    manifest.setdefault("scripts", {})["version"] = "echo a script named version must not be read"
    # Written the way npm and changesets write it: two-space indentation and a final newline.
    (tmp_path / "package.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    assert Version(built_version(tmp_path)) == Version("7.3.0b2")
