"""Optional dependencies: one clear error naming the extra to install.

The core (numpy, scipy, pyhf, iminuit, pyyaml, jsonschema, click, tqdm) computes every limit. Output formats
and execution back-ends live in extras of ``pyproject.toml``; code that needs one imports it inside
``with optional_dependency("<extra>"):`` so a missing package raises :class:`MissingDependencyError`
("... pip install 'kinmix_stats[plot]'") instead of a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["EXTRAS", "MissingDependencyError", "optional_dependency"]

#: extra name -> (top-level modules it provides, what it is for)
EXTRAS: dict[str, tuple[tuple[str, ...], str]] = {
    "root": (("uproot", "hist", "awkward"), "ROOT output (uproot, hist)"),
    "hepdata": (("hepdata_lib",), "HEPData submission (hepdata-lib)"),
    "plot": (("matplotlib", "mplhep"), "figures (matplotlib, mplhep)"),
    "dask": (("dask", "distributed"), "parallel scans (Dask distributed)"),
    "pdf": (("pythia8",), "the bundled LHAPDF grid of pythia8mc"),
}


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the extra that provides it."""


@contextlib.contextmanager
def optional_dependency(extra: str) -> Iterator[None]:
    """Turn a ``ModuleNotFoundError`` of one of ``extra``'s packages into :class:`MissingDependencyError`."""
    modules, purpose = EXTRAS[extra]
    try:
        yield
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] not in modules:
            raise
        raise MissingDependencyError(
            f"{purpose} needs the optional package {err.name!r}, which is not installed: "
            f"pip install 'kinmix_stats[{extra}]' (or 'kinmix_stats[all]')"
        ) from err
