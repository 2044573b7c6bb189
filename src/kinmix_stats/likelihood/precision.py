"""The precision-data likelihood for a vector-boson hypothesis (data layer -> statistics layer).

:class:`PrecisionLikelihood` loads the catalogue once, computes the tree-level SM reference at p0,
the experimental residuals (:mod:`.residuals`) and the responses of every residual to the SM
parameters, and then turns a hypothesis (model family, mass, width, eps) into theory residuals
(exact, non-linear) or into a :class:`~kinmix_stats.likelihood.gaussian.LinearGaussianProblem`
(signal = delta_th at eps_ref, POI mu = eps^2/eps_ref^2, README "Statistics").

Nuisance parameters
-------------------
* ``alpha_em``: relative shift of alpha(m_Z), delta alpha / alpha, Gaussian-constrained by the
  external determination alpha(m_Z)^-1 = 127.951 +- 0.009 (PDG 2023 EW review, via flavio; see
  :class:`kinmix_stats.inputs.PDG`), i.e. sigma = 7.0e-5. This constraint is what gives the fit power
  at low m_Z'. Caveat: for m_Z' below the
  energies of the e+e- -> hadrons data that determine Delta alpha_had (a few GeV), that determination
  would itself see the Z'; we do not model this, so limits below ~5 GeV assume an unaffected alpha(m_Z).
* ``sin2_theta_w``: absolute shift of sin^2 theta_W, unconstrained.
G_F is fixed; m_Z0 moves with (alpha, sin^2 theta_W) at fixed G_F.

Beam-energy spread (an assumption, not a measured value)
--------------------------------------------------------
A narrow Z' produced on resonance at a measured sqrt(s) is seen through the collider's spread of
centre-of-mass energies. We found no published per-experiment values in our sources (searched for issue #14:
LEP Energy Working Group hep-ex/0410026 and hep-ex/9901002, hep-ex/0101027, hep-ex/0002046 readable only to their
abstracts; no copy of the PDG "High-energy collider parameters" table for PETRA/PEP/TRISTAN/LEP; see
validation/REPORT.md), so the e+e- cross sections, asymmetries and R ratios are smeared with a Gaussian of relative width
``beam_spread_rel`` (default ``ASSUMED_BEAM_SPREAD_REL = 1e-3``, the order of magnitude of storage-ring
energy spreads). It matters only within a few spreads of a measured energy for narrow Z'; the
validation report shows the sensitivity.

Energy ranges: 14 R-ratio entries average over an interval of sqrt(s) (``energy_range``, e.g. 33.0-36.7 GeV);
their Z' contribution is averaged uniformly over it (the PDG compilation gives no luminosity breakdown), see
:func:`kinmix_stats.observables.amplitudes.range_average_propagator`.

Z line shape with both states (issue #14; where the switch is, and why)
-----------------------------------------------------------------------
The Z-pole line-shape pseudo-observables (m_Z, Gamma_Z, sigma0_had, R_l, A_FB^0,l: :data:`LINESHAPE_OBSERVABLES`)
were determined by LEP from one Breit-Wigner fitted to the *summed* line shape at the scan energies. Their
predictions are therefore not the single Z eigenstate's properties (:mod:`kinmix_stats.observables.zpole`, the
treatment before) but what that one-Breit-Wigner fit would report for the model's line shape (gamma + Z-Z' propagator
matrix with the off-diagonal width, beam spread; :func:`kinmix_stats.observables.lineshape.effective_pole_observables`,
on the 1993-95 scan energies m_Z, m_Z +- 1.8 GeV), for every Z' mass with |m_Z' - m_Z0| < ``lineshape_window``
(default :data:`LINESHAPE_WINDOW_GEV` = 1e5 GeV: every mass the package accepts, so no edge; its cost is measured
by benchmarks/bench_scan.py against ``lineshape_window=0``, README "Performance"). The same measurements are used, each once: the switch replaces
predictions, not data (the per-energy LEP-I cross sections themselves could not be sourced, see
validation/REPORT.md). Where it matters: within a few GeV of m_Z the single-eigenstate values credit the Z
eigenstate's level repulsion, which the summed line shape largely hides (limits weaker), and a narrow Z' within a
few spreads of a scan energy distorts the line shape more than the eigenstate shift (stronger); a Z' with its own
couplings (psi at z_eff = 0) is seen through its exchange even without mixing. Far from m_Z the dark photon's limits
agree with the single-eigenstate ones to < 1 % (validation/REPORT.md). ``lineshape_window=0`` restores the
single-eigenstate predictions everywhere (for comparisons). The on-peak ratios and asymmetries (R_b, R_c, A_f,
A_FB^0,b/c) stay single-eigenstate; where the two states overlap outright the status check of
:mod:`kinmix_stats.likelihood.pole_overlap` drops them and reports the point not ok.

Initial-state radiation (:mod:`kinmix_stats.observables.isr`, Kuraev-Fadin radiator; ``isr=True``, the default since
issue #14): applied to the Z' part of every e+e- observable that can see a narrow resonance, normalised by the SM
radiator flux, i.e. to the Z' excess relative to the SM. Per dataset:
* LEP-II sigma, A_FB (arXiv:1302.3415): quoted with ISR for sqrt(s'/s) > 0.85 and compared with an SM prediction
  made with the same cut, so the radiated fraction is integrated up to x_max = 1 - 0.85^2.
* R ratio (PETRA/PEP/TRISTAN): corrected to the Born level by the experiments with their SM radiative factor; a
  Z' signal would enter that correction like the radiated SM events, within each experiment's cuts on visible
  energy, which our sources do not give. ASSUMPTION: the LEP-II x_max is used.
* R-ratio entries averaged over an energy range: the range average is convolved too (same assumption), with its
  edges resolved on both sides (:func:`kinmix_stats.observables.isr_convolution._isr_pieces`; tested against the range
  average of the pointwise convolution, tests/test_isr.py).
* LEP-II Bhabha (arXiv:1302.3415, ratios to BHWIDE, which includes ISR): the s-channel Z' pieces are convolved with
  the same x_max (ASSUMPTION: the LEP-II ff cut; the Bhabha selection's acollinearity cut is not in our sources); the
  t-channel and SM parts are taken at the nominal energy as before.
The convolution is done only where the Z' is resonant within reach of the radiator and tabulated per mass and
width (:func:`kinmix_stats.observables.isr_convolution.isr_correction`), which keeps the default scan within 2x of
the treatment before issue #14 (measured by validation/isr_spikes.py, validation/REPORT.md). Effect: a narrow Z' on a measured
energy is lowered by ~(2 spread/sqrt(s))^beta (x0.55-0.65) and its limit weakens; a Z' a few per cent below a
measured energy is produced by radiative return and its limit strengthens. ``isr=False`` restores the Born
treatment (for comparisons). ``beam_spread_rel=0`` is refused: a bare Breit-Wigner at a
measured energy would give an arbitrarily strong limit for an arbitrarily narrow Z' (1e-8 in eps, measured).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .._checks import as_positive_array, check_beam_spread_rel, check_in_range
from ..inputs.sm import PDG, SMParameters
from ..measurements import Catalogue, load_catalogue, stack_datasets
from ..model.dark_sector import DarkWidthSpec
from ..model.vector_boson import EPSILON_MAX, DarkPhoton, ZPrime
from ..observables.isr import X_MAX_LEP2
from ..observables.lineshape import LINESHAPE_OBSERVABLES, effective_pole_observables
from ..observables.low_energy import SHIFT_NORMALISED
from ..observables.registry import predict_entries
from .gaussian import LinearGaussianProblem, profile_chi2_batch, profiled_nuisances_batch
from .residuals import ExperimentalResiduals, experimental_residuals

__all__ = [
    "PrecisionLikelihood", "ModelFactory", "dark_photon_factory", "ALPHA_REL_SIGMA", "ASSUMED_BEAM_SPREAD_REL", "POLE_OBSERVABLES",
    "LINESHAPE_WINDOW_GEV",
]

#: ASSUMPTION (see module docstring): relative Gaussian spread of sqrt(s) at e+e- colliders
ASSUMED_BEAM_SPREAD_REL = 1e-3
_SMEARED_OBSERVABLES = ("sigma_ee_ff", "AFB_ee_ff", "R_ratio", "dsigma_bhabha")
#: observables averaged over a measurement's ``energy_range`` (uniformly in sqrt(s), see data/README.md)
_RANGE_OBSERVABLES = ("sigma_ee_ff", "AFB_ee_ff", "R_ratio")
#: observables whose Z' part is ISR-convolved (module docstring, "Initial-state radiation")
_ISR_OBSERVABLES = ("sigma_ee_ff", "AFB_ee_ff", "R_ratio", "dsigma_bhabha")
#: pseudo-observables of the single Z eigenstate (LEP/SLD fits of one Breit-Wigner, hep-ex/0509008 Sec. 1.4);
#: m_Z is the mass of that Breit-Wigner
POLE_OBSERVABLES = frozenset(
    ["mZ", "GammaZ", "sigma_had0", "R_e", "R_mu", "R_tau", "R_b", "R_c"]
    + [f"A_{f}" for f in ("e", "mu", "tau", "b", "c", "s")]
    + [f"AFB0_{f}" for f in ("e", "mu", "tau", "b", "c")]
)

#: |m_Z' - m_Z0| below which the line-shape pseudo-observables are predicted from the two-state line shape (docstring):
#: the largest mass the package accepts, i.e. everywhere
LINESHAPE_WINDOW_GEV = 1e5

#: relative uncertainty of alpha(m_Z): 0.009 / 127.951 (PDG 2023 EW review via flavio 2.7.1)
ALPHA_REL_SIGMA = PDG.ALPHA_MZ_INV.error / PDG.ALPHA_MZ_INV.value
_H_ALPHA = 1e-4  # finite-difference steps for the SM-parameter templates
_H_S2 = 1e-4

#: builds the model for (masses, coupling, width, sm); invalid masses must come back masked (NaN).
#: The coupling is a float; a factory that also takes an (N,) array of couplings (one per mass) says so
#: with an attribute ``array_coupling = True`` (the dark photon's does), and the limit setting then
#: evaluates a whole scan in one call (:mod:`kinmix_stats.likelihood.coupling`).
ModelFactory = Callable[[np.ndarray, "float | np.ndarray", DarkWidthSpec, SMParameters], ZPrime]


def dark_photon_factory(masses: np.ndarray, epsilon, width: DarkWidthSpec, sm: SMParameters) -> ZPrime:
    """Pure kinetic mixing (arXiv:1006.0973 Eq. 1) with physical Z' masses; ``epsilon`` scalar or one per mass."""
    return DarkPhoton(masses, epsilon, width=width, sm=sm, on_invalid="mask")


