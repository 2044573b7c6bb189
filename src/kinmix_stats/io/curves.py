"""Writers and readers for :class:`~kinmix_stats.results.LimitCurve`: CSV, JSON, HEPData YAML, ROOT.

Formats
-------
* **CSV** — exactly the columns ``mass_gev,eps95_obs,eps95_exp,eps95_exp_m2,eps95_exp_m1,eps95_exp_p1,
  eps95_exp_p2,eps95_chi2,status`` (for a curve on the Z' gauge coupling, ``coupling="g_z"``: the same with
  ``gz95_`` instead of ``eps95_``, see :func:`~kinmix_stats.results.output_columns`); no comment lines,
  ``\n`` line ends. Floats are written with ``repr`` (shortest string that round-trips exactly), NaN as an
  empty cell; ``status`` is "ok" or why the point's limits are missing or not reliable (quoted by the
  ``csv`` module when it contains a comma). Width and metadata are in the JSON.
* **JSON** — :meth:`LimitCurve.to_dict` plus a format tag and the ε definition, fixed key order,
  metadata keys sorted, NaN as ``null``: identical curves give byte-identical files.
* **HEPData** — :mod:`kinmix_stats.io.hepdata`: a submission directory and upload archive that pass
  ``hepdata-validate``, one table per width, expected bands as asymmetric errors, status per point.
* **ROOT** — :mod:`kinmix_stats.io.root`: per width a TTree ``limits`` (CSV columns incl. status),
  TGraphs per limit column, the ±1σ/±2σ bands as closed polygons, status and metadata strings.

Every writer is atomic (``io.atomic``) and returns the path it wrote. Every ε is in the curve's
convention, Hook et al.'s by default: L ⊃ −(sin ε/2) F′_{μν} B^{μν}. A g_z curve is labelled as such
in every format (column names, HEPData variables and qualifiers, ROOT titles, the JSON
``coupling`` key); ε curves are written exactly as before g_z curves existed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..results import CURVE_COLUMNS, LimitCurve, output_columns
from ._common import EPSILON_DEFINITIONS, GZ_DEFINITION
from ._common import definition as _definition
from .atomic import atomic_write_csv, atomic_write_json

__all__ = [
    "CSV_HEADER",
    "GZ_CSV_HEADER",
    "STATUS_COLUMN",
    "JSON_FORMAT",
    "GZ_DEFINITION",
    "EPSILON_DEFINITIONS",
    "DEFAULT_REACTION",
    "write_limits_csv",
    "read_limits_csv",
    "write_limits_json",
    "read_limits_json",
    "content_sha256",
    "write_hepdata",
    "write_root",
    "read_root",
]

#: Name of the last CSV column: "ok" or why the point's limits are missing or not reliable.
STATUS_COLUMN = "status"
#: The exact header line of the limits CSV.
CSV_HEADER = ",".join((*CURVE_COLUMNS, STATUS_COLUMN))
#: The header line of the limits CSV of a curve on the Z' gauge coupling g_z.
GZ_CSV_HEADER = ",".join((*output_columns("g_z"), STATUS_COLUMN))
#: Headers of files written before the status column existed (read with status "not recorded").
_LEGACY_HEADERS = {",".join(CURVE_COLUMNS): "epsilon", ",".join(output_columns("g_z")): "g_z"}
_HEADERS = {CSV_HEADER: "epsilon", GZ_CSV_HEADER: "g_z"}
#: Format tag and version stored in every JSON file.
JSON_FORMAT = "kinmix_stats.limit_curve"
JSON_FORMAT_VERSION = 1


def _fmt(value: float) -> str:
    """Lossless, deterministic text for one float: ``repr``; NaN → empty cell."""
    return "" if math.isnan(value) else repr(float(value))


# --------------------------------------------------------------------------------------------- CSV
def write_limits_csv(curve: LimitCurve, path: str | os.PathLike[str]) -> Path:
    """Write the columns of ``curve`` and its per-point status to ``path`` as CSV (header
    :data:`CSV_HEADER`, or :data:`GZ_CSV_HEADER` for a g_z curve)."""
    if not isinstance(curve, LimitCurve):
        raise ValueError(f"write_limits_csv expects a LimitCurve, got {type(curve).__name__}")
    cols = [curve.column(c).tolist() for c in CURVE_COLUMNS]
    rows = ([*(_fmt(col[i]) for col in cols), curve.status[i]] for i in range(len(curve)))
    return atomic_write_csv(path, (*curve.output_columns, STATUS_COLUMN), rows)


def read_limits_csv(
    path: str | os.PathLike[str],
    *,
    width: str,
    model: str = "dark_photon",
    convention: str = "hook",
    status: Sequence[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> LimitCurve:
    """Read a CSV written by :func:`write_limits_csv` into a :class:`LimitCurve`.

    The CSV carries no width, so ``width`` is required. ``status`` overrides the file's status column;
    files written before that column existed get ``"not recorded (read from CSV)"`` for every point.
    ``metadata`` defaults to ``{"source_file": <path>}``. The header says whether the columns are ε
    or g_z; a g_z file needs the ``model`` it belongs to.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"limits CSV {str(p)!r} does not exist")
    with p.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = ",".join(rows[0]) if rows else ""
    if header not in _HEADERS and header not in _LEGACY_HEADERS:
        got = header if rows else "<empty file>"
        raise ValueError(f"{p}: line 1: header must be exactly {CSV_HEADER!r} (or {GZ_CSV_HEADER!r}), got {got!r}")
    has_status = header in _HEADERS
    coupling = _HEADERS[header] if has_status else _LEGACY_HEADERS[header]
    names = output_columns(coupling)
    if coupling == "g_z" and model == "dark_photon":
        raise ValueError(f"{p}: a g_z limits CSV belongs to a Z' model: give model=<name> (e.g. 'chi')")
    data: dict[str, list[float]] = {c: [] for c in CURVE_COLUMNS}
    file_status: list[str] = []
    n_cells = len(CURVE_COLUMNS) + int(has_status)
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != n_cells:
            raise ValueError(f"{p}: line {lineno}: expected {n_cells} cells, got {len(row)}: {row!r}")
        for name, label, cell in zip(CURVE_COLUMNS, names, row, strict=False):  # row may end with the status cell
            try:
                data[name].append(float("nan") if cell == "" else float(cell))
            except ValueError as err:
                raise ValueError(f"{p}: line {lineno}: column {label}: not a number: {cell!r}") from err
        if has_status:
            file_status.append(row[-1])
    n = len(data["mass_gev"])
    if status is None:
        status = file_status if has_status else ("not recorded (read from CSV)",) * n
    return LimitCurve(
        width=width,
        model=model,
        convention=convention,
        status=tuple(status),
        metadata=metadata if metadata is not None else {"source_file": str(p)},
        coupling=coupling,
        **{c: np.asarray(v, dtype=float) for c, v in data.items()},
    )


