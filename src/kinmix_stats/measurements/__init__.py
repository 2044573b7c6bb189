"""Measurement catalogue: published values, uncertainties, correlations and quoted SM predictions.

One YAML file per publication or combination lives in ``kinmix_stats/data`` (listed with their
caveats and what is missing in ``kinmix_stats/data/README.md``); each entry carries its source
(arXiv id + table). Files are validated on load against :data:`DATASET_SCHEMA` (``jsonschema``)
plus semantic checks; problems raise :class:`CatalogueError` naming file, entry and field.

Modules: :mod:`.schema` (the file schema and the observable names), :mod:`.validation` (the checks of a
file), :mod:`.records` (:class:`Measurement`, :class:`Dataset`, the stacked :class:`Catalogue`),
:mod:`.catalogue` (finding, loading and hashing the files).

>>> from kinmix_stats.measurements import load_catalogue, stack_datasets
>>> cat = stack_datasets(load_catalogue(mw_choice="PDG2024"))
>>> cov = cat.covariance()            # block-diagonal over datasets
>>> cat.catalogue_hash()              # provenance of the files used  # doctest: +SKIP
"""

from __future__ import annotations

from .catalogue import DEFAULT_MW_CHOICE, available_datasets, load_catalogue, load_dataset
from .records import Catalogue, Dataset, Measurement, catalogue_hash, stack_datasets
from .schema import DATASET_SCHEMA, FINAL_STATES, OBSERVABLES, ObservableSpec
from .validation import CatalogueError

__all__ = [
    "Catalogue",
    "CatalogueError",
    "DATASET_SCHEMA",
    "DEFAULT_MW_CHOICE",
    "Dataset",
    "FINAL_STATES",
    "Measurement",
    "OBSERVABLES",
    "ObservableSpec",
    "available_datasets",
    "catalogue_hash",
    "load_catalogue",
    "load_dataset",
    "stack_datasets",
]
