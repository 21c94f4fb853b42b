"""Creates packages/python/.venv on first use and runs the package's tools from it.

`python3 scripts/dev_env.py setup` creates the virtual environment, installs the package in editable mode
with its framework extras and the `dev` dependency group (PEP 735; only when pyproject.toml changed since
the last install, so reruns are fast) and copies the contract files into the package.
`python3 scripts/dev_env.py run TOOL ARGS...` does the same, then runs TOOL from the environment. turbo
runs lint, typecheck and test at once, so setup is serialised with a file lock.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
VENV = PACKAGE_ROOT / ".venv"
STAMP = VENV / ".trusted-proxy-auth-installed"
EXTRAS = "fastapi,flask,django"
#: The PEP 735 dependency group with the test tools (not published, unlike an extra).
GROUP = "dev"
#: `pip install --group` arrived in pip 25.1; an older pip in the venv is upgraded first.
PIP_WITH_GROUPS = (25, 1)
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    # package.json holds the version, which the installed metadata records.
    for name in ("pyproject.toml", "hatch_build.py", "package.json"):
        digest.update((PACKAGE_ROOT / name).read_bytes())
    digest.update(EXTRAS.encode())
    digest.update(GROUP.encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _pip_version(python: Path) -> tuple[int, ...]:
    completed = subprocess.run(
        [str(python), "-c", "import pip; print(pip.__version__)"], capture_output=True, text=True, check=True
    )
    return tuple(int(part) for part in completed.stdout.strip().split(".")[:2] if part.isdigit())


def _locked_setup() -> None:
    VENV.mkdir(exist_ok=True)
    with open(VENV / ".setup.lock", "w") as lock:
        if os.name != "nt":
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        _setup()


def _setup() -> None:
    sys.path.insert(0, str(PACKAGE_ROOT / "scripts"))
    from sync_contract import sync_contract

    sync_contract()
    python = BIN / ("python.exe" if os.name == "nt" else "python")
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    fingerprint = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
    if _pip_version(python) < PIP_WITH_GROUPS:
        subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip>=25.1"], cwd=PACKAGE_ROOT, check=True)
    subprocess.run(
        [*pip, "install", "--quiet", "-e", f".[{EXTRAS}]", "--group", GROUP],
        cwd=PACKAGE_ROOT,
        check=True,
    )
    STAMP.write_text(fingerprint)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("setup", "run"):
        sys.stderr.write("usage: dev_env.py setup | run TOOL [ARGS...]\n")
        return 2
    _locked_setup()
    if argv[0] == "setup":
        return 0
    if len(argv) < 2:
        sys.stderr.write("usage: dev_env.py run TOOL [ARGS...]\n")
        return 2
    tool = BIN / argv[1]
    completed = subprocess.run([str(tool), *argv[2:]], cwd=PACKAGE_ROOT, check=False)
    return completed.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
