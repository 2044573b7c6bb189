"""External limit curves: sentinel handling, ranges from the data README, convention conversion."""

from __future__ import annotations

import numpy as np
import pytest

from kinmix_stats import external_limits as ext
from kinmix_stats.external_limits import (
    ENV_VAR,
    available_external_limits,
    load_external_limit,
)
from kinmix_stats.inputs.sm import PDG

from shared_data import SHARED_DATA, needs

DATA_DIR = SHARED_DATA / "limits"  # conftest points $KINMIX_EXTERNAL_LIMITS here
needs_darkcast = needs(DATA_DIR, "Darkcast files")


@needs_darkcast
def test_cms_sentinels_dropped_and_range_matches_readme():
    cms = load_external_limit("cms_2019_dimuon")
    assert cms.mass_gev.size == 251  # README: 253 rows, 251 numeric limits
    assert cms.n_dropped == 2
    assert cms.mass_gev[0] == pytest.approx(11.485) and cms.mass_gev[-1] == pytest.approx(199.86)
    assert np.all(cms.epsilon < 1.0)  # no 1.0000e+05 left
    # the Z window 75.4-110 GeV is a break, never bridged
    assert len(cms.segment_starts) == 2
    (m1, _), (m2, _) = cms.segments("file")
    assert m1[-1] < 75.4 and m2[0] > 110.0
    x, _ = cms.plot_arrays()
    assert np.isnan(x).sum() == 1
    assert cms.arxiv == "1912.04776" and cms.confidence_level == 0.90 and cms.convention == "epsilon_gamma"
    assert "GPL" in cms.licence


@needs_darkcast
@pytest.mark.parametrize(
    "name, n_numeric, n_sentinel, lo, hi",
    [
        ("lhcb_2019_prompt", 2103 - 6, 6, 0.2141, 69.6),
        ("babar_2014", 5653 - 14, 14, 0.020, 10.318),
        ("amm_mu_bodas_2021", 100, 0, 0.001, 100.0),
        ("lep_invisible_fox_2011", 81, 0, 10.0, 90.0),
    ],
)
def test_darkcast_counts_and_ranges(name, n_numeric, n_sentinel, lo, hi):
    lim = load_external_limit(name)
    assert lim.mass_gev.size == n_numeric and lim.n_dropped == n_sentinel
    assert lim.mass_gev[0] == pytest.approx(lo, abs=5e-4) and lim.mass_gev[-1] == pytest.approx(hi)
    assert np.all(lim.epsilon != ext.DARKCAST_SENTINEL)


def test_shipped_hsl_curves_load_without_darkcast_dir(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))  # irrelevant for shipped curves
    hiw = load_external_limit("hook_izaguirre_wacker_2010_ewfit")
    assert hiw.mass_gev.size == 101 and hiw.mass_gev[0] == 0.1 and hiw.mass_gev[-1] == pytest.approx(989.5, abs=0.1)
    assert hiw.convention == "hook" and hiw.arxiv == "1006.0973" and "MIT" in hiw.licence
    np.testing.assert_array_equal(hiw.epsilon_hook(), hiw.epsilon)  # already Hook's epsilon
    babar = load_external_limit("babar_2014_hsl")
    assert babar.mass_gev[0] == pytest.approx(0.020, abs=5e-4) and babar.mass_gev[-1] == pytest.approx(10.2, abs=1e-3)
    assert babar.epsilon.max() < 0.0100  # plot-ceiling rows (1.00999e-2) dropped
    assert len(babar.segment_starts) == 7  # six vetoed resonance windows


@needs_darkcast
def test_two_babar_digitisations_agree_on_breaks():
    dc, hsl = load_external_limit("babar_2014"), load_external_limit("babar_2014_hsl")
    assert len(dc.segment_starts) == len(hsl.segment_starts)
    for (m_dc, _), (m_hsl, _) in zip(dc.segments("file"), hsl.segments("file")):
        assert m_dc[0] == pytest.approx(m_hsl[0], rel=0.02)


@needs_darkcast
def test_conversion_divides_by_cos_theta_w():
    cms = load_external_limit("cms_2019_dimuon")
    cw = np.sqrt(1.0 - PDG.SIN2_THETA_W.value)
    np.testing.assert_allclose(cms.epsilon_hook(), cms.epsilon / cw, rtol=1e-15)
    np.testing.assert_allclose(cms.epsilon_hook(sin2_theta_w=0.25), cms.epsilon / np.sqrt(0.75), rtol=1e-15)
    assert np.all(cms.epsilon_hook() > cms.epsilon)


def test_registry_and_unknown_name():
    names = available_external_limits()
    assert "cms_2019_dimuon" in names and "hook_izaguirre_wacker_2010_ewfit" in names
    with pytest.raises(ValueError, match="no_such_curve"):
        load_external_limit("no_such_curve")
    for n in names:
        info = ext.external_limit_info(n)
        assert info.arxiv and info.licence and info.source and info.convention in ("epsilon_gamma", "hook")


def test_missing_directory_names_path_and_env_var(tmp_path, monkeypatch):
    missing = tmp_path / "missing_dir"
    with pytest.raises(FileNotFoundError) as err:
        load_external_limit("cms_2019_dimuon", directory=missing)
    assert str(missing) in str(err.value) and ENV_VAR in str(err.value)
    monkeypatch.setenv(ENV_VAR, str(missing))
    with pytest.raises(FileNotFoundError, match=ENV_VAR):
        load_external_limit("cms_2019_dimuon")
    with pytest.raises(FileNotFoundError, match="darkcast_CMS_CMS2019kiy.lmt"):
        load_external_limit("cms_2019_dimuon", directory=tmp_path)  # directory exists, file does not


def test_sentinel_rows_dropped_from_user_directory(tmp_path):
    (tmp_path / "darkcast_CMS_CMS2019kiy.lmt").write_text(
        "#      mass       lower\n 1.0e+01  2.0e-03\n 2.0e+01  1.0000e+05\n 3.0e+01  3.0e-03\n 4.0e+01  4.0e-03\n"
    )
    lim = load_external_limit("cms_2019_dimuon", directory=tmp_path)
    assert lim.mass_gev.tolist() == [10.0, 30.0, 40.0]
    assert lim.segment_starts == (0, 1)
