"""Writers and readers for :class:`~kinmix_stats.results.LimitCurve`: CSV, JSON, HEPData YAML, ROOT.

Formats
-------
* **CSV** — exactly the columns ``mass_gev,eps95_obs,eps95_exp,eps95_exp_m2,eps95_exp_m1,eps95_exp_p1,
  eps95_exp_p2,eps95_chi2`` (for a curve on the Z' gauge coupling, ``coupling="g_z"``: the same with
  ``gz95_`` instead of ``eps95_``, see :func:`~kinmix_stats.results.output_columns`); no comment lines, ``\\n`` line ends. Floats are written with ``repr``
  (shortest string that round-trips exactly), NaN as an empty cell. Width, status and metadata are not
  in the CSV (fixed columns); they are in the JSON.
* **JSON** — :meth:`LimitCurve.to_dict` plus a format tag and the ε definition, fixed key order,
  metadata keys sorted, NaN as ``null``: identical curves give byte-identical files.
* **HEPData** — one table per width written by ``hepdata_lib`` (``Submission.create_files``), values
  unrounded.
* **ROOT** — per width a directory with a TTree ``limits`` (one branch per CSV column, NaN kept),
  one ``TGraph`` per limit column (NaN points dropped, a TGraph has no gaps), and ``TObjString``s
  ``status_json`` and ``metadata_json``.

Every writer is atomic (``io.atomic``) and returns the path it wrote. Every ε is in the curve's
convention, Hook et al.'s by default: L ⊃ −(sin ε/2) F′_{μν} B^{μν}. A g_z curve is labelled as such
in every format (column names, HEPData variables and qualifiers, ROOT titles, the JSON
``coupling`` key); ε curves are written exactly as before g_z curves existed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..results import CURVE_COLUMNS, LIMIT_COLUMNS, LimitCurve, output_columns
from .atomic import atomic_write_bytes, atomic_write_json, atomic_write_text, check_output_dir

__all__ = [
    "CSV_HEADER",
    "GZ_CSV_HEADER",
    "JSON_FORMAT",
    "GZ_DEFINITION",
    "EPSILON_DEFINITIONS",
    "DEFAULT_REACTION",
    "write_limits_csv",
    "read_limits_csv",
    "write_limits_json",
    "read_limits_json",
    "write_hepdata",
    "write_root",
    "read_root",
]

#: The exact header line of the limits CSV.
CSV_HEADER = ",".join(CURVE_COLUMNS)
#: The header line of the limits CSV of a curve on the Z' gauge coupling g_z.
GZ_CSV_HEADER = ",".join(output_columns("g_z"))
_HEADERS = {CSV_HEADER: "epsilon", GZ_CSV_HEADER: "g_z"}
#: Format tag and version stored in every JSON file.
JSON_FORMAT = "kinmix_stats.limit_curve"
JSON_FORMAT_VERSION = 1
#: Human-readable definition of each ε convention, written into every output.
EPSILON_DEFINITIONS: dict[str, str] = {
    "hook": "Hook, Izaguirre, Wacker (arXiv:1006.0973) eps: L > -(sin eps / 2) F'_{mu nu} B^{mu nu}",
    "epsilon_gamma": "photon-like eps_gamma: the Z' couples as eps_gamma * e * Q at m_Z' << m_Z",
    "chi": "PDG Z' review chi = sin(eps): L > -(chi / 2) B_{mu nu} Z'^{mu nu}",
}
#: Definition of g_z written into every output of a g_z curve.
GZ_DEFINITION = (
    "U(1)' gauge coupling g_z of the PDG Z' review (Chen, Dobrescu, Willocq): L > g_z Z'_mu sum_f fbar gamma^mu "
    "(z_L(f) P_L + z_R(f) P_R) f with the charges z of the model (PDG Table 1); any kinetic mixing (Hook eps) "
    "or Z-Z' mass mixing is a fixed input listed in the metadata"
)
_SYMBOL = {"epsilon": "EPSILON", "g_z": "G_Z"}
#: Reaction qualifier used in HEPData output unless the caller or ``curve.metadata['reaction']`` gives one.
DEFAULT_REACTION = "E+ E- --> F FBAR and P P --> L+ L- X (electroweak precision fit)"

_METHOD = {
    "eps95_obs": ("observed", "CLs, q~mu test statistic, asymptotic"),
    "eps95_exp": ("expected (median)", "CLs, q~mu test statistic, asymptotic"),
    "eps95_exp_m2": ("expected -2 sigma", "CLs, q~mu test statistic, asymptotic"),
    "eps95_exp_m1": ("expected -1 sigma", "CLs, q~mu test statistic, asymptotic"),
    "eps95_exp_p1": ("expected +1 sigma", "CLs, q~mu test statistic, asymptotic"),
    "eps95_exp_p2": ("expected +2 sigma", "CLs, q~mu test statistic, asymptotic"),
    "eps95_chi2": ("observed (chi2 cross-check)", "Delta chi2 = 3.84 (Hook et al. Eq. 17, E_min filter Eq. 19)"),
}
_ROOT_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")


def _fmt(value: float) -> str:
    """Lossless, deterministic text for one float: ``repr``; NaN → empty cell."""
    return "" if math.isnan(value) else repr(float(value))


def _definition(convention: str) -> str:
    return EPSILON_DEFINITIONS[convention]


# --------------------------------------------------------------------------------------------- CSV
def write_limits_csv(curve: LimitCurve, path: str | os.PathLike[str]) -> Path:
    """Write the numeric columns of ``curve`` to ``path`` as CSV (header :data:`CSV_HEADER`, or
    :data:`GZ_CSV_HEADER` for a g_z curve)."""
    if not isinstance(curve, LimitCurve):
        raise ValueError(f"write_limits_csv expects a LimitCurve, got {type(curve).__name__}")
    cols = [curve.column(c).tolist() for c in CURVE_COLUMNS]
    lines = [",".join(curve.output_columns)]
    lines += [",".join(_fmt(col[i]) for col in cols) for i in range(len(curve))]
    return atomic_write_text(path, "\n".join(lines) + "\n")


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

    The CSV carries neither width nor status, so ``width`` is required and ``status`` defaults to
    ``"not recorded (read from CSV)"`` for every point (the JSON keeps the real status).
    ``metadata`` defaults to ``{"source_file": <path>}``. The header says whether the columns are ε
    or g_z; a g_z file needs the ``model`` it belongs to.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"limits CSV {str(p)!r} does not exist")
    with p.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows or ",".join(rows[0]) not in _HEADERS:
        got = ",".join(rows[0]) if rows else "<empty file>"
        raise ValueError(f"{p}: line 1: header must be exactly {CSV_HEADER!r} (or {GZ_CSV_HEADER!r}), got {got!r}")
    coupling = _HEADERS[",".join(rows[0])]
    names = output_columns(coupling)
    if coupling == "g_z" and model == "dark_photon":
        raise ValueError(f"{p}: a g_z limits CSV belongs to a Z' model: give model=<name> (e.g. 'chi')")
    data: dict[str, list[float]] = {c: [] for c in CURVE_COLUMNS}
    for lineno, row in enumerate(rows[1:], start=2):
        if len(row) != len(CURVE_COLUMNS):
            raise ValueError(f"{p}: line {lineno}: expected {len(CURVE_COLUMNS)} cells, got {len(row)}: {row!r}")
        for name, label, cell in zip(CURVE_COLUMNS, names, row):
            try:
                data[name].append(float("nan") if cell == "" else float(cell))
            except ValueError as err:
                raise ValueError(f"{p}: line {lineno}: column {label}: not a number: {cell!r}") from err
    n = len(data["mass_gev"])
    return LimitCurve(
        width=width,
        model=model,
        convention=convention,
        status=tuple(status) if status is not None else ("not recorded (read from CSV)",) * n,
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
        "confidence_level": 0.95,
        "epsilon_definition": _definition(curve.convention),
    }
    if curve.coupling == "g_z":
        doc["coupling_definition"] = GZ_DEFINITION
    doc.update(body)
    return doc


def write_limits_json(curve: LimitCurve, path: str | os.PathLike[str]) -> Path:
    """Write ``curve`` (columns, status, metadata) as deterministic JSON to ``path``."""
    if not isinstance(curve, LimitCurve):
        raise ValueError(f"write_limits_json expects a LimitCurve, got {type(curve).__name__}")
    return atomic_write_json(path, _json_document(curve), indent=2)


def read_limits_json(path: str | os.PathLike[str]) -> LimitCurve:
    """Read a file written by :func:`write_limits_json`."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"limits JSON {str(p)!r} does not exist")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{p}: not valid JSON ({err})") from None
    if not isinstance(doc, dict) or doc.get("format") != JSON_FORMAT:
        raise ValueError(f"{p}: not a {JSON_FORMAT} document (format={doc.get('format') if isinstance(doc, dict) else None!r})")
    if doc.get("format_version") != JSON_FORMAT_VERSION:
        raise ValueError(f"{p}: format_version {doc.get('format_version')!r} not supported (expected {JSON_FORMAT_VERSION})")
    try:
        return LimitCurve.from_dict(doc)
    except ValueError as err:
        raise ValueError(f"{p}: {err}") from err


