"""Atomic file output: write a temporary file in the destination directory, fsync it, ``os.replace`` it.

The one implementation every writer of the package uses (curves, plots, checkpoints, pyhf patchsets,
the CMS recast). A reader never sees a half-written output: either the old file (or none) or the
complete new one. If anything raises while the content is produced or written, the temporary file is
removed and the destination is left untouched. The final file gets the permissions of the file it
replaces, or ``0o666 & ~umask`` for a new file (``mkstemp`` would otherwise leave it at ``0o600``).

* :func:`atomic_open` / :func:`atomic_write_text` / ``_bytes`` / ``_json`` / ``_csv``: one file (the JSON and
  CSV writers every command uses).
* :func:`atomic_group`: several files of one directory that appear together or not at all
  (e.g. ``bkgonly.json`` + ``patchset.json`` + sidecars).
* :class:`MemoryFile`: an in-memory binary sink for writers that close their output (uproot).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = [
    "AtomicGroup",
    "MemoryFile",
    "atomic_group",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_csv",
    "atomic_write_json",
    "atomic_write_text",
    "check_output_dir",
]


def check_output_dir(path: str | os.PathLike[str], *, is_dir: bool = False) -> Path:
    """Return ``path`` as a :class:`~pathlib.Path` after checking that its directory exists and is writable.

    ``path`` is a file to be written, or with ``is_dir=True`` a directory to be (re)created.
    Raises ``FileNotFoundError``/``NotADirectoryError``/``IsADirectoryError``/``PermissionError`` naming the path.
    """
    dest = Path(path)
    parent = dest.parent if str(dest.parent) else Path()
    if not parent.exists():
        raise FileNotFoundError(f"cannot write {str(dest)!r}: directory {str(parent)!r} does not exist")
    if not parent.is_dir():
        raise NotADirectoryError(f"cannot write {str(dest)!r}: {str(parent)!r} is not a directory")
    if not is_dir and dest.is_dir():
        raise IsADirectoryError(f"cannot write {str(dest)!r}: it is an existing directory")
    if is_dir and dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"cannot write directory {str(dest)!r}: a file of that name exists")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write {str(dest)!r}: directory {str(parent)!r} is not writable")
    return dest


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    """Best effort: make the rename durable (POSIX); silently skipped where unsupported."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temp_for(dest: Path, mode: str, encoding: str) -> tuple[Path, IO[Any]]:
    """Open a temporary file next to ``dest`` with the permissions ``dest`` will have."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic file mode must be 'w' or 'wb', got {mode!r}")
    parent = dest.parent if str(dest.parent) else Path()
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=parent)
    except OSError as err:
        raise type(err)(err.errno, f"cannot write {str(dest)!r}: cannot create a temporary file in {str(parent)!r}"
                        f" ({err.strerror})") from err
    tmp = Path(tmp_name)
    try:
        mode_bits = (dest.stat().st_mode & 0o7777) if dest.exists() else (0o666 & ~_umask())
        with contextlib.suppress(OSError, AttributeError):
            os.fchmod(fd, mode_bits)
        fh: IO[Any] = os.fdopen(fd, "wb") if mode == "wb" else os.fdopen(fd, "w", encoding=encoding, newline="\n")
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    return tmp, fh


def _sync_close(fh: IO[Any]) -> None:
    if not fh.closed:
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", *, encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Context manager yielding a file object whose content replaces ``path`` only on clean exit.

    ``mode`` is ``"w"`` (text, ``encoding``, ``"\\n"`` newlines) or ``"wb"`` (bytes).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open mode must be 'w' or 'wb', got {mode!r}")
    dest = check_output_dir(path)
    tmp, fh = _temp_for(dest, mode, encoding)
    try:
        with fh:
            yield fh
            _sync_close(fh)
        tmp.replace(dest)
    except OSError as err:  # e.g. ENOSPC: say which file could not be written
        with contextlib.suppress(OSError):
            tmp.unlink()
        if str(dest) in str(err) or err.errno is None:
            raise
        raise type(err)(err.errno, f"cannot write {str(dest)!r}: {err.strerror or err}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(dest.parent if str(dest.parent) else Path())


class AtomicGroup:
    """Files staged by :func:`atomic_group`; :meth:`open` returns the (temporary) file to write."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._staged: dict[Path, tuple[Path, IO[Any]]] = {}
        self._removed: list[Path] = []

    def open(self, name: str, mode: str = "w", *, encoding: str = "utf-8") -> IO[Any]:
        """Temporary file for ``directory/name``; it replaces the target when the group commits."""
        dest = self.directory / name
        if dest in self._staged:
            raise ValueError(f"{str(dest)!r} is already part of this atomic group")
        if dest.is_dir():
            raise IsADirectoryError(f"cannot write {str(dest)!r}: it is an existing directory")
        tmp, fh = _temp_for(dest, mode, encoding)
        self._staged[dest] = (tmp, fh)
        return fh

    def write_text(self, name: str, text: str) -> None:
        self.open(name).write(text)

    def remove(self, name: str) -> None:
        """Remove ``directory/name`` (if it exists) when the group commits, once the new files are in place."""
        dest = self.directory / name
        if dest in self._staged:
            raise ValueError(f"{str(dest)!r} is written by this atomic group; it cannot also be removed")
        self._removed.append(dest)

    def _commit(self) -> None:
        for _, fh in self._staged.values():
            _sync_close(fh)
        for dest, (tmp, _) in self._staged.items():
            tmp.replace(dest)
        for dest in self._removed:
            dest.unlink(missing_ok=True)
        _fsync_dir(self.directory)

    def _abort(self) -> None:
        for tmp, fh in self._staged.values():
            with contextlib.suppress(OSError):
                fh.close()
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_group(directory: str | os.PathLike[str]) -> Iterator[AtomicGroup]:
    """Stage several files of ``directory`` (created with its parents if missing) that replace their targets together.

    On clean exit every staged file is fsynced and renamed over its target, then the directory is
    fsynced; if anything raises, every temporary file is removed and no target is touched. (The renames
    themselves are one ``os.replace`` each: a crash between two of them can leave a mix of old and new
    files, never a partial one.)
    """
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"cannot write into {str(out)!r}: a file of that name exists")
    out.mkdir(parents=True, exist_ok=True)
    group = AtomicGroup(out)
    try:
        yield group
    except BaseException:
        group._abort()
        raise
    try:
        group._commit()
    except BaseException:
        group._abort()
        raise


