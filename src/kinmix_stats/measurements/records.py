"""The measurement records: :class:`Measurement`, :class:`Dataset` (one validated catalogue file) and
:class:`Catalogue` (several datasets stacked into flat arrays), read by :mod:`.catalogue`.

Uncertainty model
-----------------
``stat`` and ``syst`` are absolute, combined in quadrature to the total error sigma_i; the dataset's
``correlation`` block (for TOTAL errors) gives C = D rho D with D = diag(sigma). Each
``correlated_normalisation`` group adds a fully correlated term f_i f_j r_i r_j, with r the
measured values unless another reference (e.g. the SM prediction) is passed. Different datasets
are uncorrelated (block-diagonal covariance).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Measurement", "Dataset", "Catalogue", "stack_datasets", "catalogue_hash"]


@dataclass(frozen=True, eq=False)
class Measurement:
    """One measured quantity.

    Attributes
    ----------
    id: unique within its dataset.
    observable: registry name (:data:`~kinmix_stats.measurements.schema.OBSERVABLES`).
    kinematics: read-only mapping with exactly the observable's kinematics keys (may be empty).
    value, stat, syst: measured value and absolute uncertainties (in ``unit``).
    sm: SM prediction quoted by the experiment (or third party, see ``sm_source``); ``None`` when
        it must be computed by the package.
    sm_source: where ``sm`` comes from, or how it must be computed.
    unit: ``GeV``, ``nb``, ``pb``, ``1`` (dimensionless) or ``ratio_to_SM`` (then ``sm`` = 1).
    source: mapping with ``arxiv`` and ``table`` (and optionally ``reference``, ``no_arxiv``).
    note: free-text remark (how errors were stored, conversions applied).
    variant: alternative determination tag (e.g. the m_W choice), else ``None``.
    energy_range: (min, max) of sqrt(s) in GeV when the point averages over an energy range.
    """

    id: str
    observable: str
    kinematics: Mapping[str, Any]
    value: float
    stat: float
    syst: float
    sm: float | None
    sm_source: str
    unit: str
    source: Mapping[str, Any]
    note: str = ""
    variant: str | None = None
    energy_range: tuple[float, float] | None = None

    @property
    def total_error(self) -> float:
        """stat and syst added in quadrature."""
        return math.hypot(self.stat, self.syst)

    @property
    def is_ratio_to_sm(self) -> bool:
        """True when value and errors are stored relative to the SM prediction."""
        return self.unit == "ratio_to_SM"


@dataclass(frozen=True, eq=False)
class Dataset:
    """The validated content of one catalogue file.

    Attributes
    ----------
    name: dataset id (= file stem).
    description, caveats: as in the file.
    source: dataset-level source mapping (``reference``, ``arxiv``, ``table``).
    measurements: in file order (after variant selection).
    correlation: correlation of total uncertainties in measurement order (identity if absent).
    normalisation: tuple of (indices, fractions) of the fully correlated normalisation groups.
    path: file the dataset was read from.
    variant: selected variant (datasets with alternatives only), else ``None``.
    content_hash: sha256 of the canonical JSON form of the whole file content.
    """

    name: str
    description: str
    source: Mapping[str, Any]
    caveats: tuple[str, ...]
    measurements: tuple[Measurement, ...]
    correlation: np.ndarray
    normalisation: tuple[tuple[np.ndarray, np.ndarray], ...]
    path: str
    variant: str | None
    content_hash: str

    def __len__(self) -> int:
        return len(self.measurements)

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.measurements]

    @property
    def observables(self) -> list[str]:
        return [m.observable for m in self.measurements]

    @property
    def values(self) -> np.ndarray:
        return np.array([m.value for m in self.measurements], dtype=float)

    @property
    def stat(self) -> np.ndarray:
        return np.array([m.stat for m in self.measurements], dtype=float)

    @property
    def syst(self) -> np.ndarray:
        return np.array([m.syst for m in self.measurements], dtype=float)

    @property
    def errors(self) -> np.ndarray:
        """Total uncertainties sqrt(stat^2 + syst^2) (without normalisation terms)."""
        return np.hypot(self.stat, self.syst)

    @property
    def sm(self) -> np.ndarray:
        """SM predictions; NaN where the file has ``sm: null`` (to be computed)."""
        return np.array([np.nan if m.sm is None else m.sm for m in self.measurements], dtype=float)

    @property
    def sources(self) -> list[Mapping[str, Any]]:
        return [m.source for m in self.measurements]

    def measurement(self, mid: str) -> Measurement:
        """The measurement with id ``mid`` (KeyError if absent)."""
        for m in self.measurements:
            if m.id == mid:
                return m
        raise KeyError(f"dataset {self.name!r} has no measurement {mid!r}; ids: {self.ids}")

    def covariance(self, norm_reference: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
        """Covariance of the total uncertainties, in measurement order.

        ``D rho D`` with D the total errors, plus for every normalisation group ``f_i f_j r_i r_j``
        where ``r`` is ``norm_reference`` (default: the measured values).
        """
        d = self.errors
        cov = self.correlation * np.outer(d, d)
        if self.normalisation:
            ref = self.values if norm_reference is None else np.asarray(norm_reference, dtype=float)
            if ref.shape != (len(self),):
                raise ValueError(
                    f"norm_reference must have shape ({len(self)},) for dataset {self.name!r}, got {ref.shape}"
                )
            for idx, frac in self.normalisation:
                s = frac * ref[idx]
                cov[np.ix_(idx, idx)] += np.outer(s, s)
        return cov


def catalogue_hash(datasets: Iterable[Dataset]) -> str:
    """sha256 over the canonical content of the files used and the variants selected."""
    h = hashlib.sha256()
    for ds in datasets:
        h.update(f"{ds.name}\0{ds.variant or ''}\0{ds.content_hash}\n".encode())
    return h.hexdigest()



@dataclass(frozen=True, eq=False)
class Catalogue:
    """Measurements of several datasets stacked into flat arrays (block-diagonal covariance).

    ``ids`` are ``"<dataset>/<measurement id>"`` and unique across the catalogue. ``sm`` is NaN where
    the SM prediction must be computed by the package (m_Z, m_W, R ratio).
    """

    datasets: tuple[Dataset, ...]
    ids: tuple[str, ...] = field(init=False)
    observables: tuple[str, ...] = field(init=False)
    kinematics: tuple[Mapping[str, Any], ...] = field(init=False)
    units: tuple[str, ...] = field(init=False)
    values: np.ndarray = field(init=False)
    sm: np.ndarray = field(init=False)
    stat: np.ndarray = field(init=False)
    syst: np.ndarray = field(init=False)
    dataset_index: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        ms = [(k, ds, m) for k, ds in enumerate(self.datasets) for m in ds.measurements]
        set_ = object.__setattr__
        set_(self, "ids", tuple(f"{ds.name}/{m.id}" for _, ds, m in ms))
        if len(set(self.ids)) != len(self.ids):
            raise ValueError("duplicate dataset in catalogue: ids are not unique")
        set_(self, "observables", tuple(m.observable for _, _, m in ms))
        set_(self, "kinematics", tuple(m.kinematics for _, _, m in ms))
        set_(self, "units", tuple(m.unit for _, _, m in ms))
        for name, attr in (("values", "value"), ("stat", "stat"), ("syst", "syst")):
            arr = np.array([getattr(m, attr) for _, _, m in ms], dtype=float)
            arr.setflags(write=False)
            set_(self, name, arr)
        sm = np.array([np.nan if m.sm is None else m.sm for _, _, m in ms], dtype=float)
        sm.setflags(write=False)
        set_(self, "sm", sm)
        idx = np.array([k for k, _, _ in ms], dtype=int)
        idx.setflags(write=False)
        set_(self, "dataset_index", idx)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def measurements(self) -> list[Measurement]:
        return [m for ds in self.datasets for m in ds.measurements]

    @property
    def errors(self) -> np.ndarray:
        """Total uncertainties without normalisation terms."""
        return np.hypot(self.stat, self.syst)

    def covariance(self, norm_reference: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
        """Block-diagonal covariance of total uncertainties (see :meth:`Dataset.covariance`)."""
        n = len(self)
        cov = np.zeros((n, n))
        ref = None if norm_reference is None else np.asarray(norm_reference, dtype=float)
        start = 0
        for ds in self.datasets:
            stop = start + len(ds)
            cov[start:stop, start:stop] = ds.covariance(None if ref is None else ref[start:stop])
            start = stop
        return cov

    def correlation(self, norm_reference: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
        """Correlation matrix derived from :meth:`covariance`."""
        cov = self.covariance(norm_reference)
        d = np.sqrt(np.diag(cov))
        return cov / np.outer(d, d)

    def index(self, full_id: str) -> int:
        """Position of ``"<dataset>/<id>"`` in the stacked arrays."""
        return self.ids.index(full_id)

    def catalogue_hash(self) -> str:
        """Provenance hash of the files and variants used (see :func:`catalogue_hash`)."""
        return catalogue_hash(self.datasets)


def stack_datasets(datasets: Iterable[Dataset]) -> Catalogue:
    """Stack datasets into a :class:`Catalogue`."""
    return Catalogue(tuple(datasets))
