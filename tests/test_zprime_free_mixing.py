"""The "mixing angle free" electroweak Z' limits of validation/zprime_ablation.py (the PDG's rho = 1 assumption).

The ablation labels each hypothesis by theta and publishes "theta at the limit", so theta must be the Z-Z' mixing angle
of the mass eigenstates, whatever M; and coupling 0 must be the SM (the likelihood's reference), with no mixing left.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from kinmix_stats.inputs.sm import SMParameters
from kinmix_stats.model.zprime import model_charges, nominal_gz

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ablation():
    spec = importlib.util.spec_from_file_location("zprime_ablation", ROOT / "validation" / "zprime_ablation.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("theta", [1.0e-3, -2.0e-3, 5.0e-5])
def test_theta_is_the_zzprime_mixing_angle_at_every_mass(ablation, theta):
    sm = SMParameters()
    masses = np.array([150.0, 500.0, 1000.0, 4000.0])
    z = ablation.FreeMixingFactory(model_charges("chi"), theta)(masses, nominal_gz("chi"), "narrow", sm)
    np.testing.assert_allclose(z.mzp, masses, rtol=1e-12)  # the grid mass is the physical Z' mass
    np.testing.assert_allclose(-np.asarray(z.xi), theta, rtol=1e-4)  # Hook et al.'s xi = -theta


def test_zero_coupling_is_the_sm_without_mixing(ablation):
    sm = SMParameters()
    z = ablation.FreeMixingFactory(model_charges("chi"), 2.0e-3)(np.array([300.0, 900.0]), 0.0, "narrow", sm)
    np.testing.assert_array_equal(np.asarray(z.xi), 0.0)
    np.testing.assert_allclose(z.mz, sm.mz0, rtol=1e-12)
