"""External tools the checker runs in isolated environments, through the pinned uv."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from rich.console import Console


class LinterError(Exception):
    """A linter that could not be installed or run: the check is incomplete, never a pass."""


def uv() -> str:
    """The uv installed with this project (a pinned dependency), else the one on PATH."""
    beside = Path(sys.executable).parent / "uv"
    if beside.is_file():
        return str(beside)
    found = shutil.which("uv")
    if found is None:
        raise LinterError("uv not found: run `make setup` (it is a pinned dependency)")
    return found


LOCKS = Path(__file__).resolve().parent / "locks"
# Where the linters' environments are built: beside the project's own toolchain (`.tools/`).
TOOLS_HOME = Path(__file__).resolve().parent.parent / ".tools" / "linters"


def tool(name: str, *arguments: str) -> list[str]:
    """The command of a pinned linter in its own environment, installed once from its
    hash-locked requirements (`mlplat/locks/<name>.txt`, `--require-hashes`) and run from there,
    offline, ever after. A changed lock builds a new environment; a half-built one never runs."""
    lock = LOCKS / f"{name}.txt"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:16]
    home = TOOLS_HOME / f"{name}-{digest}"
    if not (home / ".complete").is_file():
        _build(home, lock, name)
    return [str(home / "bin" / name), *arguments]


def _build(home: Path, lock: Path, name: str) -> None:
    # Built where it runs (a venv's scripts name its interpreter by absolute path), one process
    # at a time; the marker is written last, so an interrupted build is started again.
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f".{home.name}.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if (home / ".complete").is_file():
            return  # another process built it while this one waited
        shutil.rmtree(home, ignore_errors=True)
        # The one slow step of a first `make plan` after the toolchain: said, on a terminal.
        status = Console(stderr=True).status(f"installing {name} into {home} (first run only)…")
        with status:
            _install(home, lock, name)
        (home / ".complete").touch()


def _install(home: Path, lock: Path, name: str) -> None:
    for command in (
        [uv(), "venv", "--quiet", "--python", sys.executable, str(home)],
        [uv(), "pip", "install", "--quiet", "--require-hashes", "--compile-bytecode",
         "--python", str(home / "bin" / "python"), "-r", str(lock)],
    ):  # fmt: skip
        completed = run(command, name)
        if completed.returncode != 0:
            raise LinterError(
                f"{name} could not be installed from {lock.name} (exit "
                f"{completed.returncode}): {completed.stderr.strip()[-600:]}"
            )


def run(command: list[str], name: str) -> subprocess.CompletedProcess[str]:
    """Runs a linter; one that cannot start (uv missing, no registry to install from) is a
    LinterError naming it."""
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise LinterError(f"{name} could not start: {error}") from None
