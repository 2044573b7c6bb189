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
    "check_choice",
    "as_positive_array",
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
        lb = "[" if low_inclusive else "("
        hb = "]" if high_inclusive else ")"
        raise ValueError(f"{name} must lie in {lb}{low:g}, {high:g}{hb}, got {value!r}")
    return value


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