# ----------------------------------------------------------------------------------------- helpers
def _check_curves(curves: LimitCurve | Iterable[LimitCurve], where: str) -> list[LimitCurve]:
    items = [curves] if isinstance(curves, LimitCurve) else list(curves)
    if not items:
        raise ValueError(f"{where}: no curves given")
    for c in items:
        if not isinstance(c, LimitCurve):
            raise ValueError(f"{where}: expected LimitCurve objects, got {type(c).__name__}")
        if len(c) == 0:
            raise ValueError(f"{where}: curve for width {c.width!r} has no points")
    widths = [c.width for c in items]
    dupes = sorted({w for w in widths if widths.count(w) > 1})
    if dupes:
        raise ValueError(f"{where}: more than one curve for width(s) {dupes}; one table/directory per width")
    return items


@contextlib.contextmanager
def _chdir(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


# ----------------------------------------------------------------------------------------- HEPData
def _hepdata_table(curve: LimitCurve, reaction: str) -> Any:
    from hepdata_lib import Table, Variable

    gz = curve.coupling == "g_z"
    symbol = _SYMBOL[curve.coupling]
    table = Table(f"G_Z upper limits {curve.width} width" if gz else f"Epsilon upper limits {curve.width} width")
    not_ok = [f"m = {m!r} GeV: {s}" for m, s in zip(curve.mass_gev.tolist(), curve.status) if s != "ok"]
    if gz:
        what = (f"95% CL upper limits on the U(1)' gauge coupling g_z of the {curve.model} Z' ({curve.width} width) "
                f"versus its physical mass. g_z: {GZ_DEFINITION}. Epsilon convention of the kinetic-mixing input: "
                f"{_definition(curve.convention)}.")
    else:
        what = (f"95% CL upper limits on the kinetic mixing of a {curve.model} Z' ({curve.width} width) versus its "
                f"physical mass. Epsilon convention: {_definition(curve.convention)}.")
    table.description = (
        what + " Missing values ('-') mark points where a method was not run or gave no limit"
        + (": " + "; ".join(not_ok) + "." if not_ok else ".")
    )
    table.location = "kinmix_stats output"
    table.keywords["observables"] = [symbol]
    table.keywords["reactions"] = [reaction]
    table.keywords["phrases"] = (["Z'", "Gauge coupling", f"{curve.model} model", "Electroweak precision"] if gz
                                 else ["Dark photon", "Kinetic mixing", "Z'", "Electroweak precision"])

    mass = Variable("M(Z')", is_independent=True, is_binned=False, units="GeV")
    mass.digits = 20  # hepdata_lib rounds to `digits` significant figures; 20 keeps every float exact
    mass.values = curve.mass_gev.tolist()
    table.add_variable(mass)
    for name, column in zip(LIMIT_COLUMNS, curve.output_columns[1:]):
        label, method = _METHOD[name]
        var = Variable(f"{symbol} ({label})", is_independent=False, is_binned=False)
        var.digits = 20
        var.values = ["-" if math.isnan(v) else float(v) for v in curve.column(name).tolist()]
        var.add_qualifier("CL", "95%")
        var.add_qualifier("LIMIT", label)
        var.add_qualifier("METHOD", method)
        var.add_qualifier("RE", reaction)
        var.add_qualifier("WIDTH", curve.width)
        var.add_qualifier("MODEL", curve.model)
        var.add_qualifier("EPSILON CONVENTION", _definition(curve.convention))
        if gz:
            var.add_qualifier("COUPLING", "g_z (U(1)' gauge coupling, PDG Z' review)")
        var.add_qualifier("COLUMN", column)
        table.add_variable(var)
    return table


def write_hepdata(
    curves: LimitCurve | Iterable[LimitCurve],
    out_dir: str | os.PathLike[str],
    *,
    reaction: str | None = None,
    comment: str = "",
    validate: bool = True,
    overwrite: bool = True,
) -> Path:
    """Write a HEPData submission (one table per width) into ``out_dir`` with ``hepdata_lib``.

    The files are produced by ``Submission.create_files(staging, remove_old=True)`` in a staging
    directory next to ``out_dir`` (hepdata_lib writes ``submission.tar.gz`` into the current working
    directory, so the call runs with a private work directory as cwd — not thread-safe — and the
    tarball, ready for upload, is moved into the submission). The staging directory then replaces
    ``out_dir``: readers see the old or the new submission, never a mix.
    ``reaction`` defaults to ``curve.metadata['reaction']`` of the first curve, else :data:`DEFAULT_REACTION`.
    Returns ``out_dir``.
    """
    from hepdata_lib import Submission

    items = _check_curves(curves, "write_hepdata")
    out = Path(out_dir)
    check_output_dir(out, is_dir=True)  # the parent must exist and be writable; out is not a file
    if out.exists() and not overwrite:
        raise FileExistsError(f"write_hepdata: {str(out)!r} exists and overwrite=False")
    if reaction is None:
        meta_reaction = items[0].metadata.get("reaction")
        reaction = meta_reaction if isinstance(meta_reaction, str) and meta_reaction else DEFAULT_REACTION

    submission = Submission()
    if not comment:
        comment = ("95% CL limits on the gauge coupling g_z of Z' models produced by kinmix_stats."
                   if all(c.coupling == "g_z" for c in items) else "95% CL limits on dark-photon kinetic mixing produced by kinmix_stats.")
    submission.comment = comment
    for curve in items:
        submission.add_table(_hepdata_table(curve, reaction))

    parent = out.parent if str(out.parent) else Path(".")
    workdir = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=parent)).resolve()
    staging = workdir / "submission"
    backup: Path | None = None
    try:
        with _chdir(workdir):  # hepdata_lib writes submission.tar.gz into the cwd
            submission.create_files(str(staging), validate=validate, remove_old=True)
        _deterministic_tarball(staging, staging / "submission.tar.gz")
        (workdir / "submission.tar.gz").unlink(missing_ok=True)
        if out.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            backup.rmdir()
            os.replace(out, backup)
        os.replace(staging, out)
    except BaseException:
        if backup is not None and backup.exists() and not out.exists():
            os.replace(backup, out)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    shutil.rmtree(workdir, ignore_errors=True)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    return out


