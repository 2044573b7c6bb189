"""ZPrime / zprime_factory with one coupling per mass (array gx, delta_m2, higgs_mass_terms, g_z).

The array path must equal a loop over scalars (the likelihood used to evaluate the model once per
distinct g_z), give the SM exactly where g_z = 0, and reject bad shapes with a clear ValueError.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from kinmix_stats import zprime_limits as zl
from kinmix_stats.inputs.sm import SMParameters
from kinmix_stats.likelihood.limits import accepts_array_couplings, cls_limits, coupling_delta_th
from kinmix_stats.likelihood.precision import PrecisionLikelihood
from kinmix_stats.model import ModelSpec, ZPrime
from kinmix_stats.model.charges import named_model
from kinmix_stats.model.spectrum import NoZPrimeStateError, zprime_window
from kinmix_stats.model.vector_boson import CHANNELS
from kinmix_stats.observables.registry import predict_entries

SM = SMParameters()
MASSES = np.array([20.0, 85.0, 150.0, 189.0, 700.0, 3000.0])
G = np.array([0.02, 0.3, 0.1, 0.05, 0.7, 1.2])
DATASETS = ["lep_zpole_lineshape", "lep2_ffbar", "pdg2024_mz", "w_mass"]
#: a named model with Higgs-sector (tan beta) mass mixing, and one with kinetic + fixed mass mixing
FACTORIES = {
    "chi_tan_beta": dict(name="chi", tan_beta=2.0),
    "psi_kinetic": dict(name="psi", epsilon=0.01, delta_m2=20.0),
    "eta_tan_beta_kinetic": dict(name="eta", epsilon=0.005, tan_beta=3.0),
}


def _factory(spec):
    spec = dict(spec)
    return zl.zprime_factory(spec.pop("name"), **spec)


def _model_arrays(model):
    gv, ga = model.vector_axial_all()
    out = {"gv": gv, "ga": ga, "masses": model.masses_all, "valid": np.asarray(model.valid, dtype=float)}
    for ch in CHANNELS:
        out[f"w_{ch}"] = np.asarray(model._widths[ch])
    return out


def _assert_rows_close(array_model, scalar_models, rtol=1e-12):
    arr = _model_arrays(array_model)
    for i, single in enumerate(scalar_models):
        one = _model_arrays(single)
        for key, value in arr.items():
            np.testing.assert_allclose(value[i], one[key][0], rtol=rtol, atol=1e-300, err_msg=f"row {i} {key}")


# ----------------------------------------------------------------------------- ZPrime itself
def test_zprime_array_parameters_equal_scalar_loop():
    charges = named_model("chi")
    eps = np.linspace(0.0, 0.02, MASSES.size)
    dm2 = np.linspace(-30.0, 50.0, MASSES.size)
    hmt = np.linspace(0.0, 400.0, MASSES.size)
    model = ZPrime(MASSES, eps, gx=G, charges=charges, delta_m2=dm2, higgs_mass_terms=hmt, width="wide", on_invalid="mask")
    assert model.gx.shape == model.delta_m2.shape == model.higgs_mass_terms.shape == MASSES.shape
    loop = [
        ZPrime(np.array([m]), float(e), gx=float(g), charges=charges, delta_m2=float(d), higgs_mass_terms=float(h),
               width="wide", on_invalid="mask")
        for m, e, g, d, h in zip(MASSES, eps, G, dm2, hmt)
    ]
    _assert_rows_close(model, loop)
    for boson in ("Z", "Zp"):
        np.testing.assert_allclose(model.total_width(boson), [x.total_width(boson)[0] for x in loop], rtol=1e-12)
        np.testing.assert_allclose(model.couplings(boson, "mu")[0], [x.couplings(boson, "mu")[0][0] for x in loop], rtol=1e-12)


def test_scalar_parameters_stay_floats_and_broadcast_arrays():
    model = ZPrime(MASSES, 0.01, gx=0.1, charges=named_model("psi"), delta_m2=5.0, higgs_mass_terms=10.0)
    assert isinstance(model.gx, float) and isinstance(model.delta_m2, float) and isinstance(model.higgs_mass_terms, float)
    one = ZPrime(MASSES, 0.01, gx=[0.1], charges=named_model("psi"), delta_m2=np.array([5.0]), higgs_mass_terms=[10.0])
    assert one.gx.shape == (MASSES.size,)
    np.testing.assert_array_equal(one.total_width("Zp"), model.total_width("Zp"))
    np.testing.assert_array_equal(one.vector_axial_all()[0], model.vector_axial_all()[0])


def test_array_delta_m2_window_and_error_message():
    """spectrum: solve_mx2 / diagonalise / zprime_window take per-mass dM^2; the error names the entry's dM^2."""
    lo, hi = zprime_window(SM, 0.0, np.array([0.0, 3000.0]))
    assert lo[0] == pytest.approx(SM.mz0) and lo[1] < 80.0 < 100.0 < hi[1]
    model = ZPrime([95.0, 95.0], 0.0, gx=0.1, delta_m2=[0.0, 3000.0], on_invalid="mask")
    assert model.valid.tolist() == [True, False]
    with pytest.raises(NoZPrimeStateError, match=r"delta_m2=3000\.0 GeV\^2"):
        ZPrime([95.0, 95.0], 0.0, gx=0.1, delta_m2=[0.0, 3000.0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"gx": [0.1, 0.2, 0.3]}, r"gx array of shape \(3,\) does not match the masses of shape \(2,\)"),
        ({"gx": [[0.1], [0.2]]}, r"gx array of shape \(2, 1\) does not match the masses of shape \(2,\)"),
        ({"delta_m2": np.ones(5)}, r"delta_m2 array of shape \(5,\) does not match the masses of shape \(2,\)"),
        ({"higgs_mass_terms": [1.0, 2.0, 3.0]}, r"higgs_mass_terms array of shape \(3,\)"),
        ({"gx": [0.1, np.nan]}, r"gx must be finite, got nan"),
        ({"delta_m2": [np.inf, 0.0]}, r"delta_m2 must be finite, got inf"),
        ({"gx": ["a", "b"]}, r"gx must be a finite real number or an array"),
        ({"gx": [True, False]}, r"gx must be a finite real number or an array"),
        ({"higgs_mass_terms": [1.0, -2.0]}, r"higgs_mass_terms .* must be >= 0 GeV\^2, got -2\.0"),
        ({"gx": float("nan")}, r"gx must be finite"),
    ],
)
def test_bad_parameter_arrays_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ZPrime([100.0, 200.0], 0.0, **kwargs)


