"""Checkpoint store of a scan (JSON lines) and clean stopping on SIGINT/SIGTERM.

Store format (``checkpoint_<width>.jsonl`` in the output directory), readable while the scan runs::

    {"kind": "header", "format": "kinmix_stats.scan_checkpoint", "format_version": 2, "key": {...}, "scan_id": "..."}
    {"kind": "point", "scan": "<scan_id>", "index": 0, "mass_gev": 1.0, "eps95_obs": 0.031, ..., "status": "ok", ...}
    ...

* The header ``key`` (:func:`store_key`) identifies the scan: width, methods, the sha256 of the mass grid, the
  catalogue hash, the package version, the likelihood settings, a Z' model and a confidence level other than
  0.95; ``scan_id`` (:func:`scan_id`) is the sha256 of the canonical key. ``resume`` refuses a store whose key differs, naming the fields that differ.
* One ``point`` line per finished mass, carrying the ``scan_id`` of the scan that computed it, every
  limit column (NaN as ``null``), the CLs linearisation point ``eps_ref`` and the status (combined and
  per method). Floats are written with ``repr``, so a resumed value is bit-identical to the computed one.
  Reading validates every line before any computation: a line of another scan (e.g. copied from
  ``checkpoint_wide.jsonl`` into ``checkpoint_narrow.jsonl``), a limit that is not a positive finite
  number or null, a mass off the grid, or one point recorded twice with different values is refused
  with a ``ValueError`` naming the file and the line.
* The lines of a finished chunk are appended with one ``os.write`` on an ``O_APPEND`` descriptor,
  then ``fsync``-ed, inside a :func:`critical` section (a SIGINT/SIGTERM arriving meanwhile is acted on
  right after). A torn last line (power loss) is ignored on reading and cut off before appending.

:func:`graceful_signals` turns SIGINT and SIGTERM into :class:`ScanInterrupted` (a ``KeyboardInterrupt``)
raised in the main thread outside critical sections, so the caller can stop, close its Dask cluster and
report what was saved; nothing already appended is lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..io.atomic import atomic_write_text
from ..likelihood.methods import CLS_METHODS
from ..model.dark_sector import width_label
from ..results import LIMIT_COLUMNS

if TYPE_CHECKING:
    from ..likelihood.precision import PrecisionLikelihood
    from ..model.spec import ModelSpec

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "POINT_COLUMNS",
    "CheckpointStore",
    "ScanInterrupted",
    "critical",
    "graceful_signals",
    "grid_digest",
    "read_store",
    "checkpoint_path",
    "scan_id",
    "store_key",
]


FORMAT = "kinmix_stats.scan_checkpoint"
FORMAT_VERSION = 2
#: numeric fields of a point line besides ``mass_gev`` (the LimitCurve columns and the CLs eps_ref)
POINT_COLUMNS = LIMIT_COLUMNS + ("eps_ref",)
_STATUS_FIELDS = ("status", "status_cls", "status_chi2")
_METHOD_COLUMNS = {**dict.fromkeys(CLS_METHODS, LIMIT_COLUMNS[:6]), "chi2": LIMIT_COLUMNS[6:]}


# ----------------------------------------------------------------------------------------- signals
class ScanInterrupted(KeyboardInterrupt):
    """Raised in the main thread when SIGINT/SIGTERM asks a scan to stop; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_state = threading.local()


def _depth() -> int:
    return getattr(_state, "depth", 0)


_pending: list[int] = []
_installed = False


@contextlib.contextmanager
def critical() -> Iterator[None]:
    """A section that a SIGINT/SIGTERM (under :func:`graceful_signals`) does not interrupt."""
    _state.depth = _depth() + 1
    try:
        yield
    finally:
        _state.depth = _depth() - 1
        if _state.depth == 0 and _pending and threading.current_thread() is threading.main_thread():
            signum = _pending.pop()
            _pending.clear()
            raise ScanInterrupted(signum)


