"""An output directory written as one set: locked while written, staged, committed with a manifest.

Protocol (used by ``kinmix scan`` and ``kinmix export``):

1. :func:`locked` takes an exclusive ``fcntl.flock`` on ``DIR/.kinmix.lock`` (the file holds the pid and
   command of the owner). A second writer gets :class:`OutputDirLocked` at once, a one-line error naming
   the directory and the owner. The kernel releases the lock when its process dies (even by SIGKILL), so a
   stale lock file never blocks anybody; the owner removes the file when it is done.
2. Holding the lock, :func:`remove_stale` deletes what an interrupted writer left behind: the staging
   directory ``.kinmix-staging-*``, temporary files ``.*.tmp`` and the ``.*.staging-*`` / ``.*.old-*``
   directories of the HEPData writer (only hidden names of these patterns, in ``DIR`` and its subdirectories
   ``hepdata`` and ``workspaces``).
3. The new files are written into a staging directory inside ``DIR`` (:func:`staging_dir`, same file system).
4. :func:`commit` marks ``DIR`` incomplete (``DIR/INCOMPLETE``, written atomically), removes the old
   ``MANIFEST.json`` and the files it listed that the new set does not have (and the files the command names
   as ``replaces``, e.g. an export's ``whitening.json``, even where no manifest lists them), moves every staged entry into
   place (``os.replace``; a directory is swapped), writes the new ``MANIFEST.json`` (sha256 and size of
   every file, the scan ids, the command) and only then removes ``INCOMPLETE``.

A SIGKILL at any moment therefore leaves either the old complete set (with its manifest), the new
complete set (with its manifest), or a directory carrying ``INCOMPLETE`` that says which run was
interrupted: never an unmarked mix. :func:`verify` re-hashes a set against its manifest.

A set written into a folder of another set (``kinmix export --out DIR/workspaces`` of a scan in ``DIR``,
:func:`enclosing_set`) also amends ``DIR``'s manifest: with both locks held, ``DIR`` is marked incomplete too,
and after step 4 its ``MANIFEST.json`` is rewritten (atomically) with the new files of that folder in place of
the old ones and an ``amended_by`` record of the command, then ``DIR/INCOMPLETE`` is removed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .atomic import atomic_write_text

__all__ = [
    "LOCK_NAME",
    "MANIFEST_NAME",
    "INCOMPLETE_NAME",
    "OutputDirLocked",
    "locked",
    "remove_stale",
    "staging_dir",
    "commit",
    "enclosing_set",
    "read_manifest",
    "verify",
    "check_not_incomplete",
]

LOCK_NAME = ".kinmix.lock"
MANIFEST_NAME = "MANIFEST.json"
INCOMPLETE_NAME = "INCOMPLETE"
MANIFEST_FORMAT = "kinmix_stats.output_set"
_STAGING_PREFIX = ".kinmix-staging-"
_SUBDIRS = ("hepdata", "workspaces")


_move = os.replace  # one name for the commit's renames (tests kill the process between two of them)


class OutputDirLocked(OSError):
    """Another process is writing the output directory."""


def _owner(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
        return f"pid {info.get('pid')}, {info.get('command')}"
    except (OSError, ValueError, AttributeError):
        return "owner unknown"


@contextlib.contextmanager
def locked(directory: str | os.PathLike[str], command: str) -> Iterator[Path]:
    """Hold the exclusive writer lock of ``directory`` (created if missing) for the duration."""
    import fcntl

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_NAME
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise OutputDirLocked(
                    f"output directory {str(out)!r} is being written by another kinmix process ({_owner(path)}); "
                    "wait for it to finish or choose another --out",
                ) from None
            raise
        try:  # the previous owner may have removed the file between our open and flock: retry on a fresh one
            if os.fstat(fd).st_ino == path.stat().st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "command": command, "since": time.time()}).encode())
        yield out
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # while still holding the lock: nobody can be waiting on this inode's lock
        os.close(fd)


def _stale_names(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    found = []
    for p in directory.iterdir():
        name = p.name
        if name.startswith(_STAGING_PREFIX) or (name.startswith(".") and (
                name.endswith(".tmp") or ".staging-" in name or ".old-" in name)):
            found.append(p)
    return found


def remove_stale(directory: str | os.PathLike[str]) -> list[Path]:
    """Remove the staging directories and temporary files an interrupted writer left (call with the lock held)."""
    out = Path(directory)
    removed = []
    for d in (out, *(out / s for s in _SUBDIRS)):
        for p in _stale_names(d):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
            removed.append(p)
    return removed


def staging_dir(directory: str | os.PathLike[str]) -> Path:
    """A fresh staging directory inside ``directory`` (call with the lock held)."""
    stage = Path(directory) / f"{_STAGING_PREFIX}{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    return stage


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``MANIFEST.json`` of the output set in ``directory``, or None where there is none."""
    out = Path(directory)
    try:
        doc = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == MANIFEST_FORMAT else None


