"""Proton PDFs from LHAPDF6 ``lhagrid1`` files: discovery and a small vectorised reader.

Why a reader of our own
-----------------------
The ``pythia8mc`` wheel (optional extra ``pdf`` of this package) ships central members of several
sets as bare ``<set>_0000.dat`` files without the LHAPDF ``.info`` file, which the ``parton``
package needs. The ``lhagrid1`` format is simple, so we read it directly: a YAML header, then one
block per Q subgrid separated by ``---`` lines; each block holds the x knots, the Q knots, the
PDG ids of the flavours and ``len(x) * len(Q)`` rows (x outer, Q inner) of ``x f(x, Q)``.

Interpolation is a bicubic spline in ``(ln x, ln Q^2)`` on each subgrid
(:class:`scipy.interpolate.RectBivariateSpline`, as the ``parton`` package does; LHAPDF itself
uses local cubic Hermite splines, which agree to far better than the accuracy needed here).
Outside the grid, Q is frozen at the nearest edge and ``x f`` is 0 for ``x >= 1``; x below the
grid is clamped to the smallest knot (never reached at the LHC masses used here, x >~ 1e-8).

Discovery order (:func:`find_pdf_file`)
---------------------------------------
1. an explicit ``path`` (a ``.dat`` file, or a directory holding ``<set>/<set>_NNNN.dat`` or
   ``<set>_NNNN.dat``);
2. every directory of ``$LHAPDF_DATA_PATH`` (colon separated; LHAPDF layout ``<dir>/<set>/``);
3. the ``share/Pythia8/pdfdata/`` directory of the installed ``pythia8mc`` wheel
   (located through :mod:`importlib.metadata`; install with ``pip install 'kinmix_stats[pdf]'``
   or ``pip install pythia8mc``);
4. otherwise :class:`FileNotFoundError` explaining these three ways to provide one.

Default set: ``NNPDF31_nlo_as_0118_luxqed`` (NNPDF3.1 NLO + luxQED, central member), the NLO set
available through PyPI. The broad-dark-photon paper (Felix, Thomas, Wang et al., arXiv:2505.03241,
Sec. IV) used NNPDF4.0 NLO (arXiv:2109.02653), which is not available through PyPI; pass its
LHAPDF directory as ``path`` or in ``$LHAPDF_DATA_PATH`` to use it.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import re
from pathlib import Path

import numpy as np
from scipy.interpolate import RectBivariateSpline

from .._checks import check_positive

__all__ = [
    "DEFAULT_PDF_SET",
    "LHAPDFGrid",
    "find_pdf_file",
    "pythia8_pdfdata_dir",
    "load_pdf",
    "momentum_sum",
    "number_sum",
    "QUARK_PID",
]

DEFAULT_PDF_SET = "NNPDF31_nlo_as_0118_luxqed"
QUARK_PID: dict[str, int] = {"d": 1, "u": 2, "s": 3, "c": 4, "b": 5, "t": 6}
"""PDG Monte Carlo ids of the quarks (antiquarks are the negatives; gluon 21, photon 22)."""

_HOW_TO_GET = (
    "Provide one of: (1) an explicit path to an LHAPDF6 lhagrid1 '.dat' file or set directory; "
    "(2) the environment variable LHAPDF_DATA_PATH pointing to an LHAPDF data directory containing "
    "'{name}/{name}_{member:04d}.dat' (download sets from https://lhapdf.hepforge.org/pdfsets); "
    "(3) the pythia8mc wheel, which ships NNPDF31_nlo_as_0118_luxqed and other central members: "
    "pip install 'kinmix_stats[pdf]' (or pip install pythia8mc)."
)


def pythia8_pdfdata_dir() -> Path | None:
    """The ``share/Pythia8/pdfdata`` directory of the installed ``pythia8mc`` wheel, or None.

    Found through the wheel's RECORD (:func:`importlib.metadata.distribution`), so it works for
    any virtual-environment layout without importing pythia8.
    """
    try:
        dist = importlib.metadata.distribution("pythia8mc")
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        parts = Path(str(entry)).parts
        if "pdfdata" in parts and str(entry).endswith(".dat"):
            located = Path(str(dist.locate_file(entry))).resolve()
            return located.parent
    return None


def _candidates(directory: Path, name: str, member: int) -> list[Path]:
    fname = f"{name}_{member:04d}.dat"
    return [directory / name / fname, directory / fname]


def find_pdf_file(name: str = DEFAULT_PDF_SET, member: int = 0, path: str | os.PathLike | None = None) -> Path:
    """Locate the ``lhagrid1`` file of PDF set ``name``, member ``member`` (see module docstring).

    Raises
    ------
    FileNotFoundError: with the searched locations and how to obtain a grid.
    ValueError: if ``member`` is negative.
    """
    if not isinstance(member, (int, np.integer)) or member < 0:
        raise ValueError(f"PDF member must be an integer >= 0 (accepted range [0, inf)), got {member!r}")
    searched: list[str] = []
    if path is not None:
        p = Path(path)
        if p.is_file():
            return p
        if p.is_dir():
            for c in _candidates(p, name, member):
                if c.is_file():
                    return c
        raise FileNotFoundError(
            f"explicit PDF path {str(p)!r} is neither an lhagrid1 file nor a directory containing "
            f"{name}/{name}_{member:04d}.dat or {name}_{member:04d}.dat"
        )
    for d in filter(None, os.environ.get("LHAPDF_DATA_PATH", "").split(os.pathsep)):
        for c in _candidates(Path(d), name, member):
            searched.append(str(c))
            if c.is_file():
                return c
    pdir = pythia8_pdfdata_dir()
    if pdir is not None:
        for c in _candidates(pdir, name, member):
            searched.append(str(c))
            if c.is_file():
                return c
    else:
        searched.append("<pythia8mc not installed>")
    raise FileNotFoundError(
        f"PDF set {name!r} member {member} not found (searched: {', '.join(searched) or 'nothing'}). "
        + _HOW_TO_GET.format(name=name, member=member)
    )


class LHAPDFGrid:
    """One member of an LHAPDF6 ``lhagrid1`` PDF set, interpolated in (ln x, ln Q^2).

    Parameters
    ----------
    path: the ``.dat`` file.

    Attributes
    ----------
    path, header (the YAML header as a dict of strings), flavours (PDG ids), x_min, x_max,
    q_min, q_max, subgrids (list of (x, Q, xf[x, Q, flavour]) arrays).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        text = self.path.read_text()
        blocks = re.split(r"^\s*---\s*$", text, flags=re.MULTILINE)
        if len(blocks) < 2:
            raise ValueError(f"{self.path}: not an lhagrid1 file (no '---' separated blocks)")
        self.header = _parse_header(blocks[0])
        fmt = self.header.get("Format", "lhagrid1")
        if fmt != "lhagrid1":
            raise ValueError(f"{self.path}: unsupported PDF grid format {fmt!r}; accepted: 'lhagrid1'")
        self.subgrids: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        flavours: np.ndarray | None = None
        for block in blocks[1:]:
            lines = [ln for ln in block.strip().splitlines() if ln.strip()]
            if len(lines) < 4:
                continue
            x = np.array(lines[0].split(), dtype=float)
            q = np.array(lines[1].split(), dtype=float)
            fl = np.array(lines[2].split(), dtype=int)
            values = np.array(" ".join(lines[3:]).split(), dtype=float)
            if values.size != x.size * q.size * fl.size:
                raise ValueError(
                    f"{self.path}: subgrid has {values.size} numbers, expected "
                    f"{x.size}*{q.size}*{fl.size}={x.size * q.size * fl.size}"
                )
            fl = np.where(fl == 0, 21, fl)  # 0 is an alias of the gluon
            if flavours is None:
                flavours = fl
            elif not np.array_equal(flavours, fl):
                raise ValueError(f"{self.path}: subgrids list different flavours")
            self.subgrids.append((x, q, values.reshape(x.size, q.size, fl.size)))
        if not self.subgrids or flavours is None:
            raise ValueError(f"{self.path}: no subgrid found")
        self.subgrids.sort(key=lambda g: g[1][0])
        self.flavours = tuple(int(f) for f in flavours)
        self.x_min = float(min(g[0][0] for g in self.subgrids))
        self.x_max = float(max(g[0][-1] for g in self.subgrids))
        self.q_min = float(self.subgrids[0][1][0])
        self.q_max = float(self.subgrids[-1][1][-1])
        self._splines: dict[tuple[int, int], RectBivariateSpline] = {}

    def __repr__(self) -> str:
        return (
            f"LHAPDFGrid({str(self.path)!r}, {len(self.subgrids)} subgrids, x in [{self.x_min:g}, {self.x_max:g}], "
            f"Q in [{self.q_min:g}, {self.q_max:g}] GeV, flavours {self.flavours})"
        )

    def _spline(self, isub: int, pid: int) -> RectBivariateSpline:
        key = (isub, pid)
        if key not in self._splines:
            x, q, xf = self.subgrids[isub]
            k = self.flavours.index(pid)
            self._splines[key] = RectBivariateSpline(np.log(x), np.log(q**2), xf[:, :, k], kx=3, ky=3)
        return self._splines[key]

    def xfxq(self, pid: int, x: np.ndarray | float, q: np.ndarray | float) -> np.ndarray:
        """``x f_pid(x, Q)`` for arrays ``x``, ``q`` (GeV) broadcast together (pid 0 = gluon).

        Flavours absent from the grid (e.g. the top) return zeros.
        """
        pid = 21 if pid == 0 else int(pid)
        x_arr, q_arr = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(q, dtype=float))
        out = np.zeros(x_arr.shape)
        if pid not in self.flavours:
            return out
        inside = x_arr < 1.0
        lx = np.log(np.clip(x_arr, self.x_min, 1.0))
        qc = np.clip(q_arr, self.q_min, self.q_max)
        lq2 = np.log(qc**2)
        edges = [g[1][-1] for g in self.subgrids]
        isub = np.searchsorted(np.asarray(edges[:-1]), qc, side="left")
        for i in np.unique(isub):
            sel = (isub == i) & inside
            if np.any(sel):
                out[sel] = self._spline(int(i), pid).ev(lx[sel], lq2[sel])
        return out


