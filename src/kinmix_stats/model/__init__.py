"""The vector-boson model: exact diagonalisation, couplings, widths, conventions, U(1)' charges and the
Z' hypotheses of a g_z scan (:class:`ModelSpec`)."""

from .charges import FAMILIES, NAMED_MODELS, U1Charges, charge_family, dark_photon_charges, named_model
from .conventions import chi_from_epsilon, epsilon_from_chi, epsilon_from_epsilon_gamma, epsilon_gamma_from_epsilon
from .dark_sector import DiracDarkMatter
from .higgs_mixing import effective_higgs_charge, higgs_doublet_charges, higgs_mass_mixing, sin2_beta_from_tan_beta
from .spec import ModelSpec
from .spectrum import NoZPrimeStateError, diagonalise, solve_mx2, zprime_window
from .vector_boson import BOSONS, CHANNELS, DarkPhoton, ZPrime

__all__ = [
    "BOSONS",
    "CHANNELS",
    "FAMILIES",
    "ModelSpec",
    "NAMED_MODELS",
    "DarkPhoton",
    "DiracDarkMatter",
    "NoZPrimeStateError",
    "U1Charges",
    "ZPrime",
    "charge_family",
    "chi_from_epsilon",
    "dark_photon_charges",
    "diagonalise",
    "effective_higgs_charge",
    "epsilon_from_chi",
    "epsilon_from_epsilon_gamma",
    "epsilon_gamma_from_epsilon",
    "higgs_doublet_charges",
    "higgs_mass_mixing",
    "named_model",
    "sin2_beta_from_tan_beta",
    "solve_mx2",
    "zprime_window",
]
