"""Two overlapping states at m_Z (issue #14, DESIGN.md "Two overlapping states near m_Z"): the off-diagonal
width, the overlap criterion, and that a mass where the single-eigenstate Z-pole pseudo-observables cannot
describe the line shape is never reported "ok" (before this check 91.16 GeV gave eps95 = 5e-5 with status ok).
"""

from __future__ import annotations

import numpy as np
import pytest

from kinmix_stats.likelihood.limits import chi2_limits, cls_limits, lep1_spread, pole_overlap_at, window_epsilon
from kinmix_stats.likelihood.precision import POLE_OBSERVABLES, PrecisionLikelihood
from kinmix_stats.model.charges import named_model
from kinmix_stats.model.vector_boson import DarkPhoton, ZPrime
from kinmix_stats.observables.registry import REGISTRY
from kinmix_stats.observables.two_state import OVERLAP_FACTOR, off_diagonal_width, pole_overlap


@pytest.fixture(scope="module")
def like() -> PrecisionLikelihood:
    return PrecisionLikelihood()


def test_off_diagonal_width_obeys_cauchy_schwarz_and_is_xi_gamma_z_near_the_pole():
    # |Gamma_ZZ'| <= sqrt(Gamma_Z Gamma_Z') for any mixing (positive semi-definite width matrix); 2e-3 allows for
    # the diagonal widths' quark-mass factors and alpha_s at each mass instead of the mean mass
    masses = np.array([20.0, 60.0, 90.0, 92.5, 150.0, 400.0])
    for width in ("narrow", "wide"):
        dp = DarkPhoton(masses, 0.02, width=width)
        g_off = np.abs(off_diagonal_width(dp))
        bound = np.sqrt(np.asarray(dp.total_width("Z")) * np.asarray(dp.total_width("Zp")))
        assert np.all(g_off <= bound * (1 + 2e-3)), (width, g_off, bound)
        assert np.all(g_off > 0)
    # next to m_Z the Z' is a Z0 admixture: couplings proportional to the Z's, so the bound is saturated
    # (Gamma_ZZ' = xi Gamma_Z, Gamma_Z' = xi^2 Gamma_Z); the hypercharge piece eps c_W e Q breaks it at O(eps/xi)
    dp = DarkPhoton(np.array([91.0, 91.4]), 2e-4)
    ratio = off_diagonal_width(dp) ** 2 / (np.asarray(dp.total_width("Z")) * np.asarray(dp.total_width("Zp")))
    np.testing.assert_allclose(ratio, 1.0, rtol=0.05)
    # a Z' with its own SM charges and no mixing still shares the fermion loops with the Z
    zp = ZPrime(np.array([91.5]), 0.0, gx=0.01, charges=named_model("chi"))
    assert abs(off_diagonal_width(zp)[0]) > 0


def test_pole_overlap_criterion_and_bad_spread():
    dp = DarkPhoton(np.array([91.16, 91.5, 95.0]), 5e-5)
    res = pole_overlap(dp, lep1_spread=0.055)
    split = np.abs(np.asarray(dp.mzp) - np.asarray(dp.mz))
    np.testing.assert_allclose(res.splitting, split, rtol=1e-12)
    expected = split < OVERLAP_FACTOR * np.maximum(res.gamma_off, 0.055)
    np.testing.assert_array_equal(res.overlapping, expected)
    assert res.overlapping.tolist() == [True, False, False]
    for bad in (0.0, -0.05, float("nan")):
        with pytest.raises(ValueError, match="lep1_spread"):
            pole_overlap(dp, lep1_spread=bad)


def test_pole_observables_are_the_registry_observables_without_kinematics():
    no_kinematics = {name for name, spec in REGISTRY.items() if not spec.kinematics} - {"mW"}
    assert set(POLE_OBSERVABLES) == no_kinematics


def test_off_pole_likelihood_drops_exactly_the_pole_datasets(like):
    off = like.off_pole()
    assert off is like.off_pole()  # built once
    assert not off.has_pole_observables and like.has_pole_observables
    pole = {ds.name for ds in like.catalogue.datasets if any(m.observable in POLE_OBSERVABLES for m in ds.measurements)}
    assert {"lep_zpole_lineshape", "pdg2024_mz", "sld_lepton_asymmetries"} <= pole
    assert set(off.datasets) == set(like.datasets) - pole
    assert {"w_mass", "lep2_ffbar", "lep2_bhabha", "r_ratio_petra_pep_tristan"} <= set(off.datasets)
    assert off.beam_spread_rel == like.beam_spread_rel and off.mw_choice == like.mw_choice