def _parse_header(text: str) -> dict[str, str]:
    header: dict[str, str] = {}
    for line in text.splitlines():
        if ":" in line and not line.lstrip().startswith("#"):
            k, v = line.split(":", 1)
            header[k.strip()] = v.strip().strip('"')
    return header


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> LHAPDFGrid:
    return LHAPDFGrid(path)


def load_pdf(name: str = DEFAULT_PDF_SET, member: int = 0, path: str | os.PathLike | None = None) -> LHAPDFGrid:
    """Find (:func:`find_pdf_file`) and read a PDF member; cached per resolved file."""
    return _load_cached(str(find_pdf_file(name, member, path).resolve()))


def _lnx_nodes(n_per_panel: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes x and weights w in ln x on [1e-9, 1]: 20 panels log-spaced in x below
    x = 0.1 and 20 panels uniform in x above (where the grid knots are linear), so that
    int g(x) dx = sum(w * x * g(x))."""
    gx, gw = np.polynomial.legendre.leggauss(n_per_panel)
    edges = np.concatenate([np.linspace(np.log(1e-9), np.log(0.1), 21), np.log(np.linspace(0.1, 1.0, 21))[1:]])
    a, b = edges[:-1, None], edges[1:, None]
    t = (0.5 * (b - a) * gx + 0.5 * (b + a)).ravel()
    w = (0.5 * (b - a) * gw).ravel()
    return np.exp(t), w


def momentum_sum(pdf: LHAPDFGrid, q: float) -> float:
    """Momentum sum rule sum_i int_0^1 x f_i(x, Q) dx over every flavour in the grid (should be ~1).

    The photon (pid 22) is included when the grid has one (luxQED sets).
    """
    q = check_positive("q", q, unit="GeV")
    x, w = _lnx_nodes()
    qq = np.full_like(x, q)
    return float(sum(np.sum(w * x * pdf.xfxq(pid, x, qq)) for pid in pdf.flavours))


def number_sum(pdf: LHAPDFGrid, quark: str, q: float) -> float:
    """Valence number int_0^1 [f_q(x, Q) - f_qbar(x, Q)] dx (u: 2, d: 1, s, c, b: 0)."""
    if quark not in QUARK_PID:
        raise ValueError(f"unknown quark {quark!r}; accepted: {', '.join(QUARK_PID)}")
    q = check_positive("q", q, unit="GeV")
    pid = QUARK_PID[quark]
    x, w = _lnx_nodes()
    qq = np.full_like(x, q)
    return float(np.sum(w * (pdf.xfxq(pid, x, qq) - pdf.xfxq(-pid, x, qq))))
