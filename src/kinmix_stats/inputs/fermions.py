"""The Standard-Model fermion table: electric charge, weak isospin, hypercharges, colour and mass.

Conventions: ``Q = T3 + Y`` with hypercharge normalised so that ``Y(e_R) = -1``.
Masses are PDG 2024 (S. Navas et al., Phys. Rev. D 110, 030001 (2024)) as read with the ``pdg``
python package v0.1.4 (the 2024 edition): leptons pdgid S003M, S004M, S035M; light quarks are
MS-bar masses at 2 GeV (Q002M u 2.16 MeV, Q001M d 4.70 MeV, Q003M s 93.5 MeV); c and b are
MS-bar running masses m(m) (Q004M 1.2730 GeV, Q005M 4.183 GeV); the top mass is the direct
measurement average (Q007TP 172.57 GeV). In widths they serve only as kinematic thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Fermion", "FERMIONS", "CHARGED_LEPTONS", "NEUTRINOS", "QUARKS", "get_fermion"]


@dataclass(frozen=True)
class Fermion:
    """One SM Dirac fermion (neutrinos: left-handed only).

    Attributes
    ----------
    name: short name used throughout the package ("e", "mu", "tau", "nu_e", ..., "u", ..., "t").
    charge: electric charge Q in units of e (> 0 for the positron).
    t3: third component of weak isospin of the left-handed field.
    n_colour: number of colours (3 for quarks, 1 for leptons).
    mass: mass in GeV (PDG 2024, see module docstring).
    has_right: whether a right-handed SM field exists (False for neutrinos).
    generation: 1, 2 or 3.
    """

    name: str
    charge: float
    t3: float
    n_colour: int
    mass: float
    has_right: bool
    generation: int

    @property
    def y_left(self) -> float:
        """Hypercharge of the left-handed component, Y = Q - T3."""
        return self.charge - self.t3

    @property
    def y_right(self) -> float:
        """Hypercharge of the right-handed component, Y = Q."""
        return self.charge

    @property
    def is_quark(self) -> bool:
        return self.n_colour == 3

    @property
    def is_neutrino(self) -> bool:
        return not self.has_right


_MEV = 1e-3
FERMIONS: dict[str, Fermion] = {
    f.name: f
    for f in (
        Fermion("e", -1.0, -0.5, 1, 0.51099895 * _MEV, True, 1),
        Fermion("mu", -1.0, -0.5, 1, 105.6583755 * _MEV, True, 2),
        Fermion("tau", -1.0, -0.5, 1, 1776.93 * _MEV, True, 3),
        Fermion("nu_e", 0.0, 0.5, 1, 0.0, False, 1),
        Fermion("nu_mu", 0.0, 0.5, 1, 0.0, False, 2),
        Fermion("nu_tau", 0.0, 0.5, 1, 0.0, False, 3),
        Fermion("u", 2.0 / 3.0, 0.5, 3, 2.16 * _MEV, True, 1),
        Fermion("d", -1.0 / 3.0, -0.5, 3, 4.70 * _MEV, True, 1),
        Fermion("s", -1.0 / 3.0, -0.5, 3, 93.5 * _MEV, True, 2),
        Fermion("c", 2.0 / 3.0, 0.5, 3, 1.2730, True, 2),
        Fermion("b", -1.0 / 3.0, -0.5, 3, 4.183, True, 3),
        Fermion("t", 2.0 / 3.0, 0.5, 3, 172.57, True, 3),
    )
}
CHARGED_LEPTONS = ("e", "mu", "tau")
NEUTRINOS = ("nu_e", "nu_mu", "nu_tau")
QUARKS = ("u", "d", "s", "c", "b", "t")


def get_fermion(name: str) -> Fermion:
    """Return the fermion called ``name`` or raise ``ValueError`` listing the accepted names."""
    try:
        return FERMIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown fermion {name!r}; accepted: {', '.join(FERMIONS)}"
        ) from None