# ------------------------------------------------------------------------------- reproducibility
def _source_date_epoch() -> int:
    """Timestamp written into binary containers: $SOURCE_DATE_EPOCH (reproducible-builds convention),
    default 946684800 = 2000-01-01T00:00:00Z (ROOT's TDatime cannot represent dates before 1995), so
    the same inputs give byte-identical ROOT and tar.gz files."""
    try:
        return int(os.environ.get("SOURCE_DATE_EPOCH", "946684800"))
    except ValueError:
        raise ValueError(f"SOURCE_DATE_EPOCH must be an integer (seconds), got {os.environ['SOURCE_DATE_EPOCH']!r}") from None


def _deterministic_tarball(directory: Path, target: Path) -> None:
    """gzip'ed tar of the YAML files of ``directory`` with fixed order, owners and times."""
    import gzip
    import io
    import tarfile

    epoch = _source_date_epoch()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for f in sorted(p for p in directory.iterdir() if p.is_file() and p.name != target.name):
            data = f.read_bytes()
            info = tarfile.TarInfo(f.name)
            info.size, info.mtime, info.mode = len(data), epoch, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    with open(target, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch) as gz:
        gz.write(buf.getvalue())


@contextlib.contextmanager
def _fixed_root_clock() -> Iterator[None]:
    """Make uproot write a fixed creation time (its writer calls ``datetime.datetime.now()``)."""
    import datetime as _dt

    import uproot.writing._cascade as cascade
    import uproot.writing._cascadentuple as cascadentuple
    import uproot.writing._cascadetree as cascadetree
    from uproot.writing import writable

    fixed = _dt.datetime.fromtimestamp(_source_date_epoch(), tz=_dt.timezone.utc).replace(tzinfo=None)

    class _Clock(_dt.datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ARG003 - signature of datetime.now
            return fixed

    class _Module:
        datetime = _Clock

    modules = (cascade, cascadentuple, cascadetree, writable)
    originals = [m.datetime for m in modules]
    for m in modules:
        m.datetime = _Module
    try:
        yield
    finally:
        for m, orig in zip(modules, originals):
            m.datetime = orig


def _fixed_uuid():
    import uuid

    return uuid.UUID(int=0)


# -------------------------------------------------------------------------------------------- ROOT
def write_root(curves: LimitCurve | Iterable[LimitCurve], path: str | os.PathLike[str]) -> Path:
    """Write ``curves`` to a ROOT file with uproot (see module docstring for the layout).

    Per width ``w``: ``w/limits`` (TTree, branches = CSV columns, NaN kept), ``w/g_<column>``
    (TGraph per limit column, NaN points dropped; x = mass in GeV, y = ε, or g_z for a g_z curve),
    ``w/status_json`` and ``w/metadata_json`` (TObjString). Width names must match ``[A-Za-z0-9_.+-]+``.
    """
    import uproot

    items = _check_curves(curves, "write_root")
    for c in items:
        if not _ROOT_NAME.match(c.width):
            raise ValueError(f"write_root: width {c.width!r} is not usable as a ROOT directory name ([A-Za-z0-9_.+-]+)")
    dest = check_output_dir(path)
    # Built in memory (the file records its own name, so a random temp-file name would make the
    # output differ between runs), with a fixed clock and UUID, then written atomically.
    buffer = _NamedBytesIO(dest.name)
    with _fixed_root_clock(), uproot.recreate(buffer, uuid_function=_fixed_uuid) as f:
        for c in items:
            w = c.width
            f[f"{w}/limits"] = {out: np.ascontiguousarray(c.column(name), dtype=np.float64)
                                for name, out in zip(CURVE_COLUMNS, c.output_columns)}
            for name, out in zip(LIMIT_COLUMNS, c.output_columns[1:]):
                y = c.column(name)
                keep = ~np.isnan(y)
                if not keep.any():
                    continue  # method not run: the column stays in the tree (all NaN), no empty graph
                label = _METHOD[name][0]
                if c.coupling == "g_z":
                    title, ylabel = f"{c.model} Z', {c.width} width: 95% CL g_z ({label})", "g_z"
                else:
                    title, ylabel = f"{c.width} width: 95% CL eps ({label}), convention {c.convention}", f"epsilon ({c.convention})"
                f[f"{w}/g_{out}"] = uproot.as_TGraph(
                    {"x": c.mass_gev[keep].astype(np.float64), "y": y[keep].astype(np.float64)},
                    title=title,
                    xAxisLabel="m_Z' [GeV]",
                    yAxisLabel=ylabel,
                )
            f[f"{w}/status_json"] = json.dumps(list(c.status))
            info = {"model": c.model, "convention": c.convention, "epsilon_definition": _definition(c.convention),
                    "metadata": c.metadata}
            if c.coupling != "epsilon":  # epsilon files stay exactly as before g_z curves existed
                info.update({"coupling": c.coupling, "coupling_definition": GZ_DEFINITION})
            f[f"{w}/metadata_json"] = json.dumps(info, sort_keys=True)
    return atomic_write_bytes(dest, buffer.getvalue())


class _NamedBytesIO(io.BytesIO):
    """In-memory file for uproot; kept open when uproot closes it so the bytes can be read."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def close(self) -> None:  # uproot closes its sink; keep the buffer readable
        pass


def read_root(path: str | os.PathLike[str], width: str) -> LimitCurve:
    """Read one width back from a file written by :func:`write_root`."""
    import uproot

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"ROOT file {str(p)!r} does not exist")
    with uproot.open(p) as f:
        if f"{width}/limits" not in f:
            raise ValueError(f"{p}: no curve for width {width!r}; found {sorted(k.split('/')[0] for k in f.keys(recursive=False))}")
        status = json.loads(str(f[f"{width}/status_json"]))
        info = json.loads(str(f[f"{width}/metadata_json"]))
        coupling = info.get("coupling", "epsilon")
        names = output_columns(coupling)
        arrays = f[f"{width}/limits"].arrays(list(names), library="np")
    return LimitCurve(
        width=width,
        model=info["model"],
        convention=info["convention"],
        status=tuple(status),
        metadata=info["metadata"],
        coupling=coupling,
        **{c: np.asarray(arrays[n], dtype=float) for c, n in zip(CURVE_COLUMNS, names)},
    )
