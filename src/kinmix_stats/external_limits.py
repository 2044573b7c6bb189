"""Published dark-photon limit curves to overlay on our exclusion plots, each with its provenance.

Two sources (licences and digitisation in ``kinmix_stats/data/external_limits/README.md``):

* **Darkcast** ``.lmt`` files (GPL-2.0-or-later): *not* shipped. They are read from a directory given
  as ``directory=``, else ``$KINMIX_EXTERNAL_LIMITS``, else ``<repo root>/../shared/data/limits`` if it
  exists. Rows with the "no limit here" sentinel ``1.0000e+05`` are dropped and the curve is broken
  there (e.g. the CMS Z window 75.4-110 GeV).
* **Hidden-Sector-Limits** files (MIT): shipped in ``kinmix_stats/data/external_limits`` with a README
  giving provenance and licence.

Every :class:`ExternalLimit` records its name, experiment, arXiv id, confidence level (``None`` where
the source states none), the ε convention of the file, licence and source, and converts to this
package's (Hook et al.) ε with :meth:`ExternalLimit.epsilon_hook`, which uses
:func:`kinmix_stats.model.conventions.epsilon_from_epsilon_gamma` (ε = ε_γ / cos θ_W, leading order).
That relation is the low-mass one (m_Z' ≪ m_Z); for overlays near and above m_Z (CMS) it is an
approximation, as the Z' then also picks up Z-like couplings.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .model.conventions import epsilon_from_epsilon_gamma

__all__ = [
    "ENV_VAR",
    "DARKCAST_SENTINEL",
    "ExternalLimit",
    "ExternalLimitInfo",
    "available_external_limits",
    "external_limit_info",
    "load_external_limit",
    "default_external_directory",
]

#: Environment variable naming the directory with the (GPL) Darkcast files.
ENV_VAR = "KINMIX_EXTERNAL_LIMITS"
#: Darkcast's "no limit here" value in ``.lmt`` files.
DARKCAST_SENTINEL = 1.0e5
_DARKCAST_LICENCE = "GPL-2.0-or-later (Darkcast); not redistributed with kinmix_stats"
_DARKCAST_REPO = "micha-a-schmidt/darkcast @ db9a0f66ec99946930dc263a042ec531c9576068"
_HSL_LICENCE = "MIT (Hidden-Sector-Limits); shipped, see kinmix_stats/data/external_limits/README.md"
_HSL_REPO = "pgdeniverville/Hidden-Sector-Limits @ 3ee1377726b299883f5d31e58fa1b725aa406ff7"


@dataclass(frozen=True)
class ExternalLimitInfo:
    """Catalogue entry: everything known about a curve except its numbers.

    Fields: ``name`` (registry key), ``file``, ``shipped`` (True: package data; False: user directory),
    ``experiment``, ``description``, ``arxiv``, ``confidence_level`` (e.g. 0.90; ``None`` if not a CL
    limit or not stated), ``cl_note`` (where the CL comes from), ``convention`` (``"epsilon_gamma"`` or
    ``"hook"``), ``kind`` (``"upper_limit"`` or ``"band_edge"``), ``licence``, ``source``
    (repository @ commit, path), ``no_limit_rule`` (``"darkcast_sentinel"``, ``"hsl_ceiling"`` or ``"none"``).
    """

    name: str
    file: str
    shipped: bool
    experiment: str
    description: str
    arxiv: str
    confidence_level: float | None
    cl_note: str
    convention: str
    kind: str
    licence: str
    source: str
    no_limit_rule: str


def _darkcast(name: str, lmt: str, **fields: Any) -> ExternalLimitInfo:
    """A Darkcast curve (GPL, not shipped): the user's file ``darkcast_<lmt>`` is ``limits/<lmt>`` of the pinned
    Darkcast commit, Darkcast's sentinel marks the masses without a limit."""
    return ExternalLimitInfo(name=name, file=f"darkcast_{lmt}", shipped=False, licence=_DARKCAST_LICENCE,
                             source=f"{_DARKCAST_REPO}, limits/{lmt}", no_limit_rule="darkcast_sentinel", **fields)


