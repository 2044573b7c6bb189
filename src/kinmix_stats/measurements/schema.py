"""JSON Schema of a catalogue data file and the observable registry it refers to.

The schema (draft 2020-12, checked with the ``jsonschema`` library) fixes the *shape* of a file;
:mod:`kinmix_stats.measurements.validation` adds the semantic checks a schema cannot express
(finite numbers, unique ids, correlation matrices that are symmetric, unit-diagonal and positive
semi-definite, kinematics matching the observable).

Observable registry
-------------------
``OBSERVABLES`` is the ``observables`` layer's registry itself (one :class:`ObservableSpec` per name with
its kinematics keys and prediction function), so a data file can name exactly the observables the
package predicts. ``CATALOGUE_UNITS`` lists the units a file may store each one in: ``"1"`` =
dimensionless, ``"ratio_to_SM"`` = value and uncertainties are relative to the SM prediction quoted by the
experiment (then ``sm`` is 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..observables.registry import REGISTRY, ObservableSpec

__all__ = ["CATALOGUE_UNITS", "DATASET_SCHEMA", "FINAL_STATES", "OBSERVABLES", "ObservableSpec"]


OBSERVABLES: Mapping[str, ObservableSpec] = REGISTRY
"""Observable name -> :class:`~kinmix_stats.observables.registry.ObservableSpec`: the one registry (names,
kinematics keys, units, prediction functions) shared by the data files and the ``observables`` layer."""

#: Units a data file may store an observable in, where they differ from its prediction unit
#: (``ratio_to_SM``: value and uncertainties relative to the SM prediction quoted by the experiment).
_STORED_UNITS: dict[str, tuple[str, ...]] = {
    "sigma_ee_ff": ("pb", "ratio_to_SM"),
    "dsigma_bhabha": ("ratio_to_SM",),
}
CATALOGUE_UNITS: dict[str, tuple[str, ...]] = {
    name: _STORED_UNITS.get(name, (spec.unit or "1",)) for name, spec in REGISTRY.items()
}
"""Observable name -> units accepted in a data file (``"1"`` = dimensionless)."""

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
        "unit": {"type": "string", "enum": sorted({u for units in CATALOGUE_UNITS.values() for u in units})},
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
