"""U(1)' charges of the SM fermions: the generation-independent families of the PDG Z' review.

Source: M.-C. Chen, B. A. Dobrescu, S. Willocq, "Z'-boson searches", PDG review (rev. Jan. 2016),
Table 1. Charges are given for the left-handed doublets Q = (u_L, d_L), L = (nu_L, e_L)
and the right-handed singlets u_R, d_R, e_R, with a free rational parameter x:

=========  ======  =========  ===========  ===========
field      B-xL    10+x5bar   d-xu         q+xu
=========  ======  =========  ===========  ===========
Q          1/3     1/3        0            1/3
u_R        1/3     -1/3       -x/3         x/3
d_R        1/3     -x/3       1/3          (2-x)/3
L          -x      x/3        (-1+x)/3     -1
e_R        -x      -1/3       x/3          -(2+x)/3
=========  ======  =========  ===========  ===========

Named points (same review, text under Table 1): B-L (x=1 of B-xL), chi (x=-3), psi (x=1) and eta
(x=-1/2) of 10+x5bar; R (x=1) and I (x=0) of d-xu. The sequential Z' (SSM) has the couplings of the
SM Z: z_L = T3 - s_W^2 Q, z_R = -s_W^2 Q with g_z = g / c_W.

Not defined: the secluded Z_S of PDG Table 2 (its ref. [46], Erler, Langacker, Li, hep-ph/0205001). Its
E6 angle is quoted in the literature as tan(beta) = sqrt(15)/9 in Z(beta) = cos(beta) Z_chi + sin(beta) Z_psi,
which the 10+x5bar family reaches at x = -8 (computed in tests/test_secluded_zprime.py), but we could
not confirm that angle from a retrievable source, so no "S" entry is added until it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._checks import check_choice, check_finite
from ..inputs.fermions import Fermion

__all__ = ["U1Charges", "charge_family", "named_model", "NAMED_MODELS", "FAMILIES", "dark_photon_charges",
           "CUSTOM_PREFIX", "parse_custom_charges"]


@dataclass(frozen=True)
class U1Charges:
    """U(1)' charges of one SM generation (generation independent).

    ``q``, ``u``, ``d``, ``l``, ``e`` are the charges of Q_L, u_R, d_R, L_L, e_R; ``nu_r`` that of a
    right-handed neutrino (not part of the SM spectrum; used only in anomaly checks).
    """

    q: float = 0.0
    u: float = 0.0
    d: float = 0.0
    l: float = 0.0
    e: float = 0.0
    nu_r: float = 0.0
    label: str = "custom"

    def __post_init__(self) -> None:
        for name in ("q", "u", "d", "l", "e", "nu_r"):
            check_finite(f"charge {name}", getattr(self, name))

    def chiral(self, fermion: Fermion) -> tuple[float, float]:
        """(z_L, z_R) of ``fermion`` (z_R = 0 for SM neutrinos, which have no right-handed field)."""
        if fermion.is_quark:
            return self.q, (self.u if fermion.charge > 0 else self.d)
        if fermion.is_neutrino:
            return self.l, 0.0
        return self.l, self.e

    def anomalies(self, n_generations: int = 3) -> dict[str, float]:
        """Gauge and gravitational anomaly coefficients (all vanish for an anomaly-free U(1)').

        Sums over the left-handed Weyl fields of ``n_generations`` generations: Q (3 colours x 2),
        L (2), and the conjugates u^c, d^c (3 each), e^c and nu^c (charges -z, hypercharges -Y), with
        Y(Q)=1/6, Y(u)=2/3, Y(d)=-1/3, Y(L)=-1/2, Y(e)=-1, Y(nu)=0 (Q = T3 + Y).
        """
        q, u, d, l, e, n = self.q, self.u, self.d, self.l, self.e, self.nu_r
        per_generation = {
            "SU3^2 U1'": 2 * q - u - d,
            "SU2^2 U1'": 3 * q + l,
            "Y^2 U1'": q / 6 + l / 2 - 4 * u / 3 - d / 3 - e,
            "Y U1'^2": q**2 - l**2 - 2 * u**2 + d**2 + e**2,
            "U1'^3": 6 * q**3 + 2 * l**3 - 3 * u**3 - 3 * d**3 - e**3 - n**3,
            "grav U1'": 6 * q + 2 * l - 3 * u - 3 * d - e - n,
        }
        return {k: n_generations * v for k, v in per_generation.items()}


def charge_family(family: str, x: float) -> U1Charges:
    """Charges of a PDG Table 1 family ("B-xL", "10+x5bar", "d-xu", "q+xu") for parameter ``x``."""
    check_choice("charge family", family, FAMILIES)
    x = check_finite("x", x)
    if family == "B-xL":
        return U1Charges(q=1 / 3, u=1 / 3, d=1 / 3, l=-x, e=-x, nu_r=-x, label=f"B-xL(x={x:g})")
    if family == "10+x5bar":
        return U1Charges(q=1 / 3, u=-1 / 3, d=-x / 3, l=x / 3, e=-1 / 3, label=f"10+x5bar(x={x:g})")
    if family == "d-xu":
        return U1Charges(q=0.0, u=-x / 3, d=1 / 3, l=(-1 + x) / 3, e=x / 3, label=f"d-xu(x={x:g})")
    # q+xu = (2(x-1)/3) Y + ((4-x)/3) (B-L): anomaly free with one nu_R of charge (x-4)/3 per generation.
    return U1Charges(q=1 / 3, u=x / 3, d=(2 - x) / 3, l=-1.0, e=-(2 + x) / 3, nu_r=(x - 4) / 3, label=f"q+xu(x={x:g})")


FAMILIES = ("B-xL", "10+x5bar", "d-xu", "q+xu")
NAMED_MODELS = {
    "B-L": ("B-xL", 1.0),
    "chi": ("10+x5bar", -3.0),
    "psi": ("10+x5bar", 1.0),
    "eta": ("10+x5bar", -0.5),
    "R": ("d-xu", 1.0),
    "I": ("d-xu", 0.0),
}


def parse_family_point(text: str) -> tuple[str, float]:
    """``"FAMILY:x"`` -> (family, x) for a PDG Table 1 family point, e.g. ``"B-xL:3"`` -> ("B-xL", 3.0).

    The family name is matched case-insensitively; x must be a finite number (``-0`` becomes ``0``).
    Raises ``ValueError`` naming the bad part and the accepted families or range.
    """
    fam_text, sep, x_text = str(text).partition(":")
    if not sep:
        raise ValueError(f"Z' family point {text!r} must have the form FAMILY:x with FAMILY one of {', '.join(FAMILIES)}")
    family = {f.lower(): f for f in FAMILIES}.get(fam_text.strip().lower())
    if family is None:
        raise ValueError(f"unknown charge family {fam_text.strip()!r} in Z' model {text!r}; accepted: {', '.join(FAMILIES)}")
    try:
        x = float(x_text)
    except ValueError:
        raise ValueError(f"Z' model {text!r}: x must be a finite number (FAMILY:x, e.g. {family}:3), got {x_text.strip()!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"Z' model {text!r}: x must be a finite number (accepted range (-inf, inf)), got {x_text.strip()!r}")
    return family, x + 0.0


#: Model-name prefix of a U(1)' with user-given charges: ``"charges:Q,U,D,L,E"`` (Q_L, u_R, d_R, L_L, e_R).
CUSTOM_PREFIX = "charges:"


def parse_custom_charges(text: str) -> tuple[str, U1Charges]:
    """``"charges:Q,U,D,L,E"`` (numbers or fractions such as ``1/3``) -> (canonical name, :class:`U1Charges`).

    The five charges are those of Q_L, u_R, d_R, L_L, e_R of one generation (generation independent), in
    the normalisation of the PDG Z' review (L ⊃ g_z Z'_μ Σ_f f̄ γ^μ (z_L P_L + z_R P_R) f). Any set is
    accepted (anomaly cancellation is the user's responsibility: :meth:`U1Charges.anomalies`). Raises
    ``ValueError`` naming the bad entry.
    """
    from fractions import Fraction

    body = str(text).strip()
    if body.lower().startswith(CUSTOM_PREFIX):
        body = body[len(CUSTOM_PREFIX):]
    tokens = [t.strip() for t in body.split(",")]
    if len(tokens) != 5 or not all(tokens):
        raise ValueError(f"custom U(1)' charges {text!r}: expected five comma-separated charges Q,U,D,L,E "
                         "(of Q_L, u_R, d_R, L_L, e_R), e.g. charges:1/3,1/3,1/3,-1,-1 for B-L")
    values = []
    for name, tok in zip("QUDLE", tokens, strict=True):
        try:
            values.append(float(Fraction(tok)))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"custom U(1)' charges {text!r}: charge {name} must be a finite number or a fraction "
                             f"like 1/3, got {tok!r}") from None
    canonical = CUSTOM_PREFIX + ",".join(tokens)
    q, u, d, l, e = values
    return canonical, U1Charges(q=q, u=u, d=d, l=l, e=e, label=canonical)


def named_model(name: str) -> U1Charges:
    """Charges of a named U(1)' point of the PDG review ("B-L", "chi", "psi", "eta", "R", "I")."""
    check_choice("Z' model", name, NAMED_MODELS)
    family, x = NAMED_MODELS[name]
    charges = charge_family(family, x)
    return U1Charges(**{**charges.__dict__, "label": name})


def dark_photon_charges() -> U1Charges:
    """A pure dark photon: no SM fermion carries U(1)' charge."""
    return U1Charges(label="dark_photon")


@dataclass(frozen=True)
class SequentialCharges(U1Charges):
    """Couplings of the sequential Z' (SSM): those of the SM Z, z_L = T3 - s_W^2 Q, z_R = -s_W^2 Q.

    Used with g_z = g / c_W (PDG Z' review, Table 2 caption: "same coupling as the SM Z boson").
    Not a U(1)' charge assignment (u_L and d_L differ), so the inherited ``q``, ``u``, ... fields
    stay zero and are not used; :meth:`chiral` reads T3 and Q of the fermion instead. ``sin2_theta_w``
    is fixed at construction (the Z' couplings are model parameters; they do not follow SM-parameter
    nuisance shifts).
    """

    sin2_theta_w: float = 0.0
    label: str = "SSM"

    def __post_init__(self) -> None:
        super().__post_init__()
        s2 = check_finite("sin2_theta_w", self.sin2_theta_w)
        if not 0.0 < s2 < 1.0:
            raise ValueError(f"sin2_theta_w must lie in (0, 1), got {s2!r}")

    def chiral(self, fermion: Fermion) -> tuple[float, float]:
        """(z_L, z_R) = (T3 - s_W^2 Q, -s_W^2 Q); z_R = 0 for SM neutrinos."""
        z_l = fermion.t3 - self.sin2_theta_w * fermion.charge
        z_r = 0.0 if fermion.is_neutrino else -self.sin2_theta_w * fermion.charge
        return z_l, z_r

    def anomalies(self, n_generations: int = 3) -> dict[str, float]:
        """Not defined: the SSM has no U(1)' charges (z_L differs within an SU(2) doublet)."""
        raise NotImplementedError("the sequential Z' is not a U(1)' charge assignment; anomalies() is undefined")


def sequential_charges(sin2_theta_w: float) -> SequentialCharges:
    """The sequential-Z' couplings for a given sin^2 theta_W (e.g. ``SMParameters().sin2_theta_w``)."""
    return SequentialCharges(sin2_theta_w=sin2_theta_w)
