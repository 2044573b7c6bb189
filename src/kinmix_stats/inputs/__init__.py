"""Inputs: SM parameters with their sources, and the fermion table."""

from .fermions import CHARGED_LEPTONS, FERMIONS, NEUTRINOS, QUARKS, Fermion, get_fermion
from .sm import PDG, SMParameters, alpha_s_running

__all__ = [
    "CHARGED_LEPTONS",
    "FERMIONS",
    "NEUTRINOS",
    "QUARKS",
    "Fermion",
    "get_fermion",
    "PDG",
    "SMParameters",
    "alpha_s_running",
]
