"""Atomic file output: write a temporary file in the destination directory, fsync it, ``os.replace`` it.

A reader never sees a half-written output: either the old file (or none) or the complete new one.
If anything raises while the content is produced or written, the temporary file is removed and the
destination is left untouched. The final file gets the permissions of the file it replaces, or
``0o666 & ~umask`` for a new file (``mkstemp`` would otherwise leave it at ``0o600``).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_open", "atomic_write_bytes", "atomic_write_text", "atomic_write_json", "check_output_dir"]


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


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", *, encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Context manager yielding a file object whose content replaces ``path`` only on clean exit.

    ``mode`` is ``"w"`` (text, ``encoding``, ``"\\n"`` newlines) or ``"wb"`` (bytes).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open mode must be 'w' or 'wb', got {mode!r}")
    dest = check_output_dir(path)
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
        if mode == "wb":
            fh: IO[Any] = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding=encoding, newline="\n")
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(parent)


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
