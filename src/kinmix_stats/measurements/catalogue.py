"""Read the measurement catalogue: find the dataset files, load each (validated by :mod:`.validation`) into a
:class:`~kinmix_stats.measurements.records.Dataset`, select variants, and hash what was used.

Every dataset file in ``kinmix_stats/data/*.yaml`` (one per publication or combination, read with
:mod:`importlib.resources`) is validated on load; any problem raises :class:`CatalogueError` naming the
file, the entry and the field. The records (:class:`Measurement`, :class:`Dataset`, :class:`Catalogue`
and :func:`stack_datasets`) live in :mod:`.records` and are re-exported here.

Provenance of every number lives in the data files themselves (``source`` of the dataset and of each
entry); ``data/README.md`` lists the datasets, caveats and what is missing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from .records import Catalogue, Dataset, Measurement, catalogue_hash, stack_datasets
from .validation import CatalogueError, catalogue_error, parse_yaml, validate_document

__all__ = [
    "CatalogueError",
    "Measurement",
    "Dataset",
    "Catalogue",
    "available_datasets",
    "load_dataset",
    "load_catalogue",
    "stack_datasets",
    "catalogue_hash",
    "DEFAULT_MW_CHOICE",
]

DEFAULT_MW_CHOICE = "PDG2024"
"""Default m_W variant: PDG 2024 (LHC-TeV MWWG combination without CDF 2022, arXiv:2308.09417)."""

PathOrName = str | Path


# -------------------------------------------------------------------------------- file access
def _data_dir() -> Any:  # importlib.resources Traversable
    return resources.files("kinmix_stats").joinpath("data")


def available_datasets() -> list[str]:
    """Names (file stems) of all dataset files shipped with the package, sorted."""
    return sorted(
        p.name[: -len(".yaml")]
        for p in _data_dir().iterdir()
        if p.name.endswith(".yaml") and not p.name.startswith("_")
    )


def _resolve(path_or_name: PathOrName) -> tuple[str, str, str]:
    """Return (label for messages, file stem, text)."""
    s = str(path_or_name)
    if isinstance(path_or_name, Path) or s.endswith((".yaml", ".yml")) or "/" in s or "\\" in s:
        p = Path(s)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogueError(f"{p}: entry <file>: field '<file>': cannot read file ({exc})") from exc
        return str(p), p.stem, text
    res = _data_dir().joinpath(f"{s}.yaml")
    if not res.is_file():
        raise CatalogueError(
            f"{s}.yaml: entry <file>: field '<file>': unknown dataset {s!r}; available: {available_datasets()}"
        )
    return f"kinmix_stats/data/{s}.yaml", s, res.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------- loading
def _canonical_hash(doc: Any) -> str:
    blob = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


def _freeze(x: Any) -> Any:
    if isinstance(x, dict):
        return MappingProxyType({k: _freeze(v) for k, v in x.items()})
    if isinstance(x, list):
        return tuple(_freeze(v) for v in x)
    return x


def _read(path_or_name: PathOrName) -> tuple[str, str, dict[str, Any]]:
    label, stem, text = _resolve(path_or_name)
    doc = parse_yaml(label, text)
    validate_document(label, stem, doc)
    return label, stem, doc


def load_dataset(path_or_name: PathOrName, variant: str | None = None) -> Dataset:
    """Load and validate one dataset.

    Parameters
    ----------
    path_or_name: a dataset name from :func:`available_datasets` (read from the installed package
        with :mod:`importlib.resources`) or a path to a ``.yaml`` file.
    variant: for datasets with alternatives (``variants`` block, e.g. m_W), the choice to keep;
        default: the file's ``variants.default``. Ignored for datasets without variants.

    Raises
    ------
    CatalogueError: malformed YAML, schema violation or failed semantic check; the message names
        the file, the entry and the field.
    """
    label, _, doc = _read(path_or_name)
    return _build(label, doc, variant)


def _build(label: str, doc: dict[str, Any], variant: str | None) -> Dataset:
    chosen: str | None = None
    raw = doc["measurements"]
    if "variants" in doc:
        chosen = doc["variants"]["default"] if variant is None else variant
        if chosen not in doc["variants"]["choices"]:
            raise catalogue_error(label, "variants", doc["variants"]["key"],
                         f"unknown choice {chosen!r}; accepted: {doc['variants']['choices']}")
        raw = [m for m in raw if m.get("variant") in (None, chosen)]

    meas = tuple(
        Measurement(
            id=m["id"], observable=m["observable"], kinematics=_freeze(m["kinematics"]),
            value=float(m["value"]), stat=float(m["stat"]), syst=float(m["syst"]),
            sm=None if m["sm"] is None else float(m["sm"]), sm_source=m["sm_source"], unit=m["unit"],
            source=_freeze(m["source"]), note=m.get("note", ""), variant=m.get("variant"),
            energy_range=(float(m["energy_range"][0]), float(m["energy_range"][1])) if "energy_range" in m else None,
        )
        for m in raw
    )
    index = {m.id: i for i, m in enumerate(meas)}
    corr = np.eye(len(meas))
    if "correlation" in doc:
        names = doc["correlation"]["names"]
        c = np.array(doc["correlation"]["matrix"], dtype=float)
        keep = [k for k, nm in enumerate(names) if nm in index]
        pos = [index[names[k]] for k in keep]
        corr[np.ix_(pos, pos)] = c[np.ix_(keep, keep)]
    corr.setflags(write=False)
    norm = []
    for grp in doc.get("correlated_normalisation") or ():
        frac = grp["fraction"]
        fr = np.asarray(frac if isinstance(frac, list) else [frac] * len(grp["names"]), dtype=float)
        keep = [k for k, nm in enumerate(grp["names"]) if nm in index]
        norm.append((np.array([index[grp["names"][k]] for k in keep], dtype=int), fr[keep]))
    return Dataset(
        name=doc["dataset"], description=doc["description"], source=_freeze(doc["source"]),
        caveats=tuple(doc["caveats"]), measurements=meas, correlation=corr, normalisation=tuple(norm),
        path=label, variant=chosen, content_hash=_canonical_hash(doc),
    )


def load_catalogue(names: Iterable[str] | None = None, mw_choice: str | None = DEFAULT_MW_CHOICE) -> list[Dataset]:
    """Load several datasets (default: all of :func:`available_datasets`), each validated.

    ``mw_choice`` selects the variant of datasets whose variant key is ``mw_choice`` (the W mass:
    ``PDG2024`` (default), ``CDF2022``, ``PDG2026``, ``Tevatron2013``, ``ATLAS2017``); ``None`` leaves
    such datasets out entirely.
    """
    selected = available_datasets() if names is None else list(names)
    out = []
    for name in selected:
        label, _, doc = _read(name)
        if doc.get("variants", {}).get("key") == "mw_choice":
            if mw_choice is None:
                continue
            out.append(_build(label, doc, mw_choice))
        else:
            out.append(_build(label, doc, None))
    return out
