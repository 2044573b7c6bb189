"""Registry of observables: a name -> prediction function map (flavio's pattern).

Every catalogue entry names one of these observables and gives its kinematics; adding a measurement
of an existing kind is a data-only change. ``predict(name, model, **kinematics)`` evaluates one
prediction; :func:`predict_entries` evaluates many catalogue entries at once, grouping them by
observable so that each prediction function is called once, vectorised over Z' masses and energies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .._checks import check_choice
from ..inputs.sm import SMParameters
from ..model.vector_boson import ZPrime
from . import ee_ffbar, low_energy, zpole

__all__ = ["ObservableSpec", "REGISTRY", "observables", "predict", "predict_entries"]


@dataclass(frozen=True)
class ObservableSpec:
    """A registered observable: name, unit, description, required kinematics and prediction function.

    ``function(model, **kinematics)`` returns an array (N,) for point kinematics; for observables
    with ``energy_kinematics`` it accepts arrays of them and returns (N, K).
    """

    name: str
    unit: str
    description: str
    function: Callable[..., np.ndarray]
    kinematics: tuple[str, ...] = ()
    grouping: tuple[str, ...] = ()  # non-vectorised kinematics (e.g. final_state)


def _bind(fn: Callable, *args) -> Callable:
    """fn(model, *args) as a one-argument prediction function."""
    return lambda model: fn(model, *args)


REGISTRY: dict[str, ObservableSpec] = {}


def _register(spec: ObservableSpec) -> None:
    REGISTRY[spec.name] = spec


_register(ObservableSpec("mZ", "GeV", "physical Z mass", lambda m: np.atleast_1d(m.mz)))
_register(
    ObservableSpec(
        "mW", "GeV", "W mass m_Z0 c_W from (alpha, G_F, sin^2 theta_W); the W does not mix",
        lambda m: np.full(np.atleast_1d(m.mz).shape, m.sm.mw0),
    )
)
_register(ObservableSpec("GammaZ", "GeV", "total Z width incl. exotic width", zpole.gamma_z))
_register(ObservableSpec("sigma_had0", "nb", "hadronic pole cross section", zpole.sigma_had0))
for _l in ("e", "mu", "tau"):
    _register(ObservableSpec(f"R_{_l}", "", f"Gamma_had/Gamma_{_l}{_l}", _bind(zpole.r_lepton, _l)))
for _q in ("b", "c"):
    _register(ObservableSpec(f"R_{_q}", "", f"Gamma_{_q}{_q}/Gamma_had", _bind(zpole.r_quark, _q)))
for _f in ("e", "mu", "tau", "b", "c", "s"):
    _register(ObservableSpec(f"A_{_f}", "", f"Z asymmetry parameter A_{_f}", _bind(zpole.asymmetry, _f)))
for _f in ("e", "mu", "tau", "b", "c"):
    _register(ObservableSpec(f"AFB0_{_f}", "", f"pole forward-backward asymmetry A_FB^(0,{_f})", _bind(zpole.afb0, _f)))
_register(
    ObservableSpec(
        "sigma_ee_ff", "pb", "sigma(e+e- -> f fbar), f = mu, tau, had",
        ee_ffbar.sigma_ee_ff, kinematics=("sqrt_s", "final_state"), grouping=("final_state",),
    )
)
_register(
    ObservableSpec(
        "AFB_ee_ff", "", "A_FB(e+e- -> f fbar), f = mu, tau, had",
        ee_ffbar.afb_ee_ff, kinematics=("sqrt_s", "final_state"), grouping=("final_state",),
    )
)
_register(ObservableSpec("R_ratio", "", "sigma_had / sigma_pt(mu mu)", ee_ffbar.r_ratio, kinematics=("sqrt_s",)))
_register(
    ObservableSpec(
        "dsigma_bhabha", "pb", "Bhabha cross section integrated over a cos(theta_e-) bin",
        ee_ffbar.dsigma_bhabha, kinematics=("sqrt_s", "cos_min", "cos_max"),
    )
)
_register(
    ObservableSpec(
        "Q_W", "", "weak charge Q_W(Z, N) at momentum transfer Q2 (gamma, Z, Z' exchange; low_energy module)",
        low_energy.weak_charge, kinematics=("Z", "N", "Q2"),
    )
)
_OPTIONAL_KINEMATICS = {"beam_spread", "energy_range", "isr_x_max"}
_RANGE_OBSERVABLES = {"sigma_ee_ff", "AFB_ee_ff", "R_ratio"}  # accept energy_range and isr_x_max
_ISR_OBSERVABLES = _RANGE_OBSERVABLES | {"dsigma_bhabha"}  # accept isr_x_max


def observables() -> dict[str, str]:
    """Registered observable names with their units."""
    return {name: spec.unit for name, spec in REGISTRY.items()}


def _prepare(model: ZPrime, sm: SMParameters | None) -> ZPrime:
    if not isinstance(model, ZPrime):
        raise ValueError(f"model must be a DarkPhoton or ZPrime, got {type(model).__name__}")
    return model if sm is None else model.with_sm(sm)


def _check_kinematics(spec: ObservableSpec, kinematics: Mapping) -> None:
    missing = [k for k in spec.kinematics if k not in kinematics]
    optional = (
        _OPTIONAL_KINEMATICS if spec.name in _RANGE_OBSERVABLES
        else {"beam_spread", "isr_x_max"} if spec.name in _ISR_OBSERVABLES else {"beam_spread"}
    )
    extra = [k for k in kinematics if k not in spec.kinematics and k not in optional]
    if missing or extra:
        raise ValueError(
            f"observable {spec.name!r} takes kinematics {list(spec.kinematics)}"
            f"{' (+ optional ' + ', '.join(sorted(optional)) + ')' if spec.kinematics else ''}; missing {missing}, unexpected {extra}"
        )


def predict(name: str, model: ZPrime, sm: SMParameters | None = None, **kinematics):
    """Tree-level prediction of the registered observable ``name`` for ``model``.

    ``sm`` replaces the model's SM parameters; kinematics are those the observable needs (e.g.
    ``sqrt_s=189.0, final_state="mu"``). Returns a float for a scalar model, else an array (N,).
    """
    spec = REGISTRY[check_choice("observable", name, REGISTRY)]
    model = _prepare(model, sm)
    _check_kinematics(spec, kinematics)
    if spec.kinematics:
        kin = {k: v for k, v in kinematics.items() if k not in _OPTIONAL_KINEMATICS}
        extra = {k: kinematics[k] for k in _OPTIONAL_KINEMATICS if k in kinematics}
        if "energy_range" in extra:
            extra["energy_range"] = np.reshape(np.asarray(extra["energy_range"], dtype=float), (1, 2))
        value = np.asarray(spec.function(model, **kin, **extra))[:, 0]
    else:
        value = np.asarray(spec.function(model))
    return float(value[0]) if model.is_scalar else value


def predict_entries(model: ZPrime, entries: Sequence[tuple[str, Mapping]], sm: SMParameters | None = None) -> np.ndarray:
    """Predictions (N, len(entries)) for catalogue entries given as (observable, kinematics) pairs.

    Entries of the same observable (and the same non-vectorised kinematics such as ``final_state``,
    and all with or all without ``beam_spread`` and ``energy_range``) are evaluated together in one vectorised call.
    """
    model = _prepare(model, sm)
    n = np.atleast_1d(model.mzp).size
    out = np.empty((n, len(entries)))
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, (name, kin) in enumerate(entries):
        spec = REGISTRY[check_choice("observable", name, REGISTRY)]
        _check_kinematics(spec, kin)
        key = (name,) + tuple(kin[g] for g in spec.grouping) + ("isr_x_max" in kin, "energy_range" in kin, "beam_spread" in kin)
        groups[key].append(i)
    for key, idx in groups.items():
        spec = REGISTRY[key[0]]
        if not spec.kinematics:
            out[:, idx] = np.asarray(spec.function(model))[:, None]
            continue
        kw = {g: key[1 + j] for j, g in enumerate(spec.grouping)}
        for k in spec.kinematics:
            if k not in spec.grouping:
                kw[k] = np.array([entries[i][1][k] for i in idx], dtype=float)
        if key[-1]:
            kw["beam_spread"] = np.array([entries[i][1]["beam_spread"] for i in idx], dtype=float)
        if key[-2]:
            kw["energy_range"] = np.array([entries[i][1]["energy_range"] for i in idx], dtype=float).reshape(len(idx), 2)
        if key[-3]:
            kw["isr_x_max"] = np.array([entries[i][1]["isr_x_max"] for i in idx], dtype=float)
        out[:, idx] = spec.function(model, **kw)
    return out
