"""Results of slow, deterministic tools kept by the digest of everything they read.

A kustomize build, or a checkov run, depends only on its inputs and the tool's pinned version: the
same digest gives the same output, so a warm `make plan` reuses it instead of running the tool
again. The key covers the tool and its version, the arguments, and the bytes of every input
file, so any change to any of them runs the tool afresh. Entries live in
`MLPLAT_CACHE` (default `~/.cache/mlplat/results`), one file each, written atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    return Path(os.environ.get("MLPLAT_CACHE", Path.home() / ".cache" / "mlplat" / "results"))


def digest(*parts: str | bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "big"))
        hasher.update(data)
    return hasher.hexdigest()


def tree_digest(paths: Iterable[Path]) -> str:
    """The digest of every file under `paths` (names relative to each, and bytes); a path that
    does not exist counts as empty."""
    parts: list[str | bytes] = []
    for root in paths:
        if not root.exists():
            parts.append(f"absent:{root.name}")
            continue
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            name = path.relative_to(root) if root.is_dir() else path.name
            parts += [str(name), path.read_bytes()]
    return digest(*parts)


def load(kind: str, key: str) -> Any | None:
    path = cache_dir() / kind / f"{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def store(kind: str, key: str, value: Any) -> None:
    """Keeps `value`; a cache that cannot be written is no error (the next run recomputes)."""
    folder = cache_dir() / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as handle:
            json.dump(value, handle)
        Path(handle.name).replace(folder / f"{key}.json")
    except OSError:
        return
