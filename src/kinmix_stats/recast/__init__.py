"""Recasts of published LHC searches for a (broad) dark photon.

* :mod:`.pdf` - LHAPDF6 ``lhagrid1`` discovery (explicit path > ``$LHAPDF_DATA_PATH`` > the ``pythia8mc``
  wheel) and a vectorised reader with sum-rule checks.
* :mod:`.drell_yan` - LO Drell-Yan pp -> gamma*/Z/A' -> mu mu with Breit-Wigner propagators, all
  interferences (chiral helicity amplitudes), parton luminosities and Gaussian mass smearing.
* :mod:`.peak_matching` - the dark width and the peak-height matching of a broad to a narrow dark photon at
  one mass (Felix, Thomas, Wang et al., arXiv:2505.03241): :func:`dirac_dm_width`, :class:`PeakMatcher`.
* :mod:`.cms_dimuon` - the broad-dark-photon recast of the CMS dimuon limits (arXiv:1912.04776) by
  that matching at every CMS mass: :func:`compute_recast` (physics) and
  :func:`recast_cms` (also writes the CSV/JSON/ROOT outputs through :mod:`kinmix_stats.io` and the figures of
  :mod:`kinmix_stats.plotting.recast`).
"""

from .cms_dimuon import CSV_COLUMNS, CMSLimit, CMSRecast, compute_recast, load_cms_limit, recast_cms
from .drell_yan import (
    GEV2_TO_PB,
    DrellYan,
    VectorBoson,
    bosons_from_model,
    gaussian_smear,
    parton_luminosity,
    partonic_cross_section,
    partonic_terms,
    sm_bosons,
    true_mass_grid,
)
from .pdf import DEFAULT_PDF_SET, LHAPDFGrid, find_pdf_file, load_pdf, momentum_sum, number_sum, pythia8_pdfdata_dir
from .peak_matching import PeakMatcher, dirac_dm_width, relaxed_epsilon

__all__ = [
    "CSV_COLUMNS",
    "CMSLimit",
    "CMSRecast",
    "DEFAULT_PDF_SET",
    "DrellYan",
    "GEV2_TO_PB",
    "LHAPDFGrid",
    "PeakMatcher",
    "VectorBoson",
    "bosons_from_model",
    "compute_recast",
    "dirac_dm_width",
    "find_pdf_file",
    "gaussian_smear",
    "load_cms_limit",
    "load_pdf",
    "momentum_sum",
    "number_sum",
    "partonic_cross_section",
    "partonic_terms",
    "parton_luminosity",
    "pythia8_pdfdata_dir",
    "recast_cms",
    "relaxed_epsilon",
    "sm_bosons",
    "true_mass_grid",
]
