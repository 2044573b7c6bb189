"""Broad-dark-photon recast of the CMS dimuon limits (kinmix_stats.recast.cms_dimuon)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from kinmix_stats.inputs import SMParameters
from kinmix_stats.model import DarkPhoton, DiracDarkMatter
from kinmix_stats.recast import pdf as pdfmod
from kinmix_stats.recast.cms_dimuon import CSV_COLUMNS, PeakMatcher, dirac_dm_width, load_cms_limit, recast_cms
from kinmix_stats.recast.drell_yan import DrellYan
from kinmix_stats.recast.pdf import DEFAULT_PDF_SET, LHAPDFGrid

from shared_data import SHARED_DATA, needs

CMS_FILE = SHARED_DATA / "limits" / "darkcast_CMS_CMS2019kiy.lmt"  # GPL Darkcast file, read from disk, never shipped
SM = SMParameters()


def _grid_file() -> Path | None:
    pdir = pdfmod.pythia8_pdfdata_dir()
    candidates = ([pdir / f"{DEFAULT_PDF_SET}_0000.dat"] if pdir else []) + [
        SHARED_DATA / "pdf" / DEFAULT_PDF_SET / f"{DEFAULT_PDF_SET}_0000.dat"
    ]
    return next((c for c in candidates if c.is_file()), None)


GRID_FILE = _grid_file()
needs_pdf = pytest.mark.skipif(GRID_FILE is None, reason="no PDF grid (pip install pythia8mc)")
needs_cms = needs(CMS_FILE, "Darkcast CMS file")


@pytest.fixture(scope="module")
def dy() -> DrellYan:
    return DrellYan(LHAPDFGrid(GRID_FILE))


# ------------------------------------------------------------------ dark width
@pytest.mark.parametrize("m_chi", [0.0, 5.0, 20.0])
@pytest.mark.parametrize("alpha_d", [1e-3, 0.1, 1.0])
def test_dirac_width_formula_and_model(alpha_d, m_chi):
    """alpha_D m/3 (1 + 2 r)(1 - 4 r)^1/2, r = m_chi^2/m^2 (arXiv:2505.03241 Eq. 12), and the model agrees
    up to its exact mixing factor R_XZ'^2 = 1 + O(eps^2)."""
    m = 50.0
    r = m_chi**2 / m**2
    expected = alpha_d * m / 3.0 * (1 + 2 * r) * math.sqrt(1 - 4 * r)
    assert dirac_dm_width(m, alpha_d, m_chi) == pytest.approx(expected, rel=1e-14)
    dp = DarkPhoton(m, 1e-4, width=DiracDarkMatter(alpha_d=alpha_d, m_chi=m_chi), sm=SM)
    assert float(dp.partial_width("Zp", "dark")) == pytest.approx(expected, rel=1e-6)


def test_dirac_width_closed_channel_and_bad_inputs():
    assert dirac_dm_width(50.0, 0.1, 25.0) == 0.0  # m = 2 m_chi: closed
    np.testing.assert_array_equal(dirac_dm_width(np.array([10.0, 40.0]), 0.1, 10.0) > 0, [False, True])
    with pytest.raises(ValueError, match=r"alpha_d must lie in \[0, 12.566.*got -0.1"):
        dirac_dm_width(50.0, -0.1)
    with pytest.raises(ValueError, match=r"m_chi .*\[0, inf\).*-1"):
        dirac_dm_width(50.0, 0.1, -1.0)
    with pytest.raises(ValueError, match="mass"):
        dirac_dm_width(-5.0, 0.1)


# ------------------------------------------------------------------ CMS curve
@needs_cms
def test_cms_loader_drops_sentinels_and_converts():
    cms = load_cms_limit(CMS_FILE, SM)
    assert cms.mass_gev.size == 251  # 253 rows minus the 2 sentinel rows (shared/data/limits/README.md)
    assert cms.z_window == (75.377, 110.02)
    assert not np.any((cms.mass_gev > 75.377) & (cms.mass_gev < 110.02))
    np.testing.assert_allclose(cms.eps_hook * math.sqrt(1 - SM.sin2_theta_w), cms.eps_gamma, rtol=1e-12)
    assert cms.md5 == "40e2f21e7a9ddbf5083cee4aa044a1ee"
    assert cms.confidence_level == 0.90
    assert load_cms_limit(CMS_FILE.parent, SM).path == cms.path  # directory form
    with pytest.raises(FileNotFoundError, match="not shipped"):
        load_cms_limit(CMS_FILE.parent / "nope.lmt")


