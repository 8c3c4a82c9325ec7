"""The pack starts as the Pulumi CLI starts it: `python policies/__main__.py` in a fresh
environment holding only policies/requirements.txt, printing the port of its analyzer server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from mlplat.tools import uv

ROOT = Path(__file__).resolve().parents[2]


def test_the_pack_serves_from_its_own_environment(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([uv(), "venv", "--quiet", str(venv)], check=True)
    subprocess.run(
        [uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
         "-r", str(ROOT / "policies" / "requirements.txt")],
        check=True,
    )  # fmt: skip
    with subprocess.Popen(
        [str(venv / "bin" / "python"), str(ROOT / "policies" / "__main__.py")],
        cwd=tmp_path,  # not the repository: nothing of the project is importable but the pack
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    ) as pack:
        try:
            port = pack.stdout.readline().strip()
        finally:
            pack.kill()
        errors = pack.stderr.read()
    assert port.isdigit(), errors
    assert 0 < int(port) < 65536
