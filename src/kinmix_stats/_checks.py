"""Input validation shared by every layer.

Every public entry point validates its arguments with these helpers so that bad input fails
early with a ``ValueError`` that names the parameter, the offending value and the accepted range,
instead of propagating a silent NaN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "is_real_numeric",
    "check_finite_or_array",
    "check_finite",
    "check_positive",
    "check_in_range",
    "interval_text",
    "BEAM_SPREAD_REL_RANGE",
    "check_beam_spread_rel",
    "check_choice",
    "as_positive_array",
    "check_mass",
    "check_masses",
    "check_grid_size",
    "check_workers",
    "check_inspire_id",
    "check_type",
    "source_date_epoch",
    "scan_size_warning",
    "MASS_RANGE_GEV",
]


def is_real_numeric(value: object) -> bool:
    """True for a real number or an array-like of them (integer or float dtype; bools and text are not)."""
    try:
        return np.asarray(value).dtype.kind in "iuf"
    except (TypeError, ValueError):  # pragma: no cover - defensive
        return False


def check_finite_or_array(name: str, value: Any, shape: tuple[int, ...]) -> Any:
    """A finite scalar (returned as float), or an array broadcastable to ``shape`` (returned as a copy)."""
    if np.ndim(value) == 0:
        return check_finite(name, value)
    if not is_real_numeric(value):
        raise ValueError(
            f"{name} must be a finite real number or an array of them broadcastable to the masses of shape {shape}, got {value!r}"
        )
    arr = np.asarray(value, dtype=float)
    try:
        arr = np.broadcast_to(arr, shape).copy()
    except ValueError:
        raise ValueError(f"{name} array of shape {arr.shape} does not match the masses of shape {shape}") from None
    bad = ~np.isfinite(arr)
    if np.any(bad):
        raise ValueError(f"{name} must be finite, got {float(arr[bad][0])!r}")
    return arr


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def check_finite(name: str, value: object) -> float:
    """Return ``value`` as float, or raise ``ValueError`` if it is not a finite real number."""
    if not _is_number(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r} ({type(value).__name__})")
    value = float(value)  # type: ignore[arg-type]
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def check_positive(name: str, value: object, *, unit: str = "") -> float:
    """Return ``value`` as float if it is finite and > 0, else raise ``ValueError``."""
    value = check_finite(name, value)
    if value <= 0.0:
        suffix = f" {unit}" if unit else ""
        raise ValueError(f"{name} must be > 0{suffix} (accepted range (0, inf)), got {value!r}")
    return value


def check_in_range(
    name: str,
    value: object,
    low: float,
    high: float,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as float if ``low <= value <= high`` (inclusivity configurable)."""
    value = check_finite(name, value)
    ok_low = value >= low if low_inclusive else value > low
    ok_high = value <= high if high_inclusive else value < high
    if not (ok_low and ok_high):
        raise ValueError(f"{name} must lie in {interval_text(low, high, low_inclusive, high_inclusive)}, got {value!r}")
    return value


def interval_text(low: float, high: float, low_inclusive: bool = True, high_inclusive: bool = True) -> str:
    """An interval as :func:`check_in_range` names it, e.g. ``(0, 0.1]``."""
    return f"{'[' if low_inclusive else '('}{low:g}, {high:g}{']' if high_inclusive else ')'}"


#: relative c.m. energy spread accepted by ``PrecisionLikelihood(beam_spread_rel=...)`` and ``--beam-spread-rel``:
#: (low, high, low_inclusive, high_inclusive). 0 is refused: a bare Breit-Wigner at a measured energy would turn
#: every narrow resonance there into an arbitrarily strong limit.
BEAM_SPREAD_REL_RANGE = (0.0, 0.1, False, True)


