"""JSON Schema of a catalogue data file and the observable registry it refers to.

The schema (draft 2020-12, checked with the ``jsonschema`` library) fixes the *shape* of a file;
:mod:`kinmix_stats.measurements.catalogue` adds the semantic checks a schema cannot express
(finite numbers, unique ids, correlation matrices that are symmetric, unit-diagonal and positive
semi-definite, kinematics matching the observable).

Observable registry
-------------------
``OBSERVABLES`` maps each observable name used in the data files to its unit(s) and the exact set of
kinematics keys. It is the data-side half of the contract with the ``observables`` layer (whose
registry maps the same names to prediction functions). Units: ``"1"`` = dimensionless,
``"ratio_to_SM"`` = value and uncertainties are relative to the SM prediction quoted by the
experiment (then ``sm`` is 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ObservableSpec", "OBSERVABLES", "FINAL_STATES", "DATASET_SCHEMA"]


@dataclass(frozen=True)
class ObservableSpec:
    """Registry entry: accepted units and the exact kinematics keys of one observable."""

    name: str
    units: tuple[str, ...]
    kinematics: tuple[str, ...] = ()
    description: str = ""


def _spec(name: str, units: tuple[str, ...], kin: tuple[str, ...] = (), desc: str = "") -> ObservableSpec:
    return ObservableSpec(name, units, kin, desc)


_LIST = [
    _spec("mZ", ("GeV",), desc="Z-boson mass"),
    _spec("mW", ("GeV",), desc="W-boson mass"),
    _spec("GammaZ", ("GeV",), desc="total Z width"),
    _spec("sigma_had0", ("nb",), desc="hadronic pole cross section"),
    _spec("R_e", ("1",), desc="Gamma_had / Gamma_ee"),
    _spec("R_mu", ("1",), desc="Gamma_had / Gamma_mumu"),
    _spec("R_tau", ("1",), desc="Gamma_had / Gamma_tautau"),
    _spec("AFB0_e", ("1",), desc="pole forward-backward asymmetry, e"),
    _spec("AFB0_mu", ("1",), desc="pole forward-backward asymmetry, mu"),
    _spec("AFB0_tau", ("1",), desc="pole forward-backward asymmetry, tau"),
    _spec("AFB0_b", ("1",), desc="pole forward-backward asymmetry, b"),
    _spec("AFB0_c", ("1",), desc="pole forward-backward asymmetry, c"),
    _spec("R_b", ("1",), desc="Gamma_bb / Gamma_had"),
    _spec("R_c", ("1",), desc="Gamma_cc / Gamma_had"),
    _spec("A_e", ("1",), desc="asymmetry parameter A_e"),
    _spec("A_mu", ("1",), desc="asymmetry parameter A_mu"),
    _spec("A_tau", ("1",), desc="asymmetry parameter A_tau"),
    _spec("A_b", ("1",), desc="asymmetry parameter A_b"),
    _spec("A_c", ("1",), desc="asymmetry parameter A_c"),
    _spec("sigma_ee_ff", ("pb", "ratio_to_SM"), ("sqrt_s", "final_state"), "e+e- -> f fbar total cross section"),
    _spec("AFB_ee_ff", ("1",), ("sqrt_s", "final_state"), "e+e- -> f fbar forward-backward asymmetry"),
    _spec("dsigma_bhabha", ("ratio_to_SM",), ("sqrt_s", "cos_min", "cos_max"),
          "bin-integrated differential Bhabha cross section, stored as ratio to SM"),
    _spec("R_ratio", ("1",), ("sqrt_s",), "sigma(e+e- -> hadrons) / sigma_pointlike(mumu)"),
    _spec("Q_W", ("1",), ("Z", "N", "Q2"),
          "weak charge of a nucleus (Z protons, N neutrons) at momentum transfer Q2 (GeV^2)"),
]

OBSERVABLES: dict[str, ObservableSpec] = {s.name: s for s in _LIST}
"""Observable name -> :class:`ObservableSpec` (the names the likelihood layer relies on)."""

FINAL_STATES: tuple[str, ...] = ("mu", "tau", "had")
"""Allowed ``final_state`` values of ``sigma_ee_ff`` / ``AFB_ee_ff``."""

_ARXIV_PATTERN = r"^([0-9]{4}\.[0-9]{4,5}|[a-z-]+(\.[A-Z]{2})?/[0-9]{7})$"

_SOURCE_ENTRY: dict[str, Any] = {
    "type": "object",
    "required": ["arxiv", "table"],
    "properties": {
        "arxiv": {"anyOf": [{"type": "string", "pattern": _ARXIV_PATTERN}, {"type": "null"}]},
        "table": {"type": "string", "minLength": 1},
        "reference": {"type": "string", "minLength": 1},
        "no_arxiv": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
    # an entry without an arXiv id must say why
    "if": {"properties": {"arxiv": {"type": "null"}}},
    "then": {"required": ["no_arxiv", "reference"]},
}

_NUMBER = {"type": "number"}
_NONNEG = {"type": "number", "minimum": 0}

_MEASUREMENT: dict[str, Any] = {
    "type": "object",
    "required": ["id", "observable", "kinematics", "value", "stat", "syst", "sm", "sm_source", "unit", "source"],
    "properties": {
        "id": {"type": "string", "pattern": r"^[A-Za-z0-9_.+\-]+$"},
        "observable": {"type": "string", "enum": sorted(OBSERVABLES)},
        "kinematics": {
            "type": "object",
            "properties": {
                "sqrt_s": {"type": "number", "exclusiveMinimum": 0},
                "final_state": {"type": "string", "enum": list(FINAL_STATES)},
                "cos_min": {"type": "number", "minimum": -1, "maximum": 1},
                "cos_max": {"type": "number", "minimum": -1, "maximum": 1},
                "Z": {"type": "integer", "minimum": 0},
                "N": {"type": "integer", "minimum": 0},
                "Q2": {"type": "number", "minimum": 0},
            },
            "additionalProperties": False,
        },
        "value": _NUMBER,
        "stat": _NONNEG,
        "syst": _NONNEG,
        "sm": {"anyOf": [_NUMBER, {"type": "null"}]},
        "sm_source": {"type": "string", "minLength": 1},
        "unit": {"type": "string", "enum": sorted({u for s in _LIST for u in s.units})},
        "source": _SOURCE_ENTRY,
        "note": {"type": "string"},
        "variant": {"type": "string", "minLength": 1},
        "energy_range": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
    },
    "additionalProperties": False,
}

DATASET_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "kinmix_stats measurement dataset",
    "type": "object",
    "required": ["dataset", "description", "source", "caveats", "measurements"],
    "properties": {
        "dataset": {"type": "string", "pattern": r"^[a-z0-9_]+$"},
        "description": {"type": "string", "minLength": 1},
        "source": {
            "type": "object",
            "required": ["reference", "arxiv", "table"],
            "properties": {
                "reference": {"type": "string", "minLength": 1},
                "arxiv": {"type": "string", "pattern": _ARXIV_PATTERN},
                "table": {"type": "string", "minLength": 1},
            },
            "additionalProperties": True,
        },
        "caveats": {"type": "array", "items": {"type": "string"}},
        "variants": {
            "type": "object",
            "required": ["key", "default", "choices"],
            "properties": {
                "key": {"type": "string"},
                "default": {"type": "string"},
                "choices": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
            "additionalProperties": False,
        },
        "measurements": {"type": "array", "items": _MEASUREMENT, "minItems": 1},
        "correlation": {
            "type": "object",
            "required": ["names", "matrix"],
            "properties": {
                "names": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "matrix": {"type": "array", "items": {"type": "array", "items": _NUMBER}},
            },
            "additionalProperties": False,
        },
        "correlated_normalisation": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["names", "fraction"],
                "properties": {
                    "publication": {"type": "string"},
                    "names": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "fraction": {
                        "anyOf": [_NONNEG, {"type": "array", "items": _NONNEG}],
                        "description": "relative fully-correlated uncertainty, one number or one per name",
                    },
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}
"""JSON Schema of one dataset file (see the package ``data/README.md`` for the field meanings)."""