# -------------------------------------------------------------------------------------------- JSON
def _json_document(curve: LimitCurve) -> dict[str, Any]:
    body = curve.to_dict()
    doc: dict[str, Any] = {
        "format": JSON_FORMAT,
        "format_version": JSON_FORMAT_VERSION,
        "confidence_level": curve.confidence_level,
        "epsilon_definition": _definition(curve.convention),
    }
    if curve.coupling == "g_z":
        doc["coupling_definition"] = GZ_DEFINITION
    doc.update(body)
    doc["content_sha256"] = content_sha256(doc)
    return doc


def content_sha256(doc: dict[str, Any]) -> str:
    """sha256 of a limits JSON document without its ``content_sha256`` key, in canonical form (sorted
    keys, no whitespace; floats by ``repr``, which round-trips, so a re-read document hashes the same)."""
    body = {k: v for k, v in doc.items() if k != "content_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_limits_json(curve: LimitCurve, path: str | os.PathLike[str]) -> Path:
    """Write ``curve`` (columns, status, metadata) as deterministic JSON to ``path``."""
    if not isinstance(curve, LimitCurve):
        raise ValueError(f"write_limits_json expects a LimitCurve, got {type(curve).__name__}")
    return atomic_write_json(path, _json_document(curve), indent=2)


def read_limits_json(path: str | os.PathLike[str], *, verify: bool = True) -> LimitCurve:
    """Read a file written by :func:`write_limits_json`.

    With ``verify`` (default) the document must carry the ``content_sha256`` the writer put in it and
    match it: a limit, status or metadata edited after the scan is refused (``ValueError`` naming the file).
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"limits JSON {str(p)!r} does not exist")
    try:
        doc = json.loads(p.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{p}: not a text file (not UTF-8): not a limits JSON") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{p}: not valid JSON ({err})") from None
    except OSError as err:
        raise OSError(err.errno, f"cannot read {str(p)!r}: {err.strerror}") from None
    if not isinstance(doc, dict) or doc.get("format") != JSON_FORMAT:
        raise ValueError(f"{p}: not a {JSON_FORMAT} document (format={doc.get('format') if isinstance(doc, dict) else None!r})")
    if doc.get("format_version") != JSON_FORMAT_VERSION:
        raise ValueError(f"{p}: format_version {doc.get('format_version')!r} not supported (expected {JSON_FORMAT_VERSION})")
    try:
        curve = LimitCurve.from_dict(doc)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{p}: {err}") from err
    if verify:
        recorded = doc.get("content_sha256")
        if not isinstance(recorded, str):
            raise ValueError(f"{p}: no content_sha256: the file was not written by this version of kinmix_stats "
                             "or was edited; rerun the scan")
        if recorded != content_sha256(doc):
            raise ValueError(f"{p}: content does not match its content_sha256 {recorded[:12]}: the file was changed "
                             "after it was written; rerun the scan")
    return curve


# ---------------------------------------------------------------- HEPData and ROOT (own modules)
from .hepdata import DEFAULT_REACTION, write_hepdata
from .root import read_root, write_root
