"""Small file helpers shared by the packages that keep state on disk."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Replace ``path`` with ``text`` in one rename, synced to disk first: readers see the old
    content or the new, never a mix, even after a power cut."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def private_dirs(path: Path, root: Path) -> None:
    """Create ``path`` and the folders between it and ``root`` (included), each readable by its
    owner only (0700), whatever the umask."""
    path, root = Path(path), Path(root)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    for folder in (path, *path.parents):
        os.chmod(folder, 0o700)
        if folder == root or root not in folder.parents:
            break