# ----------------------------------------------------------------------------- zprime_factory
@pytest.mark.parametrize("which", sorted(FACTORIES))
def test_factory_array_gz_equals_scalar_loop(which):
    factory = _factory(FACTORIES[which])
    assert factory.array_coupling and accepts_array_couplings(factory)
    model = factory(MASSES, G, "narrow", SM)
    loop = [factory(np.array([m]), float(g), "narrow", SM) for m, g in zip(MASSES, G)]
    if "tan_beta" in FACTORIES[which]:
        assert model.delta_m2.shape == model.higgs_mass_terms.shape == MASSES.shape
        np.testing.assert_allclose(model.delta_m2, [x.delta_m2 for x in loop], rtol=1e-14)
        np.testing.assert_allclose(model.higgs_mass_terms, [x.higgs_mass_terms for x in loop], rtol=1e-14)
    _assert_rows_close(model, loop)
    # predictions (observables) and likelihood residuals: array call = scalar loop
    like = PrecisionLikelihood(datasets=DATASETS, model_factory=factory)
    pred = predict_entries(model, like.entries)
    for i, single in enumerate(loop):
        np.testing.assert_allclose(pred[i], predict_entries(single, like.entries)[0], rtol=1e-12)
    delta, valid = like.delta_th(MASSES, G)
    for i, (m, g) in enumerate(zip(MASSES, G)):
        d1, v1 = like.delta_th(np.array([m]), float(g))
        assert valid[i] == v1[0]
        # the emulated one-Breit-Wigner fit of the line shape (issue #14) turns last-bit differences of the model's
        # cross sections into ~1e-17 in A_FB^0 (residuals: 3e-15 absolute, 2e-12 relative measured)
        np.testing.assert_allclose(delta[i], d1[0], rtol=1e-11, atol=1e-14)


@pytest.mark.parametrize("which", sorted(FACTORIES))
def test_factory_gz_zero_entries_are_the_sm(which):
    factory = _factory(FACTORIES[which])
    g = G.copy()
    g[[0, 3]] = 0.0
    model = factory(MASSES, g, "narrow", SM)
    sm_model = factory(MASSES, 0.0, "narrow", SM)  # scalar 0: the SM, mixing off
    assert sm_model.epsilon == 0.0 and sm_model.delta_m2 == 0.0 and sm_model.gx == 0.0
    for value in (model.epsilon, model.delta_m2, model.gx):
        assert np.all(np.broadcast_to(value, MASSES.shape)[[0, 3]] == 0.0)
    arr, ref = _model_arrays(model), _model_arrays(sm_model)
    for key in arr:
        np.testing.assert_array_equal(arr[key][[0, 3]], ref[key][[0, 3]], err_msg=key)
    like = PrecisionLikelihood(datasets=DATASETS, model_factory=factory)
    delta, valid = like.delta_th(MASSES, g)
    np.testing.assert_array_equal(delta[[0, 3]], 0.0)  # the SM reference exactly
    assert np.all(np.abs(delta[[1, 2, 4, 5]][valid[[1, 2, 4, 5]]]).max(axis=1) > 0)
    # the other rows are unaffected by the zeros
    full, _ = like.delta_th(MASSES, G)
    np.testing.assert_array_equal(delta[[1, 2, 4, 5]], full[[1, 2, 4, 5]])