_CATALOGUE: dict[str, ExternalLimitInfo] = {
    info.name: info
    for info in (
        _darkcast(
            "cms_2019_dimuon",
            "CMS_CMS2019kiy.lmt",
            experiment="CMS",
            description="CMS dimuon narrow-resonance search, 13 TeV (EXO-19-018), dark-photon interpretation "
            "digitised by Darkcast from Fig. 3 of CMS-PAS-EXO-19-018; Z window 75.4-110 GeV has no limit",
            arxiv="1912.04776",
            confidence_level=0.90,
            cl_note="CMS-PAS-EXO-19-018 Fig. 3 caption: 'Expected and observed 90% CL upper limits on eps^2'",
            convention="epsilon_gamma",
            kind="upper_limit",
        ),
        _darkcast(
            "lhcb_2019_prompt",
            "LHCb_Aaij2019bvg_prompt.lmt",
            experiment="LHCb",
            description="LHCb prompt-like A' -> mu+ mu- search (supplementary prompt-excluded.txt via Darkcast)",
            arxiv="1910.06926",
            confidence_level=0.90,
            cl_note="arXiv:1910.06926 abstract: '90% confidence-level exclusion limits'",
            convention="epsilon_gamma",
            kind="upper_limit",
        ),
        _darkcast(
            "babar_2014",
            "BaBar_Lees2014xha.lmt",
            experiment="BaBar",
            description="BaBar visible A' -> e+e-, mu+mu- search, digitised by Darkcast from Fig. 4 (green curve)",
            arxiv="1406.2980",
            confidence_level=0.90,
            cl_note="arXiv:1406.2980 abstract: '90% confidence level upper limits on the mixing strength'",
            convention="epsilon_gamma",
            kind="upper_limit",
        ),
        ExternalLimitInfo(
            name="babar_2014_hsl",
            file="HSL_Babar2014_formatted.dat",
            shipped=True,
            experiment="BaBar",
            description="BaBar visible A' search, independent Hidden-Sector-Limits digitisation (closed polygon; "
            "ceiling rows at the vetoed resonance windows are dropped)",
            arxiv="1406.2980",
            confidence_level=0.90,
            cl_note="arXiv:1406.2980 abstract: '90% confidence level upper limits on the mixing strength'",
            convention="epsilon_gamma",
            kind="upper_limit",
            licence=_HSL_LICENCE,
            source=f"{_HSL_REPO}, data/vector_portal_visible_formatted/Babar2014_formatted.dat",
            no_limit_rule="hsl_ceiling",
        ),
        ExternalLimitInfo(
            name="hook_izaguirre_wacker_2010_ewfit",
            file="HSL_zprime_HookIzaguirreWacker2010_EWfit.dat",
            shipped=True,
            experiment="Hook-Izaguirre-Wacker EW fit",
            description="Model-independent electroweak-fit bound on kinetic mixing, digitised by "
            "Hidden-Sector-Limits (figure and narrow/wide choice not stated upstream)",
            arxiv="1006.0973",
            confidence_level=0.95,
            cl_note="arXiv:1006.0973 quotes 95% CL bounds (Delta chi2 = 3.84); digitised figure not stated upstream",
            convention="hook",
            kind="upper_limit",
            licence=_HSL_LICENCE,
            source=f"{_HSL_REPO}, data/zprime.dat",
            no_limit_rule="none",
        ),
        _darkcast(
            "amm_mu_bodas_2021",
            "AMMmu_Bodas2021fsy.lmt",
            experiment="muon g-2",
            description="Muon g-2 exclusion: one-loop dark-photon contribution above Delta a_mu = (2.79 + 5*0.76)e-9 "
            "(Darkcast AMM.py, values from Bodas et al.); computed, not digitised",
            arxiv="2102.07781",
            confidence_level=None,
            cl_note="5 sigma above the central Delta a_mu, not a CL limit",
            convention="epsilon_gamma",
            kind="upper_limit",
        ),
        _darkcast(
            "amm_mu_bodas_2021_favoured_low",
            "AMMmu_Bodas2021fsy_2l.lmt",
            experiment="muon g-2",
            description="Lower edge of the muon g-2 favoured band, Delta a_mu = (2.79 - 2*0.76)e-9",
            arxiv="2102.07781",
            confidence_level=None,
            cl_note="2 sigma band edge, not an exclusion",
            convention="epsilon_gamma",
            kind="band_edge",
        ),
        _darkcast(
            "amm_mu_bodas_2021_favoured_high",
            "AMMmu_Bodas2021fsy_2u.lmt",
            experiment="muon g-2",
            description="Upper edge of the muon g-2 favoured band, Delta a_mu = (2.79 + 2*0.76)e-9",
            arxiv="2102.07781",
            confidence_level=None,
            cl_note="2 sigma band edge, not an exclusion",
            convention="epsilon_gamma",
            kind="band_edge",
        ),
        _darkcast(
            "lep_invisible_fox_2011",
            "LEP_Fox2011fx.lmt",
            experiment="LEP (recast)",
            description="LEP mono-photon recast of Fox et al. via Darkcast, assuming BR(invisible) = 99%",
            arxiv="1103.0240",
            confidence_level=None,
            cl_note="CL not stated in the Darkcast notes",
            convention="epsilon_gamma",
            kind="upper_limit",
        ),
    )
}