def _handler(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    if _depth() > 0:
        _pending.append(signum)
        return
    raise ScanInterrupted(signum)


@contextlib.contextmanager
def graceful_signals(signals: Sequence[int] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[None]:
    """Install the SIGINT/SIGTERM handlers for the duration (main thread only; elsewhere a no-op)."""
    global _installed
    if threading.current_thread() is not threading.main_thread() or _installed:
        yield
        return
    previous = {s: signal.getsignal(s) for s in signals}
    for s in signals:
        signal.signal(s, _handler)
    _installed = True
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        _installed = False
        _pending.clear()


# ------------------------------------------------------------------------------------------- store
def grid_digest(masses: np.ndarray) -> str:
    """sha256 of the mass grid as little-endian float64 (exact: any changed mass changes it)."""
    return hashlib.sha256(np.ascontiguousarray(masses, dtype="<f8").tobytes()).hexdigest()


def _canonical_key(key: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(dict(key), sort_keys=True, allow_nan=False))


def scan_id(key: Mapping[str, Any]) -> str:
    """Identity of a scan: sha256 of its canonical key (inputs, width, grid, methods, catalogue, version)."""
    text = json.dumps(_canonical_key(key), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_float(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _point_line(record: Mapping[str, Any], ident: str) -> str:
    out: dict[str, Any] = {"kind": "point", "scan": ident, "index": int(record["index"]), "mass_gev": float(record["mass_gev"])}
    for c in POINT_COLUMNS:
        out[c] = _json_float(record[c])
    for s in _STATUS_FIELDS:
        out[s] = str(record[s])
    return json.dumps(out, allow_nan=False, separators=(",", ":")) + "\n"


def _parse_point(obj: Any, path: Path, lineno: int, ident: str) -> dict[str, Any]:
    where = f"checkpoint store {str(path)!r}: line {lineno}"
    if not isinstance(obj, dict) or obj.get("kind") != "point":
        raise ValueError(f"{where} is not a point record")
    if obj.get("scan") != ident:
        raise ValueError(
            f"{where} belongs to another scan (scan id {str(obj.get('scan'))[:12]}, the header's is {ident[:12]}): "
            "lines of different scans were mixed; remove that line or run without --resume"
        )
    try:
        index = obj["index"]
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"index {index!r} (must be an integer >= 0)")
        mass = obj["mass_gev"]
        if isinstance(mass, bool) or not isinstance(mass, (int, float)) or not (math.isfinite(mass) and mass > 0):
            raise ValueError(f"mass_gev {mass!r} (must be a finite number > 0)")
        rec: dict[str, Any] = {"index": index, "mass_gev": float(mass)}
        for c in POINT_COLUMNS:
            v = obj[c]
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v > 0)):
                raise ValueError(f"{c} {v!r} (must be a finite number > 0, or null)")
            rec[c] = math.nan if v is None else float(v)
        for s in _STATUS_FIELDS:
            if not isinstance(obj[s], str) or not obj[s].strip():
                raise ValueError(f"{s} {obj[s]!r} (must be a non-empty string)")
            rec[s] = obj[s]
    except KeyError as err:
        raise ValueError(f"{where}: missing field {err}") from None
    except ValueError as err:
        raise ValueError(f"{where}: bad value: {err}") from None
    return rec


def read_store(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[int, dict[str, Any]], int]:
    """Read a store: ``(header, {index: record}, good_bytes)``.

    Each record also carries ``_line``, its line number (for error messages).
    ``good_bytes`` is the length of the complete lines; an unterminated last line (a torn write: every
    write ends with a newline) is ignored. Any other damage raises ``ValueError`` naming the file and line.
    """
    p = Path(path)
    data = p.read_bytes()
    if not data:
        raise ValueError(f"checkpoint store {str(p)!r} is empty (no header line)")
    lines = data.split(b"\n")
    # every element but the last ended with "\n"; the last is b"" for a clean file or a torn line
    complete, good = lines[:-1], len(data) - len(lines[-1])
    parsed = []
    for i, raw in enumerate(complete, start=1):
        try:
            parsed.append(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError(f"checkpoint store {str(p)!r}: line {i} is not valid JSON") from None
    if not parsed:
        raise ValueError(f"checkpoint store {str(p)!r} has no complete header line")
    header = parsed[0]
    if not isinstance(header, dict) or header.get("kind") != "header" or header.get("format") != FORMAT:
        raise ValueError(f"{str(p)!r} is not a kinmix_stats checkpoint store (line 1 is not a {FORMAT} header)")
    if header.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"checkpoint store {str(p)!r} has format_version {header.get('format_version')!r}; this version reads {FORMAT_VERSION}"
        )
    ident = header.get("scan_id")
    if not isinstance(header.get("key"), dict) or ident != scan_id(header["key"]):
        raise ValueError(f"checkpoint store {str(p)!r}: line 1: the header's scan_id does not match its key (edited header)")
    records: dict[int, dict[str, Any]] = {}
    for lineno, obj in enumerate(parsed[1:], start=2):
        rec = _parse_point(obj, p, lineno, ident)
        rec["_line"] = lineno
        old = records.get(rec["index"])
        if old is not None and any(
            not (old[k] == rec[k] or (isinstance(old[k], float) and math.isnan(old[k]) and math.isnan(rec[k])))
            for k in rec if k != "_line"
        ):
            raise ValueError(
                f"checkpoint store {str(p)!r}: line {lineno} records point {rec['index']} again with other values "
                f"(first on line {old['_line']})"
            )
        records[rec["index"]] = rec
    return header, records, good


def _describe(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


class CheckpointStore:
    """Append-only JSON-lines store of the finished points of one scan (see the module docstring).

    ``CheckpointStore(path, key, masses, resume=...)`` validates first and writes nothing if resuming is
    refused. Without ``resume`` (or when no store exists) a fresh store with just the header replaces
    ``path`` atomically; with ``resume`` the finished points are in :attr:`done` and new ones are appended.
    """

    def __init__(self, path: str | os.PathLike[str], key: Mapping[str, Any], masses: np.ndarray, *, resume: bool = False) -> None:
        self.path = Path(path)
        self.key = _canonical_key(key)
        self.scan_id = scan_id(self.key)
        self.masses = np.asarray(masses, dtype=float)
        self.done: dict[int, dict[str, Any]] = {}
        self._fd: int | None = None
        good = None
        if resume and self.path.exists():
            self.done, good = self.check_resumable(self.path, self.key, self.masses)
        if good is None:
            header = {"kind": "header", "format": FORMAT, "format_version": FORMAT_VERSION, "key": self.key,
                      "scan_id": self.scan_id}
            atomic_write_text(self.path, json.dumps(header, sort_keys=True, allow_nan=False) + "\n")
        elif good < self.path.stat().st_size:
            os.truncate(self.path, good)  # drop a torn last line before appending
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)

    @staticmethod
    def check_resumable(path: str | os.PathLike[str], key: Mapping[str, Any], masses: np.ndarray):
        """Return ``(done, good_bytes)`` of a store compatible with ``key``, else raise ``ValueError``."""
        p = Path(path)
        if p.is_dir():
            raise IsADirectoryError(f"checkpoint store {str(p)!r} is a directory")
        header, done, good = read_store(p)
        key = _canonical_key(key)
        stored = header.get("key") or {}
        diff = sorted(k for k in set(key) | set(stored) if key.get(k) != stored.get(k))
        if diff:
            details = "; ".join(f"{k}: store {_describe(stored.get(k))}, this scan {_describe(key.get(k))}" for k in diff)
            raise ValueError(
                f"cannot resume from {str(p)!r}: it belongs to another scan ({details}); "
                "use another output directory, or run without --resume to start afresh"
            )
        masses = np.asarray(masses, dtype=float)
        for i, rec in done.items():
            where = f"cannot resume from {str(p)!r}: line {rec.get('_line', '?')}: point {i} (mass {rec['mass_gev']!r} GeV)"
            if not (0 <= i < masses.size) or rec["mass_gev"] != masses[i]:
                raise ValueError(f"{where} is not on this grid")
            if rec["status"] == "ok" and any(
                math.isnan(rec[c]) for m in key.get("methods", ()) if m in _METHOD_COLUMNS for c in _METHOD_COLUMNS[m]
            ):
                raise ValueError(f"{where} has status 'ok' but a missing limit")
        return done, good

    def append(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Append ``records`` (one line each) with a single write, then fsync; SIGINT/SIGTERM wait for it."""
        if self._fd is None:
            raise ValueError(f"checkpoint store {str(self.path)!r} is closed")
        data = "".join(_point_line(r, self.scan_id) for r in records).encode("utf-8")
        with critical():
            view = memoryview(data)
            try:
                while view:
                    n = os.write(self._fd, view)
                    view = view[n:]
                os.fsync(self._fd)
            except OSError as err:  # e.g. ENOSPC: name the store (a torn last line is ignored on resume)
                raise type(err)(err.errno, f"cannot append to checkpoint store {str(self.path)!r}: {err.strerror or err}") from None
        for r in records:
            self.done[int(r["index"])] = dict(r)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> CheckpointStore:  # noqa: PYI034 - not subclassed
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def store_key(
    likelihood: PrecisionLikelihood,
    width,
    methods: Sequence[str],
    masses: np.ndarray,
    model: ModelSpec | None = None,
    cl: float = 0.95,
) -> dict[str, Any]:
    """What must match for a checkpoint store to be resumed (see the module docstring).

    A Z'-model scan adds its model (name, mixing): a store of another model, or of the dark photon
    (which has no ``model`` key), is refused.
    """
    sm = likelihood.sm
    key = {
        "width": width_label(width),
        "methods": list(methods),
        "n_masses": int(masses.size),
        "grid_sha256": grid_digest(masses),
        "catalogue_hash": likelihood.catalogue.catalogue_hash(),
        "package_version": __version__,
        "beam_spread_rel": float(likelihood.beam_spread_rel),
        # the prediction switches (not in the catalogue hash): a store made with another treatment is not resumed
        "predictions": {"isr": bool(likelihood.isr), "energy_ranges": bool(likelihood.energy_ranges),
                        "lineshape_window_gev": float(likelihood.lineshape_window)},
        "sm_parameters": [float(sm.alpha), float(sm.sin2_theta_w), float(sm.mz0), float(sm.alpha_s_mz)],
    }
    if model is not None:
        key["model"] = model.to_metadata()
    if cl != 0.95:  # absent at the default, so stores written before --cl existed stay resumable
        key["confidence_level"] = float(cl)
    return key

def checkpoint_path(out_dir: str | os.PathLike[str], width) -> Path:
    """The checkpoint store of a scan of ``width`` in ``out_dir``: ``checkpoint_<width label>.jsonl``."""
    return Path(out_dir) / f"checkpoint_{width_label(width)}.jsonl"
