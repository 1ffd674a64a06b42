"""Write a rendered tree to disk, or compare it with what is there."""

from __future__ import annotations

from pathlib import Path

# Directories the generator owns outright: anything else found in them is stale. `/generated` is
# the typescript target's (packages/aether-client-ts/src/generated).
OWNED_SUFFIXES = ("/_generated", "/proto", "/generated")
# Files of these kinds in an owned directory are the generator's; others (caches) are left alone.
OWNED_FILE_SUFFIXES = (".py", ".pyi", ".ts")


def _owned_dirs(files: dict[str, str]) -> set[str]:
    return {str(Path(p).parent) for p in files if str(Path(p).parent).endswith(OWNED_SUFFIXES)}


def write_tree(root: Path, files: dict[str, str]) -> list[str]:
    """Write every file, delete strays in owned directories; return the paths that changed."""
    changed = []
    for owned in _owned_dirs(files):
        d = root / owned
        if d.is_dir():
            for f in d.iterdir():
                rel = f.relative_to(root).as_posix()
                if f.is_file() and rel not in files and f.suffix in OWNED_FILE_SUFFIXES:
                    f.unlink()
                    changed.append(rel)
    for rel, text in sorted(files.items()):
        target = root / rel
        if target.exists() and target.read_text() == text:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        changed.append(rel)
    return changed


def check_tree(root: Path, files: dict[str, str]) -> list[str]:
    """Return the stale paths: missing, different, or not generated but sitting in an owned dir."""
    stale = [rel for rel, text in sorted(files.items()) if not _same(root / rel, text)]
    for owned in _owned_dirs(files):
        d = root / owned
        if d.is_dir():
            for f in sorted(d.iterdir()):
                rel = f.relative_to(root).as_posix()
                if f.is_file() and f.suffix in OWNED_FILE_SUFFIXES and rel not in files:
                    stale.append(rel)
    return stale


def _same(path: Path, text: str) -> bool:
    return path.is_file() and path.read_text() == text
