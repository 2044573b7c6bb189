"""kinmix_stats: model-independent limits on kinetically mixed dark photons and Z' bosons.

Layers (each imports only from the ones above it):
``inputs`` -> ``model`` -> ``observables`` -> ``measurements`` -> ``likelihood`` -> ``scan``/``io``/``plotting``/``cli``.

Quick start::

    import kinmix_stats as km
    dp = km.DarkPhoton(mass=50.0, epsilon=0.02, width="wide")     # physical Z' mass in GeV, Hook's eps
    dp.mz, dp.total_width("Zp"), dp.partial_width("Zp", "mu")
    res = km.upper_limit(50.0, width="wide")                      # CLs 95% (pyhf-compatible likelihood)
    float(res.limit_observed)                                     # scalar mass in -> scalar limit out
    curve = km.scan(np.geomspace(1, 1000, 200), width="narrow")
    km.export_workspaces(curve, "workspaces/")                    # bkgonly.json + patchset.json

The public names are imported lazily (PEP 562): ``import kinmix_stats`` loads no submodule, so the
command line starts fast and pyhf, matplotlib, Dask and uproot load only when a feature needs them.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> submodule that defines it
_LAZY: dict[str, str] = {
    "PDG": ".inputs",
    "SMParameters": ".inputs",
    "LimitResult": ".results",
    "upper_limit": ".likelihood.limits",
    "PrecisionLikelihood": ".likelihood.precision",
    "DarkPhoton": ".model",
    "DiracDarkMatter": ".model",
    "U1Charges": ".model",
    "ZPrime": ".model",
    "charge_family": ".model",
    "named_model": ".model",
    "observables": ".observables",
    "predict": ".observables",
    "LimitCurve": ".results",
    "default_mass_grid": ".scan",
    "export_workspaces": ".io.workspaces",
    "scan": ".scan",
}

if TYPE_CHECKING:
    from .inputs import PDG, SMParameters
    from .io.workspaces import export_workspaces
    from .likelihood.limits import upper_limit
    from .likelihood.precision import PrecisionLikelihood
    from .model import DarkPhoton, DiracDarkMatter, U1Charges, ZPrime, charge_family, named_model
    from .observables import observables, predict
    from .results import LimitCurve, LimitResult
    from .scan import default_mass_grid, scan


class _Package(types.ModuleType):
    """Keeps ``kinmix_stats.scan`` / ``kinmix_stats.observables`` the public functions of those names.

    Importing a submodule makes Python bind it as an attribute of the package; for the two submodules that
    share their name with a public function that binding is skipped, so the attribute stays the function
    (as with the former eager ``from .scan import scan``).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == f".{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kinmix_stats' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


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
