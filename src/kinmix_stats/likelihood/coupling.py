"""What a likelihood's coupling is (eps or g_z), its caps, its validity window and delta_th per coupling.

With a ``model_factory`` other than the dark photon's (e.g.
:func:`kinmix_stats.likelihood.zprime.zprime_factory`), the coupling argument of the factory is the
U(1)' gauge coupling g_z and the limit machinery (:mod:`.closed_form`, :mod:`.exact`, :mod:`.pyhf_engine`)
gives limits on it: POI mu = (g_z/g_ref)^2, start g_ref = 0.1, largest reported limit :data:`G_Z_CAP`.
Without mixing no window exists (the Z' mass does not mix with m_Z0 at tree level, apart from the
degenerate point m_Z' = m_Z0 itself); with kinetic or Z-Z' mass mixing the edge is read from the
factory's validity mask (:func:`coupling_window`). For the dark photon a Z'-like state of mass m
exists only for |tan eps| < |m^2 - m_Z0^2| / (m_Z0^2 s_W) (:func:`window_epsilon`).

The dark-photon factory and every factory with ``array_coupling = True`` (``zprime_factory``, hence
every ``ModelSpec``) take one coupling per mass, so each re-linearisation step, chi^2 grid or
window bisection is ONE vectorised model evaluation over all masses. A user factory without that
attribute (a ``ModelFactory`` typed with a scalar coupling) is still supported: it is evaluated once
per distinct coupling (:func:`coupling_delta_th`), which costs one model build per mass in a scan.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import as_positive_array, check_choice
from ..model.vector_boson import EPSILON_MAX
from .precision import PrecisionLikelihood, dark_photon_factory

__all__ = [
    "COUPLING_CAP",
    "COUPLING_START",
    "COUPLING_SYMBOL",
    "EPS_CAP",
    "G_Z_CAP",
    "accepts_array_couplings",
    "coupling_delta_th",
    "coupling_window",
    "likelihood_coupling",
    "window_epsilon",
]

EPS_CAP = 1.0  # largest eps we report a limit for (|sin eps| = 0.84)
#: largest g_z we report a limit for: below the |coupling| < pi/2 guard of the likelihood (g_z^2/4pi = 0.18)
G_Z_CAP = 1.5
#: largest reported limit per coupling ("epsilon" or "g_z")
COUPLING_CAP = {"epsilon": EPS_CAP, "g_z": G_Z_CAP}
#: first linearisation point of the CLs re-linearisation per coupling
COUPLING_START = {"epsilon": 0.03, "g_z": 0.1}
#: short symbol of each coupling in status messages
COUPLING_SYMBOL = {"epsilon": "eps", "g_z": "g_z"}


def likelihood_coupling(likelihood: PrecisionLikelihood) -> str:
    """What the coupling argument of ``likelihood``'s model factory is: "epsilon" (dark photon) or "g_z".

    A factory may say so itself with a ``coupling`` attribute; any factory other than the dark
    photon's is otherwise taken to be a Z' model whose coupling argument is g_z.
    """
    factory = likelihood.model_factory
    if factory is dark_photon_factory:
        return "epsilon"
    coupling = getattr(factory, "coupling", "g_z")
    check_choice("model factory coupling", coupling, tuple(COUPLING_CAP))
    return coupling


def accepts_array_couplings(factory) -> bool:
    """True if ``factory`` takes one coupling per mass (an array): the dark photon's, or ``array_coupling = True``."""
    return factory is dark_photon_factory or bool(getattr(factory, "array_coupling", False))


def coupling_delta_th(likelihood: PrecisionLikelihood, masses, couplings, width) -> tuple[np.ndarray, np.ndarray]:
    """``likelihood.delta_th`` for one coupling per mass, whatever the factory accepts.

    The dark-photon factory (or one with ``array_coupling = True``) gets the arrays in one call; any
    other (fallback for scalar-only user factories) is called once per distinct coupling with the
    masses that share it (rows in input order).
    """
    masses = np.asarray(masses, dtype=float)
    couplings = np.broadcast_to(np.asarray(couplings, dtype=float), masses.shape)
    if accepts_array_couplings(likelihood.model_factory):
        return likelihood.delta_th(masses, couplings, width)
    delta = np.full((masses.size, len(likelihood.names)), np.nan)
    valid = np.zeros(masses.size, dtype=bool)
    for c in np.unique(couplings):
        rows = np.flatnonzero(couplings == c)
        d, v = likelihood.delta_th(masses[rows], float(c), width)
        delta[rows] = d
        valid[rows] = v
    return delta, valid

def window_epsilon(likelihood: PrecisionLikelihood, masses: np.ndarray) -> np.ndarray:
    """Largest eps for which a Z'-like state of physical mass m exists (pure kinetic mixing)."""
    sm = likelihood.sm
    t = np.abs(masses**2 - sm.mz0**2) / (sm.mz0**2 * sm.sw)
    return np.minimum(np.arctan(t), EPSILON_MAX * 0.999)


def _factory_valid(likelihood: PrecisionLikelihood, masses: np.ndarray, couplings: np.ndarray) -> np.ndarray:
    if accepts_array_couplings(likelihood.model_factory):
        model = likelihood.model_factory(masses, np.asarray(couplings, dtype=float), "narrow", likelihood.sm)
        return np.asarray(model.valid, dtype=bool).copy()
    out = np.zeros(masses.size, dtype=bool)
    for c in np.unique(couplings):
        rows = np.flatnonzero(couplings == c)
        model = likelihood.model_factory(masses[rows], float(c), "narrow", likelihood.sm)
        out[rows] = np.asarray(model.valid, dtype=bool)
    return out


def coupling_window(
    likelihood: PrecisionLikelihood, masses, cap: float | None = None, *, smallest: float = 1e-9, rtol: float = 1e-4
) -> np.ndarray:
    """Largest coupling (up to ``cap``) for which a Z'-like state of each physical mass exists.

    Dark photon: :func:`window_epsilon` (closed form, then capped). Other factories: read from the
    factory's validity mask, which already knows every mixing the model has (kinetic mixing, fixed dM^2,
    or dM^2 from the Higgs sector growing with g_z). 0 where no state exists even at the ``smallest``
    coupling (inside a window that the fixed mixing opens around m_Z0 whatever g_z is); ``cap`` where
    the state exists up to ``cap``; otherwise the edge is bisected (in log) to ``rtol``, assuming the
    state exists for every coupling below the edge. Without mixing this is ``cap`` at every mass
    except the degenerate point m_Z' = m_Z0 itself.
    """
    masses = as_positive_array("masses", masses, unit="GeV")
    coupling = likelihood_coupling(likelihood)
    cap = COUPLING_CAP[coupling] if cap is None else float(cap)
    if likelihood.model_factory is dark_photon_factory:
        return np.minimum(window_epsilon(likelihood, masses), cap)
    n = masses.size
    ok_low = _factory_valid(likelihood, masses, np.full(n, smallest))
    ok_cap = _factory_valid(likelihood, masses, np.full(n, cap))
    edge = np.where(ok_cap & ok_low, cap, 0.0)
    todo = np.flatnonzero(ok_low & ~ok_cap)
    if todo.size:
        lo = np.full(todo.size, smallest)
        hi = np.full(todo.size, cap)
        steps = math.ceil(math.log2(math.log(cap / smallest) / rtol)) + 1
        for _ in range(steps):
            mid = np.sqrt(lo * hi)
            good = _factory_valid(likelihood, masses[todo], mid)
            lo = np.where(good, mid, lo)
            hi = np.where(good, hi, mid)
        edge[todo] = lo
    return edge