@dataclass(frozen=True)
class ExternalLimit:
    """A loaded external curve: catalogue ``info`` plus the numbers, in the file's own convention.

    ``mass_gev`` and ``epsilon`` hold the numeric rows (no-limit rows removed), read-only.
    ``segment_starts`` are the indices at which a new continuous piece begins (always starts with 0);
    a break is put wherever a no-limit row was removed, so a plot never bridges e.g. the CMS Z window.
    ``path`` is the file the numbers were read from.
    """

    info: ExternalLimitInfo
    mass_gev: np.ndarray
    epsilon: np.ndarray
    segment_starts: tuple[int, ...]
    path: str
    n_dropped: int = 0

    # convenient read-only views of the catalogue entry
    name = property(lambda self: self.info.name)
    experiment = property(lambda self: self.info.experiment)
    arxiv = property(lambda self: self.info.arxiv)
    confidence_level = property(lambda self: self.info.confidence_level)
    convention = property(lambda self: self.info.convention)
    licence = property(lambda self: self.info.licence)
    source = property(lambda self: self.info.source)

    def epsilon_hook(self, sin2_theta_w: float | None = None) -> np.ndarray:
        """ε in Hook et al.'s convention: ε_γ / cos θ_W for photon-like files, unchanged for Hook files."""
        if self.info.convention == "hook":
            return self.epsilon.copy()
        if self.info.convention == "epsilon_gamma":
            return epsilon_from_epsilon_gamma(self.epsilon, sin2_theta_w=sin2_theta_w)
        raise ValueError(f"{self.name}: no converter for convention {self.info.convention!r}")

    def segments(self, convention: str = "hook", sin2_theta_w: float | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Continuous pieces ``[(mass, eps), ...]`` in ``convention`` (``"hook"`` or ``"file"``)."""
        if convention == "hook":
            eps = self.epsilon_hook(sin2_theta_w)
        elif convention == "file":
            eps = self.epsilon.copy()
        else:
            raise ValueError(f"convention must be 'hook' or 'file', got {convention!r}")
        bounds = [*self.segment_starts, self.mass_gev.size]
        return [(self.mass_gev[a:b].copy(), eps[a:b]) for a, b in itertools.pairwise(bounds) if b > a]

    def plot_arrays(self, sin2_theta_w: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Mass and Hook-ε arrays with a NaN between segments, ready for ``ax.plot``."""
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        for i, (m, e) in enumerate(self.segments("hook", sin2_theta_w)):
            if i:
                xs.append(np.array([np.nan]))
                ys.append(np.array([np.nan]))
            xs.append(m)
            ys.append(e)
        return np.concatenate(xs), np.concatenate(ys)


def available_external_limits() -> tuple[str, ...]:
    """Names accepted by :func:`load_external_limit`, sorted."""
    return tuple(sorted(_CATALOGUE))


def external_limit_info(name: str) -> ExternalLimitInfo:
    """Catalogue entry for ``name``; ``ValueError`` naming it (and the accepted names) if unknown."""
    if not isinstance(name, str) or name not in _CATALOGUE:
        raise ValueError(f"unknown external limit {name!r}; accepted: {', '.join(available_external_limits())}")
    return _CATALOGUE[name]


def default_external_directory() -> Path:
    """``<repo root>/../shared/data/limits`` for an editable checkout (may not exist)."""
    repo_root = Path(__file__).resolve().parents[2]
    return repo_root.parent / "shared" / "data" / "limits"


def _resolve_directory(directory: str | os.PathLike[str] | None) -> Path:
    if directory is not None:
        d = Path(directory)
        origin = "directory argument"
    elif os.environ.get(ENV_VAR):
        d = Path(os.environ[ENV_VAR])
        origin = f"${ENV_VAR}"
    else:
        d = default_external_directory()
        origin = "default location"
        if not d.is_dir():
            raise FileNotFoundError(
                f"external limit directory not found: {str(d)!r} (default location); pass directory=... or set "
                f"${ENV_VAR} to the folder holding the Darkcast .lmt files (GPL-2.0-or-later, not shipped)"
            )
    if not d.is_dir():
        raise FileNotFoundError(
            f"external limit directory {str(d)!r} (from {origin}) does not exist; pass directory=... or set "
            f"${ENV_VAR} to the folder holding the Darkcast .lmt files"
        )
    return d


def _read_two_columns(path: Path) -> np.ndarray:
    try:
        data = np.loadtxt(path, comments="#", dtype=float, ndmin=2)
    except ValueError as err:
        raise ValueError(f"{path}: not a two-column numeric file: {err}") from err
    if data.shape[1] != 2 or data.shape[0] == 0:
        raise ValueError(f"{path}: expected two columns (mass in GeV, epsilon), got shape {data.shape}")
    return data


def _no_limit_mask(info: ExternalLimitInfo, eps: np.ndarray) -> np.ndarray:
    if info.no_limit_rule == "darkcast_sentinel":
        return eps == DARKCAST_SENTINEL
    if info.no_limit_rule == "hsl_ceiling":
        # Closed polygon: rows at the file's maximum are the plot ceiling (edges and vetoed windows).
        return eps >= eps.max() * (1.0 - 1e-9)
    return np.zeros(eps.shape, dtype=bool)


def load_external_limit(name: str, directory: str | os.PathLike[str] | None = None) -> ExternalLimit:
    """Load the curve ``name`` (see :func:`available_external_limits`).

    Shipped (MIT) curves come from package data; ``directory`` is then ignored. The others are read
    from ``directory``, else ``$KINMIX_EXTERNAL_LIMITS``, else :func:`default_external_directory`;
    a missing directory or file raises ``FileNotFoundError`` naming the path and the variable.
    """
    info = external_limit_info(name)
    if info.shipped:
        ref = resources.files("kinmix_stats") / "data" / "external_limits" / info.file
        with resources.as_file(ref) as p:
            path = Path(p)
            if not path.is_file():
                raise FileNotFoundError(f"shipped external limit {name!r}: package file {str(path)!r} is missing")
            data = _read_two_columns(path)
    else:
        d = _resolve_directory(directory)
        path = d / info.file
        if not path.is_file():
            raise FileNotFoundError(
                f"external limit {name!r}: file {str(path)!r} not found in {str(d)!r}; pass directory=... or set "
                f"${ENV_VAR}"
            )
        data = _read_two_columns(path)

    mass, eps = data[:, 0], data[:, 1]
    drop = _no_limit_mask(info, eps)
    keep = ~drop
    if not np.any(keep):
        raise ValueError(f"{path}: no numeric limit rows")
    # a new segment starts at every kept row that follows a dropped row (with a kept row before it)
    kept_idx = np.flatnonzero(keep)
    starts = [0] + [j for j in range(1, kept_idx.size) if np.any(drop[kept_idx[j - 1] + 1 : kept_idx[j]])]
    m, e = mass[keep].copy(), eps[keep].copy()
    if np.any(~np.isfinite(m)) or np.any(m <= 0) or np.any(~np.isfinite(e)) or np.any(e <= 0):
        raise ValueError(f"{path}: masses and epsilons must be finite and > 0 after dropping no-limit rows")
    if np.any(np.diff(m) < 0):
        raise ValueError(f"{path}: masses must be non-decreasing")
    m.setflags(write=False)
    e.setflags(write=False)
    return ExternalLimit(info=info, mass_gev=m, epsilon=e, segment_starts=tuple(starts), path=str(path),
                         n_dropped=int(drop.sum()))
