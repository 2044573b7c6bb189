"""Exclusion and Brazil figures: files written atomically, log axes, one line per input, bad input."""

from __future__ import annotations

import os

import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from kinmix_stats.external_limits import load_external_limit
from kinmix_stats.plotting.exclusion import (
    DEFAULT_OVERLAYS,
    EPSILON_LABEL,
    G2_BAND,
    brazil_figure,
    exclusion_figure,
    plot_brazil,
    plot_exclusion,
    resolve_overlays,
    y_range,
)
from kinmix_stats.results import LimitCurve

from shared_data import SHARED_DATA, needs

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def curve(width: str = "narrow", gap: bool = True, n: int = 40) -> LimitCurve:
    m = np.geomspace(1.0, 1000.0, n)
    e = 0.01 + 0.02 * m / 1000.0
    status = ["ok"] * n
    if gap:
        window = np.abs(m - 91.19) < 15.0
        e = np.where(window, np.nan, e)
        status = ["no Z'-like state: |m - m_Z0| < 0.22 GeV" if w else "ok" for w in window]
    return LimitCurve(width=width, mass_gev=m, eps95_obs=1.1 * e, eps95_exp=e, eps95_exp_m2=0.6 * e,
                      eps95_exp_m1=0.8 * e, eps95_exp_p1=1.3 * e, eps95_exp_p2=1.7 * e, eps95_chi2=1.05 * e,
                      status=tuple(status))


def test_plot_exclusion_writes_valid_png(tmp_path):
    c = curve()
    assert np.isnan(c.eps95_obs).any()  # NaN gaps plot without error
    out = plot_exclusion(c, tmp_path / "excl.png", overlays=("hook_izaguirre_wacker_2010_ewfit",))
    assert out == tmp_path / "excl.png"
    data = out.read_bytes()
    assert len(data) > 1000 and data[:8] == PNG_MAGIC
    assert sorted(os.listdir(tmp_path)) == ["excl.png"]  # no temporary file left


def test_axes_log_limits_labels_and_line_count():
    hiw = load_external_limit("hook_izaguirre_wacker_2010_ewfit")
    babar = load_external_limit("babar_2014_hsl")
    fig = exclusion_figure([curve("narrow"), curve("wide", gap=False)], overlays=(hiw, babar))
    ax, below = fig.axes  # the plot, and the legend + caption below it
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlim() == pytest.approx((1.0, 1000.0))
    assert ax.get_ylabel() == EPSILON_LABEL == r"$\varepsilon$"  # short label; the convention is in the caption
    assert any("Hook" in t.get_text() and "cos" in t.get_text() for t in below.texts)
    assert below.get_legend() is not None and ax.get_legend() is None
    assert len(ax.get_lines()) == 2 * 3 + 2  # obs, exp, chi2 per width + one per overlay
    # overlays are drawn in Hook's convention: BaBar's eps_gamma divided by cos(theta_W)
    line = next(ln for ln in ax.get_lines() if "BaBar" in ln.get_label())
    y = np.asarray(line.get_ydata(), dtype=float)
    np.testing.assert_allclose(y[np.isfinite(y)], babar.epsilon_hook())


def test_single_curve_has_bands_and_missing_methods_are_not_drawn():
    c = curve()
    no_chi2 = LimitCurve.from_dict({**c.to_dict(), "eps95_chi2": [None] * len(c)})
    ax = exclusion_figure(no_chi2).axes[0]
    assert len(ax.get_lines()) == 2
    fills = sorted(a.get_label() for a in ax.collections if isinstance(a, PolyCollection))
    assert fills == ["Excluded (observed)", r"Expected $\pm 1\sigma$", r"Expected $\pm 2\sigma$"]


def test_plot_brazil(tmp_path):
    out = plot_brazil(curve(), tmp_path / "brazil.png")
    assert out.read_bytes()[:8] == PNG_MAGIC
    ax = brazil_figure(curve()).axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 2


