"""Property-based tests (hypothesis) of the dark-photon model over (eps, mass, width), and of the scan's
promise that a point without a limit carries a status (never a silent NaN), near m_Z0 in particular.

Invariants: the photon is massless and couples as eQ to every fermion (L and R); every partial and
total width is finite and >= 0; R^T K R = 1 (the mass eigenstates are canonically normalised:
kinetic mixing is undone exactly); "Z" is the state with the larger Z0 fraction and the two fractions
sum to one; the Z' has the requested physical mass.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinmix_stats.inputs import FERMIONS, SMParameters
from kinmix_stats.model import DarkPhoton, DiracDarkMatter, NoZPrimeStateError
from kinmix_stats.model.vector_boson import CHANNELS

SM = SMParameters()
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

masses = st.floats(min_value=0.5, max_value=2000.0, allow_nan=False)
epsilons = st.floats(min_value=-1.2, max_value=1.2, allow_nan=False).filter(lambda e: abs(e) > 1e-7)
widths = st.one_of(
    st.sampled_from(["narrow", "wide"]),
    st.floats(min_value=0.0, max_value=100.0, allow_nan=False),
    st.builds(DiracDarkMatter, st.floats(min_value=1e-3, max_value=1.0), st.floats(min_value=0.01, max_value=800.0)),
)


def _model(mass, eps, width):
    dp = DarkPhoton(np.array([mass]), eps, width=width, on_invalid="mask")
    return dp, bool(dp.valid[0])


@SETTINGS
@given(mass=masses, eps=epsilons, width=widths)
def test_spectrum_invariants(mass, eps, width):
    dp, valid = _model(mass, eps, width)
    if not valid:
        # inside the window around m_Z0: masked explicitly, and the scalar API refuses with a reason
        assert np.isnan(dp.mzp[0])
        with pytest.raises(NoZPrimeStateError, match="window"):
            DarkPhoton(mass, eps, width=width)
        return
    r = dp.rotation[0]
    s = math.sin(eps)
    kin = np.array([[1.0, 0.0, s], [0.0, 1.0, 0.0], [s, 0.0, 1.0]])
    np.testing.assert_allclose(r.T @ kin @ r, np.eye(3), atol=1e-10)
    # physical masses: photon massless, Z' as requested
    assert dp.mass("A")[0] == pytest.approx(0.0, abs=1e-6)
    assert dp.mzp[0] == pytest.approx(mass, rel=1e-8)
    # Z is the state with the larger Z0 component; the photon has none
    fz, fzp, fa = dp.z0_fraction("Z")[0], dp.z0_fraction("Zp")[0], dp.z0_fraction("A")[0]
    assert fz >= fzp and fz >= 0.5
    assert fz + fzp == pytest.approx(1.0, abs=1e-12) and fa == pytest.approx(0.0, abs=1e-12)


@SETTINGS
@given(mass=masses, eps=epsilons, width=widths)
def test_photon_couples_as_eq(mass, eps, width):
    dp, valid = _model(mass, eps, width)
    if not valid:
        return
    for name, f in FERMIONS.items():
        gl, gr = dp.chiral_couplings("A", name)
        q = SM.e * f.charge
        assert gl[0] == pytest.approx(q, abs=1e-12)
        if not f.is_neutrino:
            assert gr[0] == pytest.approx(q, abs=1e-12)
    assert dp.dark_coupling("A")[0] == pytest.approx(0.0, abs=1e-12)


@SETTINGS
@given(mass=masses, eps=epsilons, width=widths)
def test_widths_are_finite_and_non_negative(mass, eps, width):
    dp, valid = _model(mass, eps, width)
    if not valid:
        return
    for boson in ("Z", "Zp"):
        parts = np.array([dp.partial_width(boson, ch)[0] for ch in CHANNELS if ch != "hadrons"])
        assert np.all(np.isfinite(parts)) and np.all(parts >= 0.0), (boson, parts)
        total = dp.total_width(boson)[0]
        assert total == pytest.approx(parts.sum(), rel=1e-12, abs=1e-300)
        assert total >= 0.0
    if width == "narrow":
        assert dp.partial_width("Zp", "dark")[0] == 0.0
    elif width == "wide":
        assert dp.partial_width("Zp", "dark")[0] > 0.0


# ---------------------------------------------------------------------------- scan near m_Z0
@pytest.fixture(scope="module")
def z0_curve():
    import warnings

    from kinmix_stats.likelihood.limits import default_likelihood
    from kinmix_stats.scan import scan

    like = default_likelihood()
    mz0 = like.sm.mz0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 in the smeared propagator exactly at m_Z0
        return scan([mz0 - 0.05, mz0, mz0 + 0.05], "narrow", ("cls", "chi2"), likelihood=like), mz0


def test_scan_at_mz0_reports_a_status_not_a_silent_nan(z0_curve):
    curve, mz0 = z0_curve
    assert curve.mass_gev[1] == mz0
    columns = ("eps95_obs", "eps95_exp", "eps95_exp_m2", "eps95_exp_m1", "eps95_exp_p1", "eps95_exp_p2", "eps95_chi2")
    # exactly at m_Z0 no Z'-like state exists for any eps != 0: no limit, and the status says so
    assert all(np.isnan(getattr(curve, c)[1]) for c in columns)
    st_mz0 = curve.status[1]
    assert "Z0 window edge eps=0" in st_mz0 and "cls:" in st_mz0 and "chi2:" in st_mz0
    assert curve.metadata["epsilon_ref_observed"][1] is None
    # +-0.05 GeV: a Z'-like state exists for eps below ~2e-3, but it overlaps the Z (the single-eigenstate
    # pseudo-observables gave an artefact of 9e-5 here): never "ok"; the limit comes from the two-state line shape
    # and the off-pole data (issue #14), at most the window edge
    for i in (0, 2):
        st = curve.status[i]
        assert "two states overlap at m_Z" in st and "two-state line shape" in st and "cls:" in st and "chi2:" in st, st
        assert all(np.isfinite(getattr(curve, c)[i]) and getattr(curve, c)[i] > 0 for c in columns)
        assert 5 * 9e-5 < curve.eps95_obs[i] <= 2.4e-3


def test_every_nan_limit_has_a_status(z0_curve):
    curve, _ = z0_curve
    for i in range(len(curve)):
        nan = any(np.isnan(getattr(curve, c)[i]) for c in ("eps95_obs", "eps95_chi2"))
        assert not nan or curve.status[i] != "ok"