# ------------------------------------------------------------------ matching
@needs_pdf
@pytest.mark.parametrize(("mass", "eps_cms"), [(20.0, 2.0e-3), (150.0, 4.0e-3)])
def test_alpha_d_zero_recovers_the_narrow_limit(dy, mass, eps_cms):
    pm = PeakMatcher(mass, 0.013, dy, eps_cms, 0.0, SM)
    eps, status = pm.match(0.0)
    assert status == "ok"
    assert eps == pytest.approx(eps_cms, rel=1e-6)


@needs_pdf
def test_relaxed_limit_grows_with_alpha_d_and_dm_mass_closes_it(dy):
    mass, eps_cms = 50.0, 1.5e-3
    pm = PeakMatcher(mass, 0.013, dy, eps_cms, dirac_dm_width(mass, 0.3), SM)
    eps = [pm.match(a)[0] for a in (1e-4, 1e-2, 0.3)]
    assert eps_cms < eps[0] < eps[1] < eps[2]
    # the matched broad hypothesis really has the narrow peak height
    assert pm.peak_height(eps[1], 1e-2) == pytest.approx(pm.peak_height(eps_cms), rel=1e-5)
    # m_chi >= m/2: no dark decay, the CMS limit is returned unchanged
    assert pm.match(0.3, m_chi=25.0) == (eps_cms, "dm_closed")
    # a heavier (still open) dark matter reduces the width and hence the relaxation
    assert eps_cms < pm.match(0.3, m_chi=24.0)[0] < eps[2]


@needs_pdf
def test_smeared_signal_integral_equals_unsmeared(dy):
    """Smearing moves the narrow A' peak, it does not change its integral (within the window)."""
    pm = PeakMatcher(50.0, 0.013, dy, 1.5e-3, 0.0, SM)
    raw = pm.signal_true(1.5e-3)
    sel = (pm.m_true > 49.0) & (pm.m_true < 51.0)  # the resonance, +-1 GeV (interference tails negligible there)
    w = np.where(sel, pm.weights, 0.0)
    peak_only = raw * sel
    smeared = pm.kernel @ peak_only
    assert np.trapezoid(smeared, pm.m_reco) == pytest.approx(np.sum(w * raw), rel=2e-3)


# ------------------------------------------------------------------ driver
@needs_pdf
@needs_cms
def test_recast_cms_outputs(tmp_path):
    res = recast_cms([0.0, 0.05], None, 0.013, tmp_path, CMS_FILE, pdf_path=GRID_FILE, masses=[30.0, 150.0],
                     showcase_masses=(30.0,))
    with open(tmp_path / "recast_cms.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS == ("mass_gev", "alpha_d", "eps_cms", "eps_relaxed")
    assert len(rows) == 1 + 2 * 2
    body = np.array(rows[1:], dtype=float)
    zero = body[:, 1] == 0.0
    np.testing.assert_allclose(body[zero, 3], body[zero, 2], rtol=1e-5)  # alpha_D = 0 is the CMS curve
    assert np.all(body[~zero, 3] > body[~zero, 2])
    doc = json.loads((tmp_path / "recast_cms.json").read_text())
    assert doc["metadata"]["resolution_sigma_m_over_m"] == 0.013
    assert doc["metadata"]["cms_limit"]["md5"] == "40e2f21e7a9ddbf5083cee4aa044a1ee"
    assert [r["eps_relaxed"] for r in doc["rows"]] == pytest.approx(body[:, 3].tolist(), rel=1e-6)
    uproot = pytest.importorskip("uproot")
    with uproot.open(tmp_path / "recast_cms_spectra.root") as f:
        names = [k.split(";")[0] for k in f.keys()]
        bkg = f[next(n for n in names if n.endswith("background_sm"))].to_hist()
        assert bkg.values().min() > 0
    for key in ("figure_shapes", "figure_limits"):
        assert Path(res["files"][key]).stat().st_size > 10_000
    assert not list(tmp_path.glob(".*tmp"))  # no temporary files left behind


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"resolution": -0.01}, r"resolution .*\(0, 0\.5\].*-0.01"),
        ({"alpha_d": [0.1, -0.2]}, r"alpha_d\[1\] must lie in \[0, 12.566.*-0.2"),
        ({"m_chi": -3.0}, r"m_chi .*\[0, inf\).*-3"),
    ],
)
def test_recast_cms_bad_inputs(tmp_path, kwargs, pattern):
    args = {"alpha_d": [0.1], "m_chi": 0.0, "resolution": 0.013, "out_dir": tmp_path}
    args.update(kwargs)
    with pytest.raises(ValueError, match=pattern):
        recast_cms(**args)
