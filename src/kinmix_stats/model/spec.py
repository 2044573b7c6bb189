"""A Z' model scanned in its U(1)' gauge coupling g_z: :class:`ModelSpec` (named model of the PDG Z' review,
PDG Table 1 family point or user charges, with optional fixed kinetic or mass mixing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .charges import CUSTOM_PREFIX, FAMILIES, NAMED_MODELS, charge_family, parse_custom_charges, parse_family_point
from .higgs_mixing import higgs_doublet_charges
from .zprime import MODELS, check_kinetic_mixing, check_tan_beta, fixed_mixing, model_charges, nominal_gz

if TYPE_CHECKING:
    from ..likelihood.precision import PrecisionLikelihood

__all__ = ["G_Z_DEFINITION", "ModelSpec", "check_kinetic_mixing", "check_tan_beta"]

G_Z_DEFINITION = (
    "U(1)' gauge coupling g_z of the PDG Z' review: L > g_z Z'_mu sum_f fbar gamma^mu (z_L P_L + z_R P_R) f, "
    "charges z of PDG Table 1 (SSM: those of the SM Z)"
)


class ModelSpec:
    """A Z' model scanned in its gauge coupling g_z (immutable).

    ``name`` is a named model of the PDG review (:data:`kinmix_stats.model.zprime.MODELS`: B-L, chi,
    psi, eta, R, I, SSM; case-insensitive) or a point ``FAMILY:x`` of a PDG Table 1 family
    (:data:`kinmix_stats.model.charges.FAMILIES`: B-xL, 10+x5bar, d-xu, q+xu; x any finite number).
    ``epsilon`` (kinetic mixing, Hook convention), ``delta_m2`` (Z0-X mass mixing in GeV^2) and
    ``tan_beta`` (mass mixing from the Higgs doublets, growing with g_z; exclusive with ``delta_m2``)
    are fixed inputs of the hypothesis. Every value is validated here (``ValueError`` naming it and the
    accepted choices or range; the mixing by :func:`~kinmix_stats.model.zprime.fixed_mixing`, the one check
    of it), before any likelihood is built.
    """

    __slots__ = ("name", "family", "x", "epsilon", "delta_m2", "tan_beta")
    name: str
    family: str | None
    x: float | None
    epsilon: float
    delta_m2: float
    tan_beta: float | None

    def __init__(self, name: str, *, epsilon: float = 0.0, delta_m2: float = 0.0, tan_beta: float | None = None) -> None:
        accepted = (
            f"a named model ({', '.join(MODELS)}) or a PDG Table 1 family point FAMILY:x with FAMILY one of "
            f"{', '.join(FAMILIES)} and x a finite number (e.g. B-xL:3, 10+x5bar:-1), or charges:Q,U,D,L,E"
        )
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"unknown Z' model {name!r}; accepted: {accepted}")
        text = name.strip()
        canonical: str | None
        family: str | None
        x: float | None
        if text.lower().startswith(CUSTOM_PREFIX):  # user-given charges: charges:Q,U,D,L,E
            canonical, _ = parse_custom_charges(text)
            family, x = "charges", None
        elif ":" in text:
            family, x = parse_family_point(text)  # ValueError names the bad family or x
            canonical = f"{family}:{x:.12g}"
        else:
            canonical = {m.lower(): m for m in MODELS}.get(text.lower())
            if canonical is None:
                raise ValueError(f"unknown Z' model {text!r}; accepted: {accepted}")
            family, x = NAMED_MODELS.get(canonical, (None, None))
        eps, dm2, _ = fixed_mixing(epsilon, delta_m2, tan_beta)  # the one check of the mixing inputs
        tan_beta = None if tan_beta is None else float(tan_beta)
        for slot, value in zip(self.__slots__, (canonical, family, x, eps + 0.0, dm2 + 0.0, tan_beta), strict=True):
            object.__setattr__(self, slot, value)
        if tan_beta is not None:
            higgs_doublet_charges(self.charges())  # SSM or charges without a consistent doublet: ValueError now

    def __setattr__(self, key, value):
        raise AttributeError("ModelSpec is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelSpec) and self.to_metadata() == other.to_metadata()

    def __hash__(self) -> int:
        return hash((self.name, self.epsilon, self.delta_m2, self.tan_beta))

    def __repr__(self) -> str:
        return f"ModelSpec({self.name!r}, epsilon={self.epsilon!r}, delta_m2={self.delta_m2!r}, tan_beta={self.tan_beta!r})"

    def __reduce__(self):
        return (_model_spec, (self.name, self.epsilon, self.delta_m2, self.tan_beta))

    @property
    def is_named(self) -> bool:
        return ":" not in self.name

    @property
    def has_mixing(self) -> bool:
        return self.epsilon != 0.0 or self.delta_m2 != 0.0 or self.tan_beta is not None

    def nominal_gz(self, sm=None) -> float | None:
        """g_z of a named model (:func:`kinmix_stats.model.zprime.nominal_gz`); None for a family point."""
        if not self.is_named:
            return None
        return float(nominal_gz(self.name, sm))

    def charges(self, sm=None):
        """The U(1)' charges (SSM: the SM-Z couplings at ``sm``'s sin^2 theta_W)."""
        if self.is_named:
            return model_charges(self.name, sm)
        if self.family == "charges":
            return parse_custom_charges(self.name)[1]
        return charge_family(self.family, self.x)

    def factory(self, sm_ref=None):
        """The ``ModelFactory`` (coupling argument = g_z, scalar or one per mass) of this hypothesis:
        :func:`kinmix_stats.likelihood.zprime.zprime_factory` for named models and family points alike
        (g_z = 0 is the SM, mixing off too; otherwise a ZPrime with the fixed kinetic mixing and dM^2
        fixed or from :func:`~kinmix_stats.model.higgs_mixing.higgs_mass_mixing`).
        """
        from ..likelihood.zprime import zprime_factory

        # family points: x in full precision (the canonical name rounds it to 12 digits)
        name = self.name if (self.is_named or self.family == "charges") else f"{self.family}:{self.x!r}"
        factory = zprime_factory(name, sm_ref, epsilon=self.epsilon, delta_m2=self.delta_m2, tan_beta=self.tan_beta)
        factory.name, factory.__name__ = self.name, f"zprime_factory_{self.name}"
        return factory

    def likelihood(
        self, *, mw_choice: str | None = "PDG2024", beam_spread_rel: float | None = None, datasets: Sequence[str] | None = None
    ) -> PrecisionLikelihood:
        """The precision likelihood (``datasets``, default all) with this model's factory."""
        from ..likelihood.precision import ASSUMED_BEAM_SPREAD_REL, PrecisionLikelihood

        return PrecisionLikelihood(
            datasets=datasets,
            mw_choice=mw_choice,
            beam_spread_rel=ASSUMED_BEAM_SPREAD_REL if beam_spread_rel is None else beam_spread_rel,
            model_factory=self.factory(),
        )

    def to_metadata(self) -> dict[str, Any]:
        """JSON-ready description (recorded in every output and in the checkpoint key)."""
        return {
            "name": self.name,
            "family": self.family,
            "x": self.x,
            "coupling": "g_z",
            "nominal_g_z": self.nominal_gz(),
            "epsilon": self.epsilon,
            "delta_m2_gev2": self.delta_m2,
            "tan_beta": self.tan_beta,
        }

    @classmethod
    def from_metadata(cls, meta: Any) -> ModelSpec:
        """Inverse of :meth:`to_metadata`."""
        if not isinstance(meta, dict) or "name" not in meta:
            raise ValueError(f"not a Z' model description (no 'name'): {meta!r}")
        return cls(meta["name"], epsilon=meta.get("epsilon", 0.0), delta_m2=meta.get("delta_m2_gev2", 0.0),
                   tan_beta=meta.get("tan_beta"))


def _model_spec(name, epsilon, delta_m2, tan_beta) -> ModelSpec:
    return ModelSpec(name, epsilon=epsilon, delta_m2=delta_m2, tan_beta=tan_beta)
