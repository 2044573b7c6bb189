"""kinmix_stats: model-independent limits on kinetically mixed dark photons and Z' bosons.

Layers (each imports only from the ones above it):
``inputs`` -> ``model`` -> ``observables`` -> ``measurements`` -> ``likelihood`` -> ``scan``/``io``/``plotting``/``cli``.

Quick start::

    import kinmix_stats as km
    dp = km.DarkPhoton(mass=50.0, epsilon=0.02, width="wide")     # physical Z' mass in GeV, Hook's eps
    dp.mz, dp.total_width("Zp"), dp.partial_width("Zp", "mu")
    res = km.upper_limit(50.0, width="wide")                      # CLs 95% (pyhf-compatible likelihood)
    curve = km.scan(np.geomspace(1, 1000, 200), width="narrow")
    km.export_workspaces(curve, "workspaces/")                    # bkgonly.json + patchset.json
"""

from __future__ import annotations

__version__ = "0.1.0"

from .inputs import PDG, SMParameters
from .likelihood.limits import LimitResult, upper_limit
from .likelihood.precision import PrecisionLikelihood
from .model import DarkPhoton, DiracDarkMatter, U1Charges, ZPrime, charge_family, named_model
from .observables import observables, predict
from .results import LimitCurve
from .scan import default_mass_grid, export_workspaces, scan

__all__ = [
    "PDG",
    "DarkPhoton",
    "DiracDarkMatter",
    "LimitCurve",
    "LimitResult",
    "PrecisionLikelihood",
    "SMParameters",
    "U1Charges",
    "ZPrime",
    "__version__",
    "charge_family",
    "default_mass_grid",
    "export_workspaces",
    "named_model",
    "observables",
    "predict",
    "scan",
    "upper_limit",
]