dark_photon_factory.array_coupling = True  # type: ignore[attr-defined]


@dataclass(frozen=True, eq=False)
class _Reference:
    sm_tree: np.ndarray  # (n,) X_th,SM(p0)
    shift_idx: np.ndarray  # entries whose residual is (X_th - X_th,SM(p0)) / X_SM,quoted (low-energy weak charges)
    shift_norm: np.ndarray  # X_SM,quoted of those entries
    templates: np.ndarray  # (2, n) d delta_th / d(theta_alpha, delta s2) at eps = 0


class PrecisionLikelihood:
    """Precision e+e- and electroweak measurements as a likelihood for Z' hypotheses.

    Parameters
    ----------
    datasets: catalogue dataset names (default: all); see :func:`kinmix_stats.measurements.available_datasets`.
    mw_choice: which W-mass determination to use (default PDG 2024).
    sm: reference SM parameters p0 (default :class:`SMParameters`).
    model_factory: how to build the model for (masses, eps, width, sm) (default: dark photon).
    beam_spread_rel: relative c.m. energy spread used to smear e+e- resonances (assumption, see above), > 0.
    energy_ranges: average entries with an ``energy_range`` over it (default); ``False`` predicts them at their
        quoted energy only (the treatment before issue #14, kept for validation comparisons).
    isr: convolve the Z' part of sigma, A_FB, R (also range-averaged) and the Bhabha s-channel with the
        initial-state radiator (see above; default). ``False``: the Born treatment before issue #14.
    lineshape_window: GeV around m_Z0 within which m_Z, Gamma_Z, sigma0_had, R_l, A_FB^0,l come from the two-state
        line shape (see above; default everywhere); 0 = the single-eigenstate pseudo-observables (the treatment before).
    """

    nuisance_names = ("alpha_em", "sin2_theta_w")

    def __init__(
        self,
        datasets: Sequence[str] | None = None,
        *,
        mw_choice: str | None = "PDG2024",
        sm: SMParameters | None = None,
        model_factory: ModelFactory = dark_photon_factory,
        beam_spread_rel: float = ASSUMED_BEAM_SPREAD_REL,
        energy_ranges: bool = True,
        isr: bool = True,
        lineshape_window: float = LINESHAPE_WINDOW_GEV,
    ) -> None:
        if isinstance(datasets, str):  # one dataset name, not a sequence of one-letter names
            datasets = [datasets]
        elif datasets is not None and not all(isinstance(d, str) for d in datasets):
            raise TypeError(f"datasets must be dataset names (strings), got {datasets!r}")
        if sm is not None and not isinstance(sm, SMParameters):
            raise TypeError(f"sm must be SMParameters or None, got {type(sm).__name__}")
        if not callable(model_factory):
            raise TypeError(f"model_factory must be callable (masses, coupling, width, sm) -> model, got {model_factory!r}")
        self._build(
            stack_datasets(load_catalogue(datasets, mw_choice=mw_choice)), mw_choice=mw_choice, sm=sm,
            model_factory=model_factory, beam_spread_rel=beam_spread_rel, energy_ranges=energy_ranges, isr=isr,
            lineshape_window=lineshape_window,
        )

    def _build(
        self, catalogue: Catalogue, *, mw_choice: str | None, sm: SMParameters | None, model_factory: ModelFactory,
        beam_spread_rel: float, energy_ranges: bool, isr: bool, lineshape_window: float,
    ) -> None:
        """Everything of the constructor after the catalogue is loaded (:meth:`_without` starts here with a subset)."""
        self.sm = SMParameters() if sm is None else sm
        self.mw_choice = mw_choice
        self.catalogue = catalogue
        self.beam_spread_rel = check_beam_spread_rel(beam_spread_rel)  # also kinmix --beam-spread-rel's check
        self.entries = []
        for obs, m in zip(self.catalogue.observables, self.catalogue.measurements, strict=True):
            kin = dict(m.kinematics)
            if obs in _SMEARED_OBSERVABLES:
                kin["beam_spread"] = self.beam_spread_rel * float(kin["sqrt_s"])
                if energy_ranges and m.energy_range is not None and obs in _RANGE_OBSERVABLES:
                    kin["energy_range"] = tuple(m.energy_range)  # uniform in sqrt(s): no luminosity breakdown given
                if isr and obs in _ISR_OBSERVABLES:
                    kin["isr_x_max"] = X_MAX_LEP2  # LEP-II cut; an assumption for R and Bhabha (see module docstring)
            self.entries.append((obs, kin))
        self.model_factory = model_factory
        self.lineshape_window = check_in_range("lineshape_window", lineshape_window, 0.0, LINESHAPE_WINDOW_GEV)
        self._lineshape_cols = [(i, o) for i, o in enumerate(self.catalogue.observables) if o in LINESHAPE_OBSERVABLES]
        self.energy_ranges = bool(energy_ranges)
        self.isr = bool(isr)
        self.datasets = tuple(ds.name for ds in self.catalogue.datasets)
        sm_tree = self._predict_sm(self.sm)
        self.residuals: ExperimentalResiduals = experimental_residuals(self.catalogue, sm_tree)
        shift_idx = np.array([i for i, o in enumerate(self.catalogue.observables) if o in SHIFT_NORMALISED], dtype=int)
        shift_norm = np.asarray(self.catalogue.sm, dtype=float)[shift_idx]
        if np.any(~np.isfinite(shift_norm) | (shift_norm == 0)):
            raise ValueError(f"observables {SHIFT_NORMALISED} need a quoted, non-zero SM value ('sm') in the catalogue")
        self._ref = _Reference(sm_tree=sm_tree, shift_idx=shift_idx, shift_norm=shift_norm,
                               templates=self._templates(sm_tree, shift_idx, shift_norm))

    # ----------------------------------------------------------------- Z-pole pseudo-observables
    @property
    def has_pole_observables(self) -> bool:
        """True if any entry is a Z-pole pseudo-observable (:data:`POLE_OBSERVABLES`)."""
        return any(obs in POLE_OBSERVABLES for obs in self.catalogue.observables)

    @property
    def single_state_observables(self) -> frozenset[str]:
        """Pole observables predicted as properties of the single Z eigenstate: all of :data:`POLE_OBSERVABLES`, minus
        the line-shape ones when they come from the two-state line shape (``lineshape_window`` > 0)."""
        return POLE_OBSERVABLES - (frozenset(LINESHAPE_OBSERVABLES) if self.lineshape_window > 0 else frozenset())

    @property
    def has_single_state_observables(self) -> bool:
        """True if any entry is a single-eigenstate pole observable (:attr:`single_state_observables`)."""
        return any(obs in self.single_state_observables for obs in self.catalogue.observables)

    def overlap_fallback(self) -> PrecisionLikelihood:
        """The likelihood used where the Z' overlaps the Z outright (:mod:`kinmix_stats.likelihood.limits`), built once.

        Without the datasets that hold single-eigenstate pole observables (:attr:`single_state_observables`): with
        the two-state line shape (``lineshape_window`` > 0) that keeps the line-shape datasets (m_Z, Gamma_Z,
        sigma0_had, R_l, A_FB^0,l) beside the off-pole data; without it, it is :meth:`off_pole`.
        """
        if self.lineshape_window <= 0:
            return self.off_pole()
        return self._without(self.single_state_observables, "_overlap_fallback", "single-eigenstate pole observables")

    def off_pole(self) -> PrecisionLikelihood:
        """The same likelihood without the datasets that hold Z-pole pseudo-observables (built once).

        Used where a Z' overlaps the Z (:mod:`kinmix_stats.observables.two_state`): the single-eigenstate
        pseudo-observables cannot describe the summed line shape there, the off-pole data (m_W, LEP-II,
        Bhabha, R ratio) can. Raises if nothing is left.
        """
        return self._without(POLE_OBSERVABLES, "_off_pole", "Z-pole pseudo-observables")

    def _without(self, observables, cache_key: str, what: str) -> PrecisionLikelihood:
        """This likelihood (same options) without every dataset that holds one of ``observables``; built once and
        cached under ``cache_key``. Raises naming ``what`` if no dataset is left.

        The kept datasets are this likelihood's own (loaded and validated once; :class:`~kinmix_stats.measurements.Dataset`
        is immutable). The cache entry remembers the model factory it was built with: a shallow copy with another
        factory (:func:`kinmix_stats.likelihood.zprime.with_factory`) builds its own.
        """
        cached = self.__dict__.get(cache_key)
        if cached is not None and cached[0] is self.model_factory:
            return cached[1]
        keep = [ds for ds in self.catalogue.datasets if not any(m.observable in observables for m in ds.measurements)]
        if not keep:
            raise ValueError(f"no dataset without {what} among {list(self.datasets)}")
        like = PrecisionLikelihood.__new__(PrecisionLikelihood)
        like._build(
            stack_datasets(keep), mw_choice=self.mw_choice, sm=self.sm, model_factory=self.model_factory,
            beam_spread_rel=self.beam_spread_rel, energy_ranges=self.energy_ranges, isr=self.isr,
            lineshape_window=self.lineshape_window,
        )
        self.__dict__[cache_key] = (self.model_factory, like)
        return like

    # ----------------------------------------------------------------- SM reference and templates
    def _predict_sm(self, sm: SMParameters) -> np.ndarray:
        """Tree-level SM predictions (no Z') for every entry at SM parameters ``sm``."""
        model = self.model_factory(np.array([10.0]), 0.0, "narrow", sm)
        return predict_entries(model, self.entries)[0]

    def sm_at(self, theta_alpha: float = 0.0, delta_s2: float = 0.0) -> SMParameters:
        """SM parameters shifted by relative alpha and absolute sin^2 theta_W shifts at fixed G_F."""
        return self.sm.at_fixed_gf(self.sm.alpha * (1.0 + theta_alpha), self.sm.sin2_theta_w + delta_s2)

    def _templates(self, sm_tree: np.ndarray, shift_idx: np.ndarray, shift_norm: np.ndarray) -> np.ndarray:
        rows = []
        for da, ds2, h in ((_H_ALPHA, 0.0, _H_ALPHA), (0.0, _H_S2, _H_S2)):
            up = self._predict_sm(self.sm_at(da, ds2))
            down = self._predict_sm(self.sm_at(-da, -ds2))
            row = (up - down) / (2.0 * h) / sm_tree
            row[shift_idx] = (up - down)[shift_idx] / (2.0 * h) / shift_norm
            rows.append(row)
        return np.array(rows)

    @property
    def names(self) -> tuple[str, ...]:
        return self.catalogue.ids

    @property
    def templates(self) -> np.ndarray:
        """(2, n) responses of delta_th to (delta alpha/alpha, delta sin^2 theta_W) at eps = 0."""
        return self._ref.templates

    @property
    def sm_tree_reference(self) -> np.ndarray:
        return self._ref.sm_tree

    # ----------------------------------------------------------------- theory residuals
    def delta_th(
        self,
        masses,
        epsilon,
        width: DarkWidthSpec = "narrow",
        theta_alpha: float = 0.0,
        delta_s2: float = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact tree-level theory residuals (Eq. 15), shape (N, n), and the validity mask (N,).

        For the low-energy weak charges (``observables.low_energy.SHIFT_NORMALISED``) the residual is the
        tree-level shift over the SM value quoted with the data, (X_th - X_th,SM(p0)) / X_SM,quoted: their SM
        values carry loop corrections of several per cent (Q_W(p)) that the new-physics shift does not.

        ``epsilon`` is the factory's coupling: a scalar, or one per mass if the factory takes arrays
        (``array_coupling``); every value must satisfy |coupling| < pi/2. Rows where no Z'-like state
        of that mass exists (the window around m_Z0) are NaN with ``valid`` False.
        """
        masses = as_positive_array("masses", masses, unit="GeV")
        if np.ndim(epsilon) == 0:
            check_in_range("epsilon", epsilon, -EPSILON_MAX, EPSILON_MAX, low_inclusive=False, high_inclusive=False)
            key = masses[:, None]
        else:
            values = np.asarray(epsilon, dtype=float)
            bad = ~(np.abs(values) < EPSILON_MAX)
            if np.any(bad):
                check_in_range("epsilon", float(values[bad][0]), -EPSILON_MAX, EPSILON_MAX, low_inclusive=False, high_inclusive=False)
            key = np.stack([masses, values], axis=1) if values.shape == masses.shape else None
        if key is not None and masses.size > 1:
            # a repeated (mass, coupling) row is computed once (every row is independent of the others): the CLs
            # iteration starts the observed and five expected limits of a mass at the same linearisation point
            uniq, inverse = np.unique(key, axis=0, return_inverse=True)
            if uniq.shape[0] < masses.size:
                inverse = inverse.reshape(-1)
                coupling = epsilon if np.ndim(epsilon) == 0 else uniq[:, 1]
                delta, valid = self._delta_th(uniq[:, 0], coupling, width, theta_alpha, delta_s2)
                return delta[inverse], valid[inverse]
        return self._delta_th(masses, epsilon, width, theta_alpha, delta_s2)

    def _delta_th(self, masses: np.ndarray, epsilon, width: DarkWidthSpec, theta_alpha: float, delta_s2: float):
        """:meth:`delta_th` for checked arguments."""
        sm = self.sm if (theta_alpha == 0.0 and delta_s2 == 0.0) else self.sm_at(theta_alpha, delta_s2)
        model = self.model_factory(masses, epsilon, width, sm)
        valid = np.asarray(model.valid)
        pred = predict_entries(model, self.entries)
        if self._lineshape_cols and self.lineshape_window > 0:  # the two-state line shape near m_Z (docstring)
            rows = np.flatnonzero(valid & (np.abs(masses - self.sm.mz0) < self.lineshape_window))
            if rows.size:
                if rows.size == masses.size:  # every row (the default window): the model above
                    sub = model
                else:
                    coupling = epsilon if np.ndim(epsilon) == 0 else np.asarray(epsilon, dtype=float)[rows]
                    sub = self.model_factory(masses[rows], coupling, width, sm)
                eff = effective_pole_observables(sub, self.beam_spread_rel)
                for i, obs in self._lineshape_cols:
                    pred[rows, i] = eff[obs]
        delta = pred / self._ref.sm_tree[None, :] - 1.0
        idx = self._ref.shift_idx
        if idx.size:  # low-energy weak charges: tree-level shift over the loop-corrected SM value quoted with the data
            delta[:, idx] = (pred[:, idx] - self._ref.sm_tree[None, idx]) / self._ref.shift_norm[None, :]
        delta[~valid] = np.nan
        return delta, valid

    # ----------------------------------------------------------------- statistics
    def base_problem(self, signal: np.ndarray | None = None, *, include: np.ndarray | None = None) -> LinearGaussianProblem:
        """The linear Gaussian problem with ``signal`` (default: zeros); ``include`` selects entries."""
        idx = np.arange(len(self.names)) if include is None else np.flatnonzero(include)
        sig = np.zeros(len(self.names)) if signal is None else np.asarray(signal, dtype=float)
        return LinearGaussianProblem(
            names=tuple(self.names[i] for i in idx),
            observed=self.residuals.observed[idx],
            covariance=self.residuals.covariance[np.ix_(idx, idx)],
            signal=sig[idx],
            nuisance_names=self.nuisance_names,
            nuisance_templates=self._ref.templates[:, idx],
            nuisance_sigmas=(ALPHA_REL_SIGMA, None),
        )

    @cached_property
    def _profile_problem(self) -> LinearGaussianProblem:
        """The signal-free problem whose exact generalised-least-squares profile (``gaussian``) both
        :meth:`chi2_profiled` and :meth:`profile_sm_parameters` use (one implementation of the fit)."""
        return self.base_problem()

    def chi2_profiled(self, delta_th: np.ndarray) -> np.ndarray:
        """chi^2 of Eq. 17 over all entries, profiled over (alpha, sin^2 theta_W) linearly, shape (N,).

        ``delta_th`` (N, n) is the exact residual at p0 (NaN treated as 0); the SM-parameter response
        is linear over the profiled range (a test checks the profile against iminuit). This is the
        profiled -2 ln L of :func:`~kinmix_stats.likelihood.gaussian.profile_chi2_batch` at mu = 1.
        """
        delta_th = np.nan_to_num(np.atleast_2d(delta_th), nan=0.0)
        return profile_chi2_batch(self._profile_problem, delta_th, 1.0)

    def profile_sm_parameters(self, delta_th: np.ndarray) -> np.ndarray:
        """Best-fit (delta alpha/alpha, delta sin^2 theta_W) for residuals ``delta_th`` (N, n) -> (N, 2)."""
        delta_th = np.nan_to_num(np.atleast_2d(delta_th), nan=0.0)
        return profiled_nuisances_batch(self._profile_problem, delta_th, 1.0)