def test_bad_input_raises_value_error_naming_it(tmp_path):
    empty = curve().select(np.zeros(40, dtype=bool))
    with pytest.raises(ValueError, match="narrow"):
        plot_exclusion(empty, tmp_path / "x.png")
    with pytest.raises(ValueError, match="no curves"):
        plot_exclusion([], tmp_path / "x.png")
    with pytest.raises(ValueError, match="not_an_experiment"):
        plot_exclusion(curve(), tmp_path / "x.png", overlays=("not_an_experiment",))
    with pytest.raises(ValueError, match=r"\.gif"):
        plot_exclusion(curve(), tmp_path / "x.gif")
    assert os.listdir(tmp_path) == []


def test_plots_do_not_warn_about_missing_fonts_and_restore_the_logger(tmp_path, caplog):
    """The mplhep style names fonts this machine may lack; the fallback is silent, other warnings are not."""
    import logging

    logger = logging.getLogger("matplotlib.font_manager")
    before = logger.level
    with caplog.at_level(logging.WARNING):
        plot_exclusion(curve(), tmp_path / "a.png")
        plot_brazil(curve(), tmp_path / "b.png")
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]
    assert logger.level == before


# ------------------------------------------------------------------ overlays, y range, formats
SHARED_LIMITS = SHARED_DATA / "limits"  # $KINMIX_SHARED or ../shared (tests/shared_data.py)
needs_darkcast = needs(SHARED_LIMITS / "darkcast_AMMmu_Bodas2021fsy_2l.lmt", "Darkcast (GPL) files")


def test_y_range_ignores_one_outlier_but_keeps_resonance_dips():
    c = curve(gap=False)
    obs = c.eps95_obs.copy()
    obs[5] = 5.0  # one point far above the rest (e.g. a failed fit)
    obs[20] = obs[20] / 5.0  # a resonance dip: physics, must stay visible
    spiky = LimitCurve.from_dict({**c.to_dict(), "eps95_obs": obs.tolist()})
    lo, hi = y_range([spiky])
    assert hi < 0.5  # not stretched to eps = 5
    assert hi > np.nanmax(np.delete(spiky.eps95_exp_p2, 5))  # every other value is inside
    assert lo < obs[20]
    obs[30] = obs[30] / 1000.0  # one point far below (e.g. the Z0-window edge): does not set the range
    lo_2, _ = y_range([LimitCurve.from_dict({**c.to_dict(), "eps95_obs": obs.tolist()})])
    assert lo_2 == pytest.approx(lo)


def test_unknown_overlay_is_an_error_naming_it_and_the_accepted_names():
    with pytest.raises(ValueError, match=r"'cms2019'.*cms_2019_dimuon"):
        resolve_overlays(["hook_izaguirre_wacker_2010_ewfit", "cms2019"])


def test_missing_gpl_files_are_skipped_with_the_reason(tmp_path):
    loaded, skipped = resolve_overlays(DEFAULT_OVERLAYS, tmp_path)  # an empty directory: only shipped curves
    assert [o.name for o in loaded] == ["hook_izaguirre_wacker_2010_ewfit", "babar_2014_hsl"]
    reasons = dict(skipped)
    assert set(reasons) == {"lhcb_2019_prompt", "cms_2019_dimuon", G2_BAND}
    assert "darkcast_CMS_CMS2019kiy.lmt" in reasons["cms_2019_dimuon"] and "GPL" in reasons["cms_2019_dimuon"]


@needs_darkcast
def test_g2_is_drawn_as_its_favoured_band_in_hook_epsilon():
    loaded, skipped = resolve_overlays([G2_BAND], SHARED_LIMITS)
    assert not skipped
    (band,) = loaded
    fig = exclusion_figure(curve(), overlays=loaded)
    ax = fig.axes[0]
    fill = next(col for col in ax.collections if "g-2" in col.get_label())
    assert isinstance(fill, PolyCollection)
    m, lo, hi = band.band()
    assert np.all(hi[np.isfinite(hi)] > lo[np.isfinite(hi)])
    np.testing.assert_allclose(lo, band.low.epsilon_hook())  # eps_gamma / cos(theta_W)
    assert ax.get_ylim()[1] < 1.0  # the band (up to eps ~ 2 at 100 GeV) does not set the y range


def test_pdf_output(tmp_path):
    out = plot_exclusion(curve(), tmp_path / "excl.pdf", overlays=("babar_2014_hsl",))
    assert out.read_bytes()[:5] == b"%PDF-"