def enclosing_set(directory: str | os.PathLike[str]) -> tuple[Path, str] | None:
    """The output set that ``directory`` is a folder of: ``(its root, directory relative to it)`` when the
    manifest of the nearest ancestor that has one lists files below ``directory``; otherwise None."""
    out = Path(directory).resolve()
    for root in out.parents:
        doc = read_manifest(root)
        if doc is not None:
            rel = out.relative_to(root).as_posix()
            return (root, rel) if any(name.startswith(rel + "/") for name in doc.get("files", {})) else None
    return None


def _incomplete_note(command: str) -> str:
    return (f"kinmix ({command}, pid {os.getpid()}) was replacing the output set in this directory and did not finish:\n"
            "the files here may mix two runs. Rerun the command (with --resume for a scan) to write a complete set.\n")


def _amend(root: Path, rel: str, files: Mapping[str, Any], *, command: str, info: Mapping[str, Any] | None) -> None:
    """Rewrite ``root``'s manifest: ``files`` (relative to ``root/rel``) listed anew, files below ``rel`` that are gone
    no longer listed, the rest as it was."""
    doc = read_manifest(root)
    if doc is None:
        raise ValueError(f"{str(root / MANIFEST_NAME)!r} disappeared while its folder {rel!r} was being replaced")
    listed = {name: entry for name, entry in doc.get("files", {}).items()
              if not name.startswith(rel + "/") or (root / name).is_file()}
    listed.update({f"{rel}/{name}": entry for name, entry in files.items()})
    doc["files"] = listed
    doc["amended_by"] = [*doc.get("amended_by", []), {"command": command, "folder": rel, **({} if info is None else dict(info))}]
    atomic_write_text(root / MANIFEST_NAME, json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n")


def commit(
    directory: str | os.PathLike[str],
    stage: Path,
    *,
    command: str,
    info: Mapping[str, Any] | None = None,
    replaces: Iterable[str] = (),
    enclosing: tuple[Path, str] | None = None,
) -> list[Path]:
    """Move the staged set into ``directory`` (see the module docstring); return the committed paths.

    ``replaces``: files (relative paths) of the kind this command writes; one the new set does not have is
    removed while ``DIR`` is marked incomplete, also when no manifest lists it (written by the API or by hand).
    ``enclosing``: :func:`enclosing_set` of ``directory`` (the caller holds that set's lock too): its manifest
    is amended to list the new files, and it is marked incomplete until it does.
    """
    out = Path(directory)
    new_files = _files(stage)
    manifest = {
        "format": MANIFEST_FORMAT,
        "format_version": 1,
        "command": command,
        **({} if info is None else dict(info)),
        "files": {rel: {"sha256": _sha256(stage / rel), "bytes": (stage / rel).stat().st_size} for rel in new_files},
    }
    text = json.dumps(manifest, indent=2, sort_keys=True, allow_nan=False) + "\n"
    if enclosing is not None:
        atomic_write_text(enclosing[0] / INCOMPLETE_NAME, _incomplete_note(command))
    atomic_write_text(out / INCOMPLETE_NAME, _incomplete_note(command))
    old = read_manifest(out)
    with contextlib.suppress(FileNotFoundError):
        (out / MANIFEST_NAME).unlink()
    tops = {rel.split(os.sep, 1)[0] for rel in new_files}
    stale = [*(old or {}).get("files", {}), *replaces]  # files of the previous set that the new one does not replace
    for rel in stale:
        if rel.split("/", 1)[0] not in tops and ".." not in rel:
            with contextlib.suppress(OSError):
                (out / rel).unlink()
    for top in sorted(tops):
        src, dest = stage / top, out / top
        if src.is_dir() and dest.is_dir():
            trash = stage / f".old-{top}"
            _move(dest, trash)
        _move(src, dest)
    atomic_write_text(out / MANIFEST_NAME, text)
    (out / INCOMPLETE_NAME).unlink()
    if enclosing is not None:
        _amend(*enclosing, manifest["files"], command=command, info=info)
        (enclosing[0] / INCOMPLETE_NAME).unlink()
    shutil.rmtree(stage, ignore_errors=True)
    return [out / rel for rel in new_files] + [out / MANIFEST_NAME]


def check_not_incomplete(directory: str | os.PathLike[str], what: str = "--from") -> None:
    """``ValueError`` if ``directory`` carries the INCOMPLETE marker of an interrupted commit."""
    marker = Path(directory) / INCOMPLETE_NAME
    if marker.exists():
        raise ValueError(f"{what} {str(directory)!r} holds an incomplete output set (an interrupted run left {str(marker)!r}); "
                         "rerun the scan to complete it")


def verify(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Check every file listed in ``DIR/MANIFEST.json`` against its sha256; return the manifest.

    ``ValueError`` naming the first file that is missing or differs, or if there is no manifest.
    """
    out = Path(directory)
    check_not_incomplete(out, "output directory")
    manifest = read_manifest(out)
    if manifest is None:
        raise ValueError(f"{str(out / MANIFEST_NAME)!r} is missing or not a kinmix_stats manifest")
    for rel, entry in manifest.get("files", {}).items():
        path = out / rel
        if not path.is_file():
            raise ValueError(f"{str(path)!r} is listed in {MANIFEST_NAME} but missing")
        if _sha256(path) != entry.get("sha256"):
            raise ValueError(f"{str(path)!r} does not match the sha256 in {MANIFEST_NAME} (changed after it was written)")
    return manifest
