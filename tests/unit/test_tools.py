"""The linters run from their own environments, installed from hash-locked requirements."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlplat import tools
from mlplat.checkov_bridge import CHECKOV_VERSION
from mlplat.iam_lint import PARLIAMENT_VERSION


@pytest.mark.parametrize(("name", "version"), [("checkov", CHECKOV_VERSION), ("parliament", PARLIAMENT_VERSION)])  # fmt: skip
def test_each_linter_is_locked_with_hashes_at_its_pin(name, version):
    text = (tools.LOCKS / f"{name}.txt").read_text()
    pins = [line for line in text.splitlines() if line and line[0].isalnum()]
    assert f"{name}=={version} \\" in pins
    assert all("==" in pin and pin.endswith("\\") for pin in pins)  # every pin carries hashes
    assert text.count("--hash=sha256:") >= len(pins)


def test_an_environment_is_built_once_with_require_hashes_then_reused(tmp_path, monkeypatch):
    commands: list[list[str]] = []

    def fake_run(command, name):
        commands.append(command)
        if command[1] == "venv":
            Path(command[-1], "bin").mkdir(parents=True)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(tools, "TOOLS_HOME", tmp_path)
    monkeypatch.setattr(tools, "run", fake_run)
    monkeypatch.setattr(tools, "uv", lambda: "uv")
    first = tools.tool("parliament", "--json")
    assert first[1:] == ["--json"] and first[0].endswith("/bin/parliament")
    assert [c[1] for c in commands] == ["venv", "pip"]
    assert "--require-hashes" in commands[1] and str(tools.LOCKS / "parliament.txt") in commands[1]
    assert tools.tool("parliament") == first[:1]  # built: nothing is installed again
    assert len(commands) == 2


def test_a_failed_install_is_a_linter_error_and_is_retried_next_time(tmp_path, monkeypatch):
    def failing(command, name):
        if command[1] == "venv":
            Path(command[-1], "bin").mkdir(parents=True)
            return subprocess.CompletedProcess(command, 0, "", "")
        return subprocess.CompletedProcess(command, 1, "", "no index reachable")

    monkeypatch.setattr(tools, "TOOLS_HOME", tmp_path)
    monkeypatch.setattr(tools, "run", failing)
    monkeypatch.setattr(tools, "uv", lambda: "uv")
    with pytest.raises(
        tools.LinterError, match=r"checkov could not be installed from checkov\.txt"
    ):
        tools.tool("checkov")
    assert not list(tmp_path.glob("checkov-*/.complete"))
