"""Tree-level predictions in the full gamma + Z + Z' theory, registered by name."""

from .registry import REGISTRY, ObservableSpec, observables, predict, predict_entries

__all__ = ["REGISTRY", "ObservableSpec", "observables", "predict", "predict_entries"]
