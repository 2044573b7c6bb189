"""ROOT output of limit curves, written with uproot, readable by any ROOT 6 and by uproot.

Per width ``w`` (a ``TDirectory``):

* ``w/limits`` — ``TTree`` (not an RNTuple: ROOT < 6.34 cannot read those, and a generic loop over keys
  must not trip over them): one ``double`` branch per CSV column (NaN kept) and a string branch ``status``.
* ``w/g_<column>`` — ``TGraph`` per limit column (NaN points dropped: a TGraph has no gaps).
* ``w/band_1sigma``, ``w/band_2sigma`` — the expected ±1σ/±2σ bands as closed polygons (``TGraph``:
  lower edge in increasing mass, then upper edge back; points where the band is NaN are left out), ready
  for ``Draw("F")``.
* ``w/status_json``, ``w/metadata_json`` — ``TObjString``s with the per-point status and the provenance.

:func:`root_file` is the one ROOT writer of the package (limit curves here, the CMS recast's spectra through
:func:`write_histograms`): built in memory with a fixed clock and UUID, then written atomically, so the same
content gives the same bytes.

Titles use ROOT markup (``m_{Z'} [GeV]``, ``#varepsilon``, ``g_{z}``). A Brazil plot in ROOT::

    auto f = TFile::Open("results/limits.root");
    auto b2 = f->Get<TGraph>("narrow/band_2sigma"); b2->SetFillColor(kOrange); b2->Draw("AF");
    auto b1 = f->Get<TGraph>("narrow/band_1sigma"); b1->SetFillColor(kGreen+1); b1->Draw("F");
    auto e = f->Get<TGraph>("narrow/g_eps95_exp"); e->SetLineStyle(2); e->Draw("L");
    f->Get<TGraph>("narrow/g_eps95_obs")->Draw("L"); gPad->SetLogx(); gPad->SetLogy();
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._optional import optional_dependency
from ..results import CURVE_COLUMNS, LIMIT_COLUMNS, LimitCurve, output_columns
from ._common import GZ_DEFINITION, METHOD, check_curves, definition, fixed_root_clock, fixed_uuid
from .atomic import MemoryFile, atomic_write_bytes, check_output_dir

__all__ = ["write_root", "read_root", "root_file", "write_histograms", "MASS_TITLE", "BANDS"]

_ROOT_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")
#: x-axis title of every graph (ROOT TLatex markup).
MASS_TITLE = "m_{Z'} [GeV]"
#: band graph name -> (lower column, upper column, title).
BANDS = {
    "band_1sigma": ("eps95_exp_m1", "eps95_exp_p1", "expected #pm1#sigma"),
    "band_2sigma": ("eps95_exp_m2", "eps95_exp_p2", "expected #pm2#sigma"),
}


def _y_title(c: LimitCurve) -> str:
    if c.coupling == "g_z":
        return "g_{z}"
    return {"hook": "#varepsilon (Hook et al.)", "epsilon_gamma": "#varepsilon_{#gamma}", "chi": "#chi = sin#varepsilon"}[c.convention]


def _graph_title(c: LimitCurve, what: str) -> str:
    if c.coupling == "g_z":
        return f"{c.model} Z', {c.width} width: {100 * c.confidence_level:g}% CL g_{{z}} ({what})"
    return f"{c.width} width: {100 * c.confidence_level:g}% CL #varepsilon ({what}), convention {c.convention}"


def band_polygon(mass: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closed polygon (x, y) of the band between ``lo`` and ``hi``: lower edge forward, upper edge backward,
    first point repeated at the end. Points where an edge is NaN are dropped; empty arrays if none is left."""
    keep = np.isfinite(lo) & np.isfinite(hi)
    m, a, b = mass[keep], lo[keep], hi[keep]
    if m.size == 0:
        return np.empty(0), np.empty(0)
    x = np.concatenate([m, m[::-1], m[:1]])
    y = np.concatenate([a, b[::-1], a[:1]])
    return x.astype(np.float64), y.astype(np.float64)


@contextlib.contextmanager
def root_file(path: str | os.PathLike[str]) -> Iterator[Any]:
    """An ``uproot`` file to fill, written atomically to ``path`` when the block ends without error.

    Built in memory (the file records its own name, so a random temp-file name would make the output
    differ between runs), with a fixed clock (:func:`~kinmix_stats.io._common.source_date_epoch`) and UUID.
    """
    with optional_dependency("root"):
        import uproot

    dest = check_output_dir(path)
    buffer = MemoryFile(dest.name)
    with fixed_root_clock(), uproot.recreate(buffer, uuid_function=fixed_uuid) as f:
        yield f
    atomic_write_bytes(dest, buffer.getvalue())