def check_beam_spread_rel(value: object) -> float:
    """The relative c.m. energy spread of a likelihood, in :data:`BEAM_SPREAD_REL_RANGE` (the one check of it)."""
    return check_in_range("beam_spread_rel", value, *BEAM_SPREAD_REL_RANGE[:2], low_inclusive=BEAM_SPREAD_REL_RANGE[2],
                          high_inclusive=BEAM_SPREAD_REL_RANGE[3])


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` (strings), else raise ``ValueError``."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"unknown {name} {value!r}; accepted: {', '.join(map(repr, choices))}")
    return value


def as_positive_array(name: str, values: object, *, unit: str = "") -> np.ndarray:
    """Return ``values`` as a 1-d float array, raising if any entry is non-finite or <= 0."""
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of positive numbers, got {values!r}") from err
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    bad = ~np.isfinite(arr) | (arr <= 0)
    if np.any(bad):
        suffix = f" {unit}" if unit else ""
        raise ValueError(
            f"{name} must be finite and > 0{suffix} (accepted range (0, inf)); "
            f"bad value {float(arr[bad][0])!r} at index {int(np.argmax(bad))}"
        )
    return arr


# ------------------------------------------------------------------------------ physical bounds
#: Physical Z' masses accepted anywhere (GeV). Below 1 MeV the Z' cannot decay to e+e- and the model's
#: e+e- / electroweak observables carry no information on it; above 100 TeV the tree-level couplings are
#: far outside the reach of every measurement in the catalogue (sqrt(s) <= 209 GeV) and the mass-mixing
#: algebra loses all digits (m_Z0^2 / m^2 < 1e-6 of the double precision). Outside: a clear error.
MASS_RANGE_GEV = (1e-3, 1e5)


def check_mass(name: str, value: object) -> float:
    """A Z' mass in GeV inside :data:`MASS_RANGE_GEV` (``ValueError`` naming the value and the range)."""
    value = check_finite(name, value)
    lo, hi = MASS_RANGE_GEV
    if not lo <= value <= hi:
        raise ValueError(f"{name} {value!r} GeV is outside the accepted range [{lo:g}, {hi:g}] GeV")
    return value


def check_masses(name: str, values: object) -> np.ndarray:
    """:func:`as_positive_array` of masses, each inside :data:`MASS_RANGE_GEV`; refuses an empty list."""
    kind = np.asarray(values).dtype.kind if not isinstance(values, (str, bytes)) else "U"
    if kind not in "iuf":
        raise ValueError(f"{name} must be numbers (masses in GeV), got {values!r} ({type(values).__name__})")
    arr = as_positive_array(name, values, unit="GeV")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: give at least one mass in GeV (accepted range [{MASS_RANGE_GEV[0]:g}, {MASS_RANGE_GEV[1]:g}])")
    lo, hi = MASS_RANGE_GEV
    bad = (arr < lo) | (arr > hi)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(f"{name}: {float(arr[i])!r} GeV (index {i}) is outside the accepted range [{lo:g}, {hi:g}] GeV")
    return arr


# --------------------------------------------------------------------------------- scan size
#: Most masses one scan (per width) accepts: the finished points are held in memory and appended to the
#: checkpoint (~0.5 kB per point), and at the measured cost below 200 000 masses already take ~15 min (CLs)
#: to ~1 h (CLs + chi2) per width on one core.
MAX_MASSES = 200_000
#: A warning with the estimated time is printed above this many seconds.
WARN_SECONDS = 600.0
#: Measured single-core cost per mass and method, README "Performance" (benchmarks/bench_scan.py and
#: bench_scale.py, 2-core machine): CLs 3.9 ms (10 000 masses in 39 s); CLs + chi2 of the default grid
#: x 2 widths 22 s for 1048 points (21 ms), so chi2 ~17 ms. Z' model scans: 26 s for 474 masses (55 ms,
#: CLs + chi2), about 2.6 times the dark photon's.
SECONDS_PER_POINT = {"cls": 3.9e-3, "chi2": 17e-3}
MODEL_COST_FACTOR = 2.6


def check_grid_size(n: object, name: str = "masses") -> int:
    """The number of masses of one scan, 1 <= n <= :data:`MAX_MASSES` (checked before any allocation)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"the number of {name} must be an integer, got {n!r}")
    n = int(n)
    if n < 1:
        raise ValueError(f"the number of {name} must be >= 1, got {n}")
    if n > MAX_MASSES:
        raise ValueError(
            f"{n} {name} per scan is more than the {MAX_MASSES} accepted (about "
            f"{n * SECONDS_PER_POINT['cls'] / 3600:.3g} h per width for CLs alone on one core); split the range"
        )
    return n


def estimated_seconds(n_masses: int, n_widths: int, methods, workers: int = 1, *, model: bool = False) -> float:
    """Rough wall time of a scan from the measured per-point costs (:data:`SECONDS_PER_POINT`)."""
    per = sum(SECONDS_PER_POINT.get(m, 0.0) for m in methods) * (MODEL_COST_FACTOR if model else 1.0)
    return n_masses * n_widths * per / max(1, min(int(workers), usable_cores()))


def scan_size_warning(n_masses: int, n_widths: int, methods, workers: int = 1, *, model: bool = False) -> str | None:
    """A one-line warning with the estimated time when it exceeds :data:`WARN_SECONDS`, else None."""
    t = estimated_seconds(n_masses, n_widths, methods, workers, model=model)
    if t <= WARN_SECONDS:
        return None
    human = f"{t / 3600:.3g} h" if t >= 3600 else f"{t / 60:.3g} min"
    return (f"{n_masses} masses x {n_widths} width(s), methods {','.join(methods)}: estimated {human} on "
            f"{max(1, min(int(workers), usable_cores()))} core(s) (measured cost per point, README Performance); "
            "interrupt with Ctrl-C and continue with --resume")


# ------------------------------------------------------------------------------------ workers
#: ``workers`` may exceed the usable cores by this factor at most (each worker is a process).
WORKERS_PER_CORE = 4


def usable_cores() -> int:
    """CPU cores this process may run on (affinity mask where available)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_workers(workers: object, name: str = "workers") -> int:
    """An integer 1 <= workers <= :data:`WORKERS_PER_CORE` x usable cores."""
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= 1, got {workers!r} ({type(workers).__name__})")
    workers = int(workers)
    if workers < 1:
        raise ValueError(f"{name} must be an integer >= 1 (1 = run in this process), got {workers}")
    cores = usable_cores()
    top = WORKERS_PER_CORE * cores
    if workers > top:
        raise ValueError(f"{name} {workers} is more than {top} ({WORKERS_PER_CORE} x the {cores} usable CPU cores); accepted range [1, {top}]")
    return workers


# ---------------------------------------------------------------------------- reproducibility
from ._env import source_date_epoch


def check_inspire_id(value: object, name: str = "--inspire-id") -> str | None:
    """None, or an INSPIRE id ``insNNNNNNN`` as accepted by the pyhf patchset schema (``name``: what the error names)."""
    import re

    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"ins[0-9]{7}", value):
        raise ValueError(f"{name} {value!r} is not an INSPIRE id: expected 'ins' followed by 7 digits, e.g. ins1234567".lstrip())
    return value


def check_type(name: str, value: object, types, what: str) -> None:
    """``TypeError`` naming the parameter, the expected kind and the type received."""
    if not isinstance(value, types):
        raise TypeError(f"{name} must be {what}, got {value!r} ({type(value).__name__})")