def test_overlap_fallback_keeps_the_two_state_line_shape_and_drops_the_single_state_observables(like):
    fb = like.overlap_fallback()
    assert fb is like.overlap_fallback()  # built once
    single = {ds.name for ds in like.catalogue.datasets if any(m.observable in like.single_state_observables for m in ds.measurements)}
    assert {"lep_sld_heavyflavour", "lep_tau_polarisation", "sld_lepton_asymmetries"} <= single
    assert set(fb.datasets) == set(like.datasets) - single
    assert {"lep_zpole_lineshape", "pdg2024_mz", "w_mass", "lep2_ffbar"} <= set(fb.datasets)
    assert not fb.has_single_state_observables and fb.has_pole_observables  # no recursion at the overlap check
    # without the two-state line shape the fallback is the off-pole likelihood, as before issue #14 item 1
    old = PrecisionLikelihood(lineshape_window=0.0)
    assert set(old.overlap_fallback().datasets) == set(old.off_pole().datasets)


def test_masses_overlapping_the_z_are_never_ok_and_get_the_fallback_limit(like):
    mz0 = like.sm.mz0
    masses = np.array([86.0, mz0 - 0.028, mz0 + 0.11, 96.0])
    off = like.overlap_fallback()
    for method in (cls_limits, chi2_limits):
        res = method(like, masses, "narrow")
        status = res.status
        # far from m_Z: untouched, ok
        assert status[0] == "ok" and status[3] == "ok"
        for i in (1, 2):
            assert status[i] != "ok" and "two states overlap at m_Z" in status[i], status[i]
        # the limit there is the fallback data's (two-state line shape + off-pole data, recomputed with the same method)
        ref = method(off, masses[1:3], "narrow")
        np.testing.assert_allclose(res.epsilon_observed[1:3], ref.epsilon_observed, rtol=1e-12)
        # ... and no longer the artefact of the pseudo-observables (5e-5 at 91.16 GeV): at least 10x weaker,
        # at most the window edge above which no Z'-like state of this mass exists
        assert np.all(res.epsilon_observed[1:3] > 10 * 5e-5)
        assert np.all(res.epsilon_observed[1:3] <= window_epsilon(like, masses[1:3]) * (1 + 1e-9))
        # the reported limit is self-consistent: the states still overlap there
        ov = pole_overlap_at(like, masses[1:3], res.epsilon_observed[1:3], "narrow")
        assert ov.overlapping.all()


def test_lep1_spread_follows_the_likelihood_assumption(like):
    assert lep1_spread(like) == pytest.approx(like.beam_spread_rel * like.sm.mz0, rel=1e-15)


@pytest.mark.parametrize("bad", [0.0, -1e-3])
def test_zero_beam_spread_is_refused(bad):
    with pytest.raises(ValueError, match=r"beam_spread_rel must lie in \(0, 0\.1\], got "):
        PrecisionLikelihood(["w_mass"], beam_spread_rel=bad)


def test_repeated_rows_of_delta_th_are_the_rows_computed_alone(like):
    # delta_th computes a repeated (mass, coupling) row once and copies it back
    masses = np.array([50.0, 91.6, 50.0, 200.0, 91.6, 50.0])
    eps = np.array([1e-2, 2e-3, 1e-2, 1e-2, 3e-3, 2e-2])
    delta, valid = like.delta_th(masses, eps, "wide")
    for i in range(masses.size):
        alone, v = like.delta_th(masses[i : i + 1], eps[i], "wide")
        np.testing.assert_array_equal(delta[i], alone[0])
        assert valid[i] == v[0]


def test_restricted_likelihoods_are_those_built_from_the_dataset_names_and_follow_a_new_factory(like):
    # built from the parent's (already validated) datasets: the same as loading them by name
    fb = like.overlap_fallback()
    ref = PrecisionLikelihood(list(fb.datasets))
    assert fb.names == ref.names and fb.catalogue.catalogue_hash() == ref.catalogue.catalogue_hash()
    np.testing.assert_array_equal(fb.residuals.covariance, ref.residuals.covariance)
    np.testing.assert_array_equal(fb.templates, ref.templates)
    # a shallow copy with another model factory (likelihood.zprime.with_factory) must not reuse the parent's
    from kinmix_stats.likelihood.zprime import with_factory

    def factory(masses, coupling, width, sm):
        return like.model_factory(masses, coupling, width, sm)

    other = with_factory(like, factory)
    assert other.overlap_fallback().model_factory is factory and other.off_pole().model_factory is factory
    assert like.overlap_fallback() is fb and fb.model_factory is like.model_factory