class MemoryFile(io.BytesIO):
    """In-memory binary file named ``name`` that stays readable after ``close()``.

    For writers that close their sink (uproot records ``name`` in the ROOT file and closes it at the end);
    write the bytes with :func:`atomic_write_bytes` afterwards.
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def close(self) -> None:  # keep the buffer readable
        pass


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | Callable[[IO[bytes]], None]) -> Path:
    """Atomically write ``data`` (bytes, or a callable that writes to the binary file object) to ``path``."""
    with atomic_open(path, "wb") as fh:
        if callable(data):
            data(fh)
        else:
            fh.write(bytes(data))
    return Path(path)


def atomic_write_text(
    path: str | os.PathLike[str], text: str | Callable[[IO[str]], None], *, encoding: str = "utf-8"
) -> Path:
    """Atomically write ``text`` (a string, or a callable that writes to the text file object) to ``path``."""
    with atomic_open(path, "w", encoding=encoding) as fh:
        if callable(text):
            text(fh)
        else:
            fh.write(text)
    return Path(path)


def atomic_write_json(path: str | os.PathLike[str], obj: Any, *, indent: int | None = 2, sort_keys: bool = False) -> Path:
    """Atomically write ``obj`` as strict JSON (NaN/inf refused) with a trailing newline.

    The document is serialised fully before the temporary file is created, so a serialisation error
    leaves no file behind. Key order is the dict order unless ``sort_keys``.
    """
    check_output_dir(path)
    text = json.dumps(obj, indent=indent, sort_keys=sort_keys, allow_nan=False, ensure_ascii=True) + "\n"
    return atomic_write_text(path, text)


def atomic_write_csv(path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Atomically write a CSV file: ``header`` then ``rows`` (cells as given: format floats before), ``\n`` line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return atomic_write_text(path, buf.getvalue())
