"""LHAPDF6 lhagrid1 discovery and reader (kinmix_stats.recast.pdf)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kinmix_stats.recast import pdf as pdfmod
from kinmix_stats.recast.pdf import DEFAULT_PDF_SET, LHAPDFGrid, find_pdf_file, momentum_sum, number_sum

from shared_data import SHARED_DATA, skip_missing

SHARED_PDF_DIR = SHARED_DATA / "pdf"  # the .info files are not in the pythia8mc wheel


def _grid_file() -> Path | None:
    pdir = pdfmod.pythia8_pdfdata_dir()  # preferred: the pythia8mc wheel (optional extra "pdf")
    candidates = ([pdir / f"{DEFAULT_PDF_SET}_0000.dat"] if pdir else []) + [
        SHARED_PDF_DIR / DEFAULT_PDF_SET / f"{DEFAULT_PDF_SET}_0000.dat"
    ]
    return next((c for c in candidates if c.is_file()), None)


GRID_FILE = _grid_file()
needs_pdf = pytest.mark.skipif(GRID_FILE is None, reason="no NNPDF31_nlo_as_0118_luxqed grid (pip install pythia8mc)")


@pytest.fixture(scope="module")
def grid() -> LHAPDFGrid:
    return LHAPDFGrid(GRID_FILE)


@needs_pdf
def test_grid_structure(grid):
    assert len(grid.subgrids) == 2
    assert grid.flavours == (-5, -4, -3, -2, -1, 21, 1, 2, 3, 4, 5, 22)
    assert grid.x_min == pytest.approx(1e-9) and grid.x_max == 1.0
    assert grid.q_min == pytest.approx(1.65) and grid.q_max == pytest.approx(1e5)


@needs_pdf
def test_momentum_sum_rule(grid):
    """sum_i int x f_i dx = 1 (measured 1.00056 at Q = 100 GeV with converged quadrature)."""
    assert momentum_sum(grid, 100.0) == pytest.approx(1.0, abs=2e-3)


@needs_pdf
@pytest.mark.parametrize(("quark", "n"), [("u", 2.0), ("d", 1.0), ("s", 0.0), ("c", 0.0), ("b", 0.0)])
def test_valence_sum_rules(grid, quark, n):
    """int (q - qbar) dx: 1.9985 (u), 0.9985 (d) for this grid at Q = 100 GeV; sea flavours 0."""
    assert number_sum(grid, quark, 100.0) == pytest.approx(n, abs=1e-2)


@needs_pdf
def test_vectorised_and_edges(grid):
    x = np.geomspace(1e-6, 0.9, 7)
    q = np.array([5.0, 10.0, 91.2, 1000.0])
    out = grid.xfxq(2, x[:, None], q[None, :])
    assert out.shape == (7, 4) and np.all(np.isfinite(out))
    assert np.all(grid.xfxq(2, np.array([1.0, 1.5]), 100.0) == 0.0)  # x >= 1
    assert np.all(grid.xfxq(6, x, 100.0) == 0.0)  # no top in the grid
    # crossing the subgrid boundary (Q = 4.92 GeV) is continuous
    below, above = grid.xfxq(21, 0.01, 4.92 * (1 - 1e-9)), grid.xfxq(21, 0.01, 4.92 * (1 + 1e-9))
    assert float(below) == pytest.approx(float(above), rel=1e-3)


@needs_pdf
def test_agrees_with_parton_package():
    info_dir = SHARED_PDF_DIR
    skip_missing(info_dir / DEFAULT_PDF_SET / f"{DEFAULT_PDF_SET}.info", "the .info file the parton package needs")
    parton = pytest.importorskip("parton")
    ref = parton.mkPDF(DEFAULT_PDF_SET, pdfdir=str(info_dir))
    ours = LHAPDFGrid(info_dir / DEFAULT_PDF_SET / f"{DEFAULT_PDF_SET}_0000.dat")
    x = np.array([1e-5, 1e-3, 0.05, 0.3, 0.7])
    for pid in (-2, 1, 2, 21):
        np.testing.assert_allclose(ours.xfxq(pid, x, 91.2), ref.xfxQ(pid, x, np.array([91.2])).ravel(), rtol=1e-10)


def test_discovery_order_and_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(pdfmod, "pythia8_pdfdata_dir", lambda: None)
    monkeypatch.delenv("LHAPDF_DATA_PATH", raising=False)
    with pytest.raises(FileNotFoundError, match="pythia8mc"):
        find_pdf_file("NoSuchSet")
    with pytest.raises(FileNotFoundError, match="explicit PDF path"):
        find_pdf_file(DEFAULT_PDF_SET, path=tmp_path / "missing")
    with pytest.raises(ValueError, match="member"):
        find_pdf_file(DEFAULT_PDF_SET, member=-1)
    # LHAPDF layout found through $LHAPDF_DATA_PATH, and an explicit path wins over it
    lha = tmp_path / "lhapdf" / "MySet"
    lha.mkdir(parents=True)
    (lha / "MySet_0000.dat").write_text("Format: lhagrid1\n---\n")
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "MySet_0000.dat").write_text("Format: lhagrid1\n---\n")
    monkeypatch.setenv("LHAPDF_DATA_PATH", str(tmp_path / "nothing") + ":" + str(tmp_path / "lhapdf"))
    assert find_pdf_file("MySet") == lha / "MySet_0000.dat"
    assert find_pdf_file("MySet", path=flat) == flat / "MySet_0000.dat"
    # and the pythia8mc directory is the fallback after $LHAPDF_DATA_PATH
    monkeypatch.setenv("LHAPDF_DATA_PATH", "")
    monkeypatch.setattr(pdfmod, "pythia8_pdfdata_dir", lambda: flat)
    assert find_pdf_file("MySet") == flat / "MySet_0000.dat"


def test_malformed_grid_raises(tmp_path):
    bad = tmp_path / "bad_0000.dat"
    bad.write_text("Format: lhagrid1\n---\n0.1 0.2\n1 2\n1 2\n1.0 2.0 3.0\n---\n")
    with pytest.raises(ValueError, match="expected"):
        LHAPDFGrid(bad)
    with pytest.raises(ValueError, match="no '---'"):
        (tmp_path / "x.dat").write_text("nothing")
        LHAPDFGrid(tmp_path / "x.dat")