def write_histograms(
    path: str | os.PathLike[str], histograms: Mapping[str, tuple[Any, Any, str]], *, axis: tuple[str, str]
) -> Path:
    """Write 1-d histograms ``{key: (edges, values, title)}`` as ``hist`` histograms (TH1D) to a ROOT file.

    ``edges`` are regular (the first and last edge and the bin count define the axis); ``axis`` is the
    (name, label) of the x axis. Keys may contain ``/`` (directories). Returns the path.
    """
    with optional_dependency("root"):
        import hist

    with root_file(path) as f:
        for key, (edges, values, title) in histograms.items():
            h = hist.Hist.new.Reg(len(edges) - 1, edges[0], edges[-1], name=axis[0], label=axis[1]).Double()
            h.view()[:] = values
            h.title = title  # type: ignore[attr-defined]  # histogram metadata: uproot writes it as fTitle (not .label)
            f[key] = h
    return Path(path)


def write_root(curves: LimitCurve | Iterable[LimitCurve], path: str | os.PathLike[str]) -> Path:
    """Write ``curves`` to a ROOT file (layout in the module docstring); returns the path.

    Width names must match ``[A-Za-z0-9_.+-]+`` (they become directory names).
    """
    with optional_dependency("root"):
        import awkward as ak
        import uproot

    items = check_curves(curves, "write_root")
    for c in items:
        if not _ROOT_NAME.match(c.width):
            raise ValueError(f"write_root: width {c.width!r} is not usable as a ROOT directory name ([A-Za-z0-9_.+-]+)")
    with root_file(path) as f:
        for c in items:
            w = c.width
            names = c.output_columns
            tree = f.mktree(f"{w}/limits", {**dict.fromkeys(names, np.float64), "status": "string"},
                            title=f"{100 * c.confidence_level:g}% CL limits, {c.width} width ({c.model}); x = {MASS_TITLE}, y = {_y_title(c)}")
            tree.extend({**{out: np.ascontiguousarray(c.column(name), dtype=np.float64)
                            for name, out in zip(CURVE_COLUMNS, names, strict=True)},
                         "status": ak.Array(list(c.status))})
            for name, out in zip(LIMIT_COLUMNS, names[1:], strict=True):
                y = c.column(name)
                keep = ~np.isnan(y)
                if not keep.any():
                    continue  # method not run: the column stays in the tree (all NaN), no empty graph
                f[f"{w}/g_{out}"] = uproot.as_TGraph(
                    {"x": c.mass_gev[keep].astype(np.float64), "y": y[keep].astype(np.float64)},
                    title=_graph_title(c, METHOD[name][0]), xAxisLabel=MASS_TITLE, yAxisLabel=_y_title(c),
                )
            for gname, (lo, hi, label) in BANDS.items():
                x, y = band_polygon(c.mass_gev, c.column(lo), c.column(hi))
                if x.size:
                    f[f"{w}/{gname}"] = uproot.as_TGraph({"x": x, "y": y}, title=_graph_title(c, label),
                                                         xAxisLabel=MASS_TITLE, yAxisLabel=_y_title(c))
            f[f"{w}/status_json"] = json.dumps(list(c.status))
            info = {"model": c.model, "convention": c.convention, "epsilon_definition": definition(c.convention),
                    "metadata": c.metadata}
            if c.coupling != "epsilon":
                info.update({"coupling": c.coupling, "coupling_definition": GZ_DEFINITION})
            f[f"{w}/metadata_json"] = json.dumps(info, sort_keys=True)
    return Path(path)


def read_root(path: str | os.PathLike[str], width: str) -> LimitCurve:
    """Read one width back from a file written by :func:`write_root`."""
    with optional_dependency("root"):
        import uproot

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"ROOT file {str(p)!r} does not exist")
    with uproot.open(p) as f:
        if f"{width}/limits" not in f:
            raise ValueError(f"{p}: no curve for width {width!r}; found {sorted(k.split('/')[0].split(';')[0] for k in f.keys(recursive=False))}")
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
        **{c: np.asarray(arrays[n], dtype=float) for c, n in zip(CURVE_COLUMNS, names, strict=True)},
    )
