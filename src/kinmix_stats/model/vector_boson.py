"""Public model classes: a general ``ZPrime`` and the pure kinetic-mixing ``DarkPhoton``.

Both give physical masses, chiral couplings of A, Z and Z' to every SM fermion and to the dark
current, and partial and total widths, from the exact diagonalisation in :mod:`.spectrum`.
Inputs can be scalars (attributes are floats) or 1-d arrays of masses (attributes are arrays); the
mixing parameters (epsilon, gx, delta_m2, higgs_mass_terms) can each be a scalar or a 1-d array
broadcastable to the masses, so a whole scan (one coupling per mass) is one vectorised model.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import cast

import numpy as np
from numpy.typing import ArrayLike

from .._checks import check_choice, check_finite_or_array, check_in_range, is_real_numeric
from ..inputs.fermions import FERMIONS, QUARKS, get_fermion
from ..inputs.sm import SMParameters, alpha_s_running
from .charges import U1Charges, dark_photon_charges
from .dark_sector import DarkWidthSpec, dark_widths, parse_width
from .spectrum import NoZPrimeStateError, diagonalise, solve_mx2, zprime_window
from .widths import fermion_width, ww_width, zh_width

__all__ = ["ZPrime", "DarkPhoton", "BOSONS", "CHANNELS"]

BOSONS = ("A", "Z", "Zp")
_BOSON_INDEX = {"A": 0, "Z": 1, "Zp": 2}
CHANNELS = tuple(FERMIONS) + ("hadrons", "WW", "Zh", "dark")
EPSILON_MAX = 0.5 * math.pi  # the kinetic matrix is positive definite only for |sin eps| < 1


class ZPrime:
    """A new neutral vector boson mixed with the SM neutral gauge bosons.

    Parameters
    ----------
    mass: Z' mass in GeV, physical (default) or Lagrangian (``mass_is_lagrangian=True``); scalar or 1-d array.
    epsilon: kinetic mixing in Hook et al.'s convention, L > -(sin eps/2) F'B (arXiv:1006.0973 Eq. 1), |eps| < pi/2.
    gx: U(1)' gauge coupling g_X (g_z of the PDG review).
    charges: U(1)' charges of the SM fermions (:class:`~kinmix_stats.model.charges.U1Charges`); default none.
    delta_m2: Z0-X mass mixing dM^2 in GeV^2 (PDG review text above Eq. 2).
    ``epsilon``, ``gx``, ``delta_m2`` and ``higgs_mass_terms`` are each a scalar or a 1-d array
    broadcastable to the masses (one value per mass); a scalar stays a float attribute, an array
    becomes an (N,) array attribute. Every value must be finite (``ValueError`` naming the parameter).
    higgs_mass_terms: ``None`` (default) if dM^2 does not come from the SM Higgs doublet(s) (e.g. a
        Stueckelberg or singlet origin); otherwise the Higgs-doublet part of m_X^2 in GeV^2,
        g_X^2 sum_i z_i^2 v_i^2 (:func:`~kinmix_stats.model.higgs_mixing.higgs_x_mass2`), which with it
        declares dM^2 to be the doublets' (:func:`~kinmix_stats.model.higgs_mixing.higgs_mass_mixing`).
        It only changes the h Z Z' coupling (hence Gamma(Z' -> Z h)), see ``widths``.
    width: dark-sector width: "narrow", "wide" (Gamma_dark = 0.01 m_Z', arXiv:1006.0973 Eq. 13),
        a dark width in GeV, or ``DiracDarkMatter(alpha_d, m_chi)``.
    sm: tree-level SM parameters (default :class:`~kinmix_stats.inputs.SMParameters`).
    mass_is_lagrangian: interpret ``mass`` as the Lagrangian mass m_X.
    on_invalid: "raise" (default) raises :class:`NoZPrimeStateError` where no Z'-like state of the
        requested physical mass exists; "mask" keeps such array entries as NaN with ``valid`` False.
    """

    def __init__(
        self,
        mass,
        epsilon: ArrayLike = 0.0,
        *,
        gx=0.0,
        charges: U1Charges | None = None,
        delta_m2=0.0,
        width: DarkWidthSpec = "narrow",
        sm: SMParameters | None = None,
        mass_is_lagrangian: bool = False,
        on_invalid: str = "raise",
        higgs_mass_terms=None,
    ) -> None:
        self.sm = SMParameters() if sm is None else sm
        if not isinstance(self.sm, SMParameters):
            raise ValueError(f"sm must be an SMParameters instance, got {type(self.sm).__name__}")
        self._scalar = np.ndim(mass) == 0
        masses = np.atleast_1d(np.asarray(mass, dtype=float)) if is_real_numeric(mass) else None
        if masses is None or masses.ndim != 1 or masses.size == 0:
            raise ValueError(f"mass must be a positive number or 1-d array of them (GeV), got {mass!r}")
        bad = ~np.isfinite(masses) | (masses <= 0)
        if np.any(bad):
            raise ValueError(f"mass must be finite and > 0 GeV (accepted range (0, inf)), got {float(masses[bad][0])!r}")
        self.epsilon = _check_epsilon(epsilon, masses.shape)
        self.gx = check_finite_or_array("gx", gx, masses.shape)
        self.delta_m2 = check_finite_or_array("delta_m2", delta_m2, masses.shape)
        if higgs_mass_terms is not None:
            higgs_mass_terms = check_finite_or_array("higgs_mass_terms", higgs_mass_terms, masses.shape)
            negative = np.asarray(higgs_mass_terms) < 0.0
            if np.any(negative):
                bad = float(np.atleast_1d(higgs_mass_terms)[np.atleast_1d(negative)][0])
                raise ValueError(f"higgs_mass_terms (g_X^2 sum z_i^2 v_i^2) must be >= 0 GeV^2, got {bad!r}")
        self.higgs_mass_terms = higgs_mass_terms
        self.charges = dark_photon_charges() if charges is None else charges
        if not isinstance(self.charges, U1Charges):
            raise ValueError(f"charges must be a U1Charges instance, got {type(self.charges).__name__}")
        self.width_spec = parse_width(width)
        check_choice("on_invalid", on_invalid, ("raise", "mask"))
        self.mass_is_lagrangian = bool(mass_is_lagrangian)
        self.requested_mass = masses
        self._on_invalid = on_invalid

        if self.mass_is_lagrangian:
            mx2, valid = masses**2, np.ones(masses.shape, dtype=bool)
        else:
            mx2, valid = solve_mx2(self.sm, masses, self.epsilon, self.delta_m2)
        if not np.all(valid) and on_invalid == "raise":
            i = int(np.flatnonzero(~valid)[0])
            eps_i = float(np.broadcast_to(self.epsilon, masses.shape)[i])
            dm2_i = self.delta_m2 if np.ndim(self.delta_m2) == 0 else float(self.delta_m2[i])
            lo, hi = zprime_window(self.sm, eps_i, dm2_i)
            raise NoZPrimeStateError(
                f"no Z'-like eigenstate of physical mass {float(masses[i])!r} GeV exists for epsilon={eps_i!r}, "
                f"delta_m2={dm2_i!r} GeV^2: accepted masses are outside the window "
                f"({lo[0]:.4f}, {hi[0]:.4f}) GeV around m_Z0={self.sm.mz0} GeV"
            )
        self.valid = valid
        self._mx2 = mx2
        self._diag = diagonalise(self.sm, self.epsilon, np.where(valid, mx2, 0.0), self.delta_m2)

    def with_sm(self, sm: SMParameters) -> ZPrime:
        """The same model (same physical or Lagrangian masses, couplings, width) with other SM parameters."""
        mass = float(self.requested_mass[0]) if self._scalar else self.requested_mass
        return ZPrime(
            mass,
            self.epsilon,
            gx=self.gx,
            charges=self.charges,
            delta_m2=self.delta_m2,
            width=self.width_spec,
            sm=sm,
            mass_is_lagrangian=self.mass_is_lagrangian,
            on_invalid="mask",
            higgs_mass_terms=self.higgs_mass_terms,
        )

    def with_epsilon(self, epsilon: float) -> ZPrime:
        """The same model with another kinetic mixing (invalid points masked)."""
        mass = float(self.requested_mass[0]) if self._scalar else self.requested_mass
        return ZPrime(
            mass,
            epsilon,
            gx=self.gx,
            charges=self.charges,
            delta_m2=self.delta_m2,
            width=self.width_spec,
            sm=self.sm,
            mass_is_lagrangian=self.mass_is_lagrangian,
            on_invalid="mask",
            higgs_mass_terms=self.higgs_mass_terms,
        )

    # ------------------------------------------------------------------ helpers
    def _out(self, arr):
        arr = np.where(self.valid, arr, np.nan) if np.ndim(arr) == 1 else arr
        return float(arr[0]) if self._scalar else arr

    @staticmethod
    def _boson(boson: str) -> int:
        return _BOSON_INDEX[check_choice("boson", boson, BOSONS)]

    @property
    def is_scalar(self) -> bool:
        """True for a model of a scalar mass: its per-mass attributes are floats, else (N,) arrays."""
        return self._scalar

    # ------------------------------------------------------------------ spectrum
    @property
    def masses_all(self) -> np.ndarray:
        """(N, 3) physical masses of (A, Z, Z') in GeV, one row per requested mass (see ``valid``)."""
        return self._diag.masses

    @property
    def mz(self):
        """Physical Z mass (GeV)."""
        return self._out(self._diag.masses[:, 1])

    @property
    def mzp(self):
        """Physical Z' mass (GeV)."""
        return self._out(self._diag.masses[:, 2])

    @property
    def mx(self):
        """Lagrangian (Stueckelberg) mass of the X field (GeV)."""
        return self._out(np.sqrt(self._mx2))

    def mass(self, boson: str):
        """Physical mass of "A" (0), "Z" or "Zp" in GeV."""
        return self._out(self._diag.masses[:, self._boson(boson)])

    @property
    def xi(self):
        """Hook et al.'s mixing angle xi (arXiv:1006.0973 Eqs. 5-6)."""
        return self._out(self._diag.xi)

    @property
    def rotation(self) -> np.ndarray:
        """(N, 3, 3) matrix R: (B, W3, X)_gauge = R (A, Z, Z')_mass."""
        return self._diag.rotation

    def z0_fraction(self, boson: str):
        """Squared Z0^ component of an eigenstate (> 1/2 for the Z by construction)."""
        return self._out(self._diag.z0_fraction[:, self._boson(boson)])

    # ------------------------------------------------------------------ couplings
    @cached_property
    def _chiral(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, 3, n_f) left and right couplings of (A, Z, Z') to every fermion in FERMIONS order."""
        sm, r = self.sm, self._diag.rotation
        gx = _column(self.gx)
        gl, gr = [], []
        for f in FERMIONS.values():
            z_l, z_r = self.charges.chiral(f)
            cl = r[:, 0, :] * sm.g_prime * f.y_left + r[:, 1, :] * sm.g * f.t3 + r[:, 2, :] * gx * z_l
            cr = r[:, 0, :] * sm.g_prime * f.y_right + r[:, 2, :] * gx * z_r
            if f.is_neutrino:
                cr = np.zeros_like(cr)
            gl.append(cl)
            gr.append(cr)
        return np.stack(gl, axis=-1), np.stack(gr, axis=-1)

    def chiral_couplings(self, boson: str, fermion: str):
        """(g_L, g_R): L = V_mu fbar gamma^mu (g_L P_L + g_R P_R) f."""
        k = self._boson(boson)
        j = list(FERMIONS).index(get_fermion(fermion).name)
        gl, gr = self._chiral
        return self._out(gl[:, k, j]), self._out(gr[:, k, j])

    def chiral_all(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, 3, n_f) arrays of g_L and g_R for (A, Z, Z') and every fermion (FERMIONS order)."""
        return self._chiral

    def couplings(self, boson: str, fermion: str):
        """(g_V, g_A) with L = V_mu fbar gamma^mu (g_V - g_A gamma5) f."""
        gl, gr = self.chiral_couplings(boson, fermion)
        return 0.5 * (gl + gr), 0.5 * (gl - gr)

    def vector_axial_all(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, 3, n_f) arrays of g_V and g_A for (A, Z, Z') and every fermion (FERMIONS order)."""
        gl, gr = self._chiral
        return 0.5 * (gl + gr), 0.5 * (gl - gr)

    def dark_coupling(self, boson: str):
        """X component R_X,V of an eigenstate: its coupling to the dark current in units of g_D."""
        return self._out(self._diag.rotation[:, 2, self._boson(boson)])

    # ------------------------------------------------------------------ widths
    @cached_property
    def _widths(self) -> dict[str, np.ndarray]:
        """(N, 3) partial widths for each channel."""
        sm, d = self.sm, self._diag
        masses = d.masses
        gv, ga = self.vector_axial_all()
        out: dict[str, np.ndarray] = {}
        k_qcd = 1.0 + alpha_s_running(masses, sm.alpha_s_mz, sm.mz0) / math.pi
        for j, f in enumerate(FERMIONS.values()):
            k = k_qcd if f.is_quark else 1.0
            out[f.name] = fermion_width(masses, gv[:, :, j], ga[:, :, j], f.mass, f.n_colour, k)
        out["hadrons"] = cast("np.ndarray", sum(out[q] for q in QUARKS))
        g_ww = sm.g * d.rotation[:, 1, :]
        out["WW"] = ww_width(masses, g_ww, sm.mw0)
        a = sm.cw * d.rotation[:, 1, :] - sm.sw * d.rotation[:, 0, :]  # Z0 components
        m2_h = sm.mz0**2 * a[:, 1:2] * a
        if self.higgs_mass_terms is not None:  # dM^2 and part of m_X^2 also carry (1 + h/v)^2
            b = d.rotation[:, 2, :]  # X components
            dm2, mxh2 = _column(self.delta_m2), _column(self.higgs_mass_terms)
            m2_h = m2_h + dm2 * (a[:, 1:2] * b + b[:, 1:2] * a) + mxh2 * b[:, 1:2] * b
        g_hzv = 2.0 / sm.vev * m2_h
        zh = zh_width(masses, g_hzv, masses[:, 1:2], sm.mh)
        zh[:, :2] = 0.0  # only Z' -> Z h
        out["Zh"] = zh
        out["dark"] = dark_widths(self.width_spec, masses, d.rotation[:, 2, :])
        out["dark"][:, 0] = 0.0
        return out

    def partial_width(self, boson: str, channel: str):
        """Partial width (GeV) of "Z" or "Zp" into a fermion name, "hadrons", "WW", "Zh" or "dark"."""
        k = self._boson(boson)
        check_choice("decay channel", channel, CHANNELS)
        return self._out(self._widths[channel][:, k])

    def total_width(self, boson: str):
        """Total width (GeV): all fermions (with thresholds and K_QCD), WW, Zh and the dark sector."""
        k = self._boson(boson)
        w = self._widths
        total = sum(w[f][:, k] for f in FERMIONS) + w["WW"][:, k] + w["Zh"][:, k] + w["dark"][:, k]
        return self._out(total)

    def branching_ratio(self, boson: str, channel: str):
        """Branching ratio of ``boson`` into ``channel``."""
        return self.partial_width(boson, channel) / self.total_width(boson)

    def __repr__(self) -> str:
        m = self.requested_mass[0] if self._scalar else f"array[{self.requested_mass.size}]"
        eps, gx = (x if np.ndim(x) == 0 else f"array[{np.size(x)}]" for x in (self.epsilon, self.gx))
        return f"{type(self).__name__}(mass={m}, epsilon={eps}, gx={gx}, charges={self.charges.label}, width={self.width_spec!r})"


class DarkPhoton(ZPrime):
    """A dark photon: a new U(1) kinetically mixed with hypercharge, no SM charges (arXiv:1006.0973 Eq. 1).

    ``DarkPhoton(mass=50.0, epsilon=0.02, width="wide")``; ``mass`` is the physical Z' mass in GeV.
    """

    def __init__(
        self,
        mass,
        epsilon: float,
        width: DarkWidthSpec = "narrow",
        sm: SMParameters | None = None,
        *,
        mass_is_lagrangian: bool = False,
        on_invalid: str = "raise",
    ) -> None:
        super().__init__(
            mass,
            epsilon,
            gx=0.0,
            charges=None,
            delta_m2=0.0,
            width=width,
            sm=sm,
            mass_is_lagrangian=mass_is_lagrangian,
            on_invalid=on_invalid,
        )


def _check_epsilon(epsilon, shape: tuple[int, ...]):
    """Scalar eps, or an array broadcastable to the masses; each |eps| < pi/2."""
    if np.ndim(epsilon) == 0:
        return check_in_range("epsilon", epsilon, -EPSILON_MAX, EPSILON_MAX, low_inclusive=False, high_inclusive=False)
    arr = np.asarray(epsilon, dtype=float)
    try:
        arr = np.broadcast_to(arr, shape).copy()
    except ValueError:
        raise ValueError(f"epsilon array of shape {arr.shape} does not match the masses of shape {shape}") from None
    bad = ~(np.abs(arr) < EPSILON_MAX)  # NaN too; the scalar check gives the message of the first offender
    if np.any(bad):
        check_in_range("epsilon", float(arr[bad][0]), -EPSILON_MAX, EPSILON_MAX, low_inclusive=False, high_inclusive=False)
    return arr


def _column(value):
    """A per-mass (N,) parameter as an (N, 1) column that broadcasts against (N, 3) arrays; scalars unchanged."""
    return value if value is None or np.ndim(value) == 0 else np.asarray(value)[:, None]