def test_factory_rejects_bad_coupling_arrays():
    factory = zl.zprime_factory("chi", tan_beta=1.0)
    with pytest.raises(ValueError, match=r"g_z array of shape \(3,\) does not match the masses of shape \(2,\)"):
        factory(np.array([100.0, 200.0]), np.array([0.1, 0.2, 0.3]), "narrow", SM)
    with pytest.raises(ValueError, match=r"g_z must be finite, got nan"):
        factory(np.array([100.0, 200.0]), np.array([0.1, np.nan]), "narrow", SM)
    like = PrecisionLikelihood(datasets=DATASETS, model_factory=factory)
    with pytest.raises(ValueError, match=r"epsilon must lie in \(-1\.5708, 1\.5708\), got 2\.0"):
        like.delta_th(np.array([100.0, 200.0]), np.array([0.1, 2.0]))


def test_family_points_through_zprime_factory():
    masses = np.array([150.0, 700.0])
    for named, family, kw in (("B-L", "B-xL:1", {}), ("chi", "10+x5bar:-3", {"tan_beta": 2.0}), ("chi", "10+X5BAR: -3", {})):
        a = zl.zprime_factory(named, **kw)(masses, np.array([0.1, 0.4]), "narrow", SM)
        b = zl.zprime_factory(family, **kw)(masses, np.array([0.1, 0.4]), "narrow", SM)
        np.testing.assert_array_equal(a.vector_axial_all()[0], b.vector_axial_all()[0])
        np.testing.assert_array_equal(a.total_width("Zp"), b.total_width("Zp"))
    with pytest.raises(ValueError, match="unknown charge family 'C-xL'"):
        zl.zprime_factory("C-xL:1")
    with pytest.raises(ValueError, match="x must be a finite number"):
        zl.zprime_factory("B-xL:nan")
    with pytest.raises(ValueError, match="unknown Z' model"):
        zl.zprime_factory("omega")


def test_model_spec_factory_is_zprime_factory_and_pickles():
    for spec in (ModelSpec("B-xL:1/3".replace("1/3", "0.3333333333333333"), tan_beta=2.0), ModelSpec("chi", epsilon=0.01)):
        factory = spec.factory()
        assert isinstance(factory, zl.ZPrimeFactory) and factory.array_coupling
        assert factory.__name__ == f"zprime_factory_{spec.name}"
        assert factory.mixing == {"epsilon": spec.epsilon, "delta_m2": spec.delta_m2, "tan_beta": spec.tan_beta}
        assert factory.charges == spec.charges()  # family x in full precision, not the 12-digit name
        again = pickle.loads(pickle.dumps(factory))
        a, b = factory(MASSES, G, "narrow", SM), again(MASSES, G, "narrow", SM)
        np.testing.assert_array_equal(a.vector_axial_all()[0], b.vector_axial_all()[0])


# ----------------------------------------------------------------------------- likelihood: one call, same limits
class _ScalarOnly:
    """The per-distinct-coupling baseline: a factory without ``array_coupling`` (scalars one at a time)."""

    coupling = "g_z"

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, masses, g_z, width, sm):
        assert np.ndim(g_z) == 0
        return self.inner(masses, g_z, width, sm)


def test_vectorised_limits_equal_the_per_coupling_fallback():
    factory = zl.zprime_factory("chi", tan_beta=2.0)
    fast = PrecisionLikelihood(datasets=DATASETS, model_factory=factory)
    slow = zl.with_factory(fast, _ScalarOnly(factory))
    assert not accepts_array_couplings(slow.model_factory)
    masses = np.array([40.0, 95.0, 189.0, 1500.0])
    g = np.array([0.05, 0.01, 0.2, 0.0])
    d_fast, v_fast = coupling_delta_th(fast, masses, g, "narrow")
    d_slow, v_slow = coupling_delta_th(slow, masses, g, "narrow")
    np.testing.assert_array_equal(v_fast, v_slow)
    np.testing.assert_allclose(d_fast, d_slow, rtol=1e-12, atol=1e-15)
    a, b = cls_limits(fast, masses), cls_limits(slow, masses)
    np.testing.assert_allclose(a.epsilon_observed, b.epsilon_observed, rtol=1e-10)
    np.testing.assert_allclose(a.expected_band, b.expected_band, rtol=1e-10)
    assert a.status == b.status
