"""kinmix_stats: model-independent limits on kinetically mixed dark photons and Z' bosons.

Layers (each imports only from the ones above it):
``inputs`` -> ``model`` -> ``observables`` -> ``measurements`` -> ``likelihood`` -> ``scan``/``io``/``plotting``/``cli``.
"""

from __future__ import annotations

__version__ = "0.1.0"
