"""Options shared by the ``kinmix`` commands: click parameter types that validate through the library (so an
error names the option), the Z'-model and overlay option groups, and the output-directory helpers."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np

from .._checks import BEAM_SPREAD_REL_RANGE, check_beam_spread_rel, interval_text

__all__ = [
    "BEAM_SPREAD_REL",
    "CHARGES",
    "ENCODING",
    "INSPIRE_ID",
    "LIMIT_METHODS",
    "MASSES",
    "MODEL",
    "NUMBERS",
    "SCAN_METHODS",
    "SCHEDULER",
    "WIDTH",
    "WIDTHS",
    "Checked",
    "FloatRange",
    "check_out_dir",
    "likelihood_from_options",
    "limit_options",
    "load_config",
    "load_overlays",
    "mass_grid",
    "parse_masses",
    "model_from_options",
    "model_options",
    "overlay_options",
    "read_curves",
    "removed_if_failed",
    "signal_name",
]


class Checked(click.ParamType):
    """A click type that converts text with a library function; its ``ValueError`` becomes click's
    "Invalid value for '--option': ..." (exit status 2), so every error names the option."""

    def __init__(self, name: str, convert: Callable[[str], Any]) -> None:
        self.name = name
        self._convert = convert

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):  # a number from a --config file
            value = str(value)
        if not isinstance(value, str):  # a value already converted
            return value
        try:
            return self._convert(value)
        except ValueError as err:
            self.fail(str(err), param, ctx)


class FloatRange(click.FloatRange):
    """click's ``FloatRange`` that also refuses NaN and infinities (NaN compares False with both bounds)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def _width(text: str) -> str:
    from ..model.dark_sector import parse_width

    parse_width(text)  # the one width parser (API and CLI); the command keeps the text for its messages
    return text


def _widths(text: str) -> list[Any]:
    from ..model.dark_sector import parse_width, width_label

    widths = [parse_width(w) for w in text.split(",")]
    labels = [width_label(w) for w in widths]
    if len(set(labels)) != len(labels):
        raise ValueError(f"{text!r} repeats a width")
    return widths


def _methods(text: str, *, one_cls_engine: bool) -> tuple[str, ...]:
    from ..likelihood.methods import check_methods

    return check_methods(tuple(m.strip() for m in text.split(",")), one_cls_engine=one_cls_engine)


def parse_masses(text: str) -> np.ndarray:
    """``--masses``: 'LO:HI:N' (log-spaced) or 'M1,M2,...' in GeV."""
    from .._checks import check_grid_size, check_masses

    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"{text!r}: expected LO:HI:N (log-spaced) or a comma-separated list")
        try:
            lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
        except ValueError:
            raise ValueError(f"{text!r}: LO and HI must be numbers and N an integer (LO:HI:N)") from None
        if not (0 < lo < hi < float("inf")) or n < 1:
            raise ValueError(f"{text!r}: need 0 < LO < HI < inf and N >= 1")
        check_grid_size(n, "masses (N)")  # before the grid is allocated
        check_masses("masses", [lo, hi])
        return np.geomspace(lo, hi, n)
    items = text.split(",")
    check_grid_size(len(items), "masses (list)")
    try:
        values = np.array([float(x) for x in items])
    except ValueError:
        raise ValueError(f"{text!r}: expected LO:HI:N (log-spaced) or a comma-separated list of numbers (GeV)") from None
    return check_masses("masses", values)


def _masses(text: str) -> str:
    parse_masses(text)  # validated now; the text itself is recorded in the outputs' metadata
    return text


def _numbers(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(f"{text!r}: expected comma-separated numbers") from None


def _model(text: str) -> str:
    from ..model.spec import ModelSpec

    return ModelSpec(text).name  # unknown names and bad family points are refused here


def _charges(text: str) -> str:
    """Q,U,D,L,E or a YAML file with keys q, u, d, l, e -> the model name ``charges:Q,U,D,L,E``."""
    from ..model.charges import CUSTOM_PREFIX, parse_custom_charges

    text = text.strip()
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        import yaml

        path = Path(text)
        if not path.is_file():
            raise ValueError(f"file {text!r} does not exist")
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        keys = ("q", "u", "d", "l", "e")
        if not isinstance(doc, dict) or {str(k).lower() for k in doc} != set(keys):
            raise ValueError(f"{text}: expected a mapping with exactly the keys q, u, d, l, e, got {doc!r}")
        low = {str(k).lower(): v for k, v in doc.items()}
        text = ",".join(str(low[k]) for k in keys)
    return parse_custom_charges(CUSTOM_PREFIX + text)[0]


def _finite(text: str) -> float:
    from .._checks import check_finite

    return check_finite("value", float(text))


def _scheduler(text: str) -> str:
    from ..scan.parallel import check_execution

    check_execution(1, text)  # 'synchronous' or a Dask address protocol://host:port
    return text.strip()


def _kinetic_mixing(text: str) -> float:
    from ..model.zprime import check_kinetic_mixing

    return check_kinetic_mixing(float(text))


def _tan_beta(text: str) -> float:
    from ..model.zprime import check_tan_beta

    return check_tan_beta(float(text))


def _beam_spread_rel(text: str) -> float:
    return check_beam_spread_rel(float(text))  # the check of PrecisionLikelihood(beam_spread_rel=...)


def _inspire_id(text: str) -> str:
    from .._checks import check_inspire_id

    return check_inspire_id(text, name="") or text


def _encoding(text: str) -> str:
    from .._checks import check_choice
    from ..io.workspaces import ENCODINGS

    return check_choice("encoding", text, ENCODINGS)


WIDTH = Checked("width", _width)
WIDTHS = Checked("widths", _widths)
SCHEDULER = Checked("address", _scheduler)
SCAN_METHODS = Checked("methods", lambda t: _methods(t, one_cls_engine=True))
LIMIT_METHODS = Checked("methods", lambda t: _methods(t, one_cls_engine=False))
MASSES = Checked("masses", _masses)
NUMBERS = Checked("numbers", _numbers)
MODEL = Checked("model", _model)
CHARGES = Checked("charges", _charges)
INSPIRE_ID = Checked("inspire_id", _inspire_id)
ENCODING = Checked("encoding", _encoding)
BEAM_SPREAD_REL = Checked("float", _beam_spread_rel)


def mass_grid(masses: str | None, likelihood, model) -> np.ndarray:
    """The sorted unique grid of ``--masses``, or the default grid (of the dark photon or of a Z' model)."""
    from .._checks import as_positive_array
    from ..scan import default_mass_grid, default_model_mass_grid

    if masses is None:
        grid = default_mass_grid(likelihood=likelihood) if model is None else default_model_mass_grid(likelihood=likelihood)
    else:
        grid = parse_masses(masses)
    return np.unique(as_positive_array("masses", grid, unit="GeV"))


def limit_options(methods: Checked):
    """--method (``methods``: :data:`SCAN_METHODS` or :data:`LIMIT_METHODS`), --cl, and the likelihood's
    --beam-spread-rel and --mw-choice: what a limit depends on, the same for every command that computes one."""
    options = [
        click.option("--method", type=methods, default="cls,chi2", show_default=True,
                     help="Comma-separated: cls (fast closed form), exact (iminuit, exact non-linear likelihood), chi2, "
                          "pyhf (pyhf upper_limit with minuit on the exported workspace; seconds per mass)."),
        click.option("--cl", "cl", type=FloatRange(0.0, 1.0, min_open=True, max_open=True), default=0.95,
                     show_default=True,
                     help="Confidence level in (0, 1): CLs = 1 - CL; for chi2 the Delta chi^2 of that CL (1 dof, 3.84 at 0.95)."),
        click.option("--beam-spread-rel", type=BEAM_SPREAD_REL, default=None,
                     help=f"Assumed relative c.m. energy spread (default 1e-3), in {interval_text(*BEAM_SPREAD_REL_RANGE)}."),
        click.option("--mw-choice", default="PDG2024", show_default=True, help="W-mass determination."),
    ]

    def decorate(fn):
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def likelihood_from_options(beam_spread_rel: float | None, mw_choice: str, model=None):
    """The likelihood of ``--beam-spread-rel``/``--mw-choice`` (the shared default one when both are defaults)."""
    from ..likelihood.limits import default_likelihood
    from ..likelihood.precision import ASSUMED_BEAM_SPREAD_REL, PrecisionLikelihood

    try:
        if model is not None:
            return model.likelihood(mw_choice=mw_choice, beam_spread_rel=beam_spread_rel)
        if (beam_spread_rel is None or beam_spread_rel == ASSUMED_BEAM_SPREAD_REL) and mw_choice == "PDG2024":
            return default_likelihood()
        return PrecisionLikelihood(
            mw_choice=mw_choice, beam_spread_rel=ASSUMED_BEAM_SPREAD_REL if beam_spread_rel is None else beam_spread_rel
        )
    except ValueError as err:  # --beam-spread-rel is range-checked by click: what is left is the W-mass choice
        raise click.BadParameter(str(err), param_hint="'--mw-choice'") from None


_MODEL_HELP = (
    "Z' model: B-L, chi, psi, eta, R, I, SSM (PDG review) or a PDG Table 1 family point FAMILY:x with FAMILY "
    "B-xL, 10+x5bar, d-xu or q+xu (e.g. B-xL:3, 10+x5bar:-1). Limits are then on the U(1)' gauge coupling g_z. "
    "Default: the dark photon (limits on eps)."
)


def model_options(fn):
    """--model and the options of a Z' hypothesis (meaningful only with --model)."""
    options = [
        click.option("--model", "model_name", type=MODEL, default=None, metavar="NAME|FAMILY:x", help=_MODEL_HELP),
        click.option("--charges", "charges", type=CHARGES, default=None, metavar="Q,U,D,L,E|FILE.yaml",
                     help="Instead of --model: any U(1)' by its charges of Q_L, u_R, d_R, L_L, e_R (numbers or fractions, "
                          "e.g. 1/3,1/3,1/3,-1,-1 = B-L), or a YAML file with keys q, u, d, l, e."),
        click.option("--g-z", "g_z", type=FloatRange(0.0, 1.5, min_open=True, max_open=True), default=None,
                     help="With --model: the g_z whose exclusion is reported (default: the named model's nominal g_z; "
                          "family points have none, so nothing is tested without it)."),
        click.option("--epsilon", "mix_epsilon", type=Checked("float", _kinetic_mixing), default=None,
                     help="With --model: fixed kinetic mixing, Hook convention, in (-pi/2, pi/2) (default 0)."),
        click.option("--delta-m2", "delta_m2", type=Checked("float", _finite), default=None,
                     help="With --model: fixed Z-Z' mass mixing dM^2 in GeV^2 (default 0)."),
        click.option("--tan-beta", "tan_beta", type=Checked("float", _tan_beta), default=None,
                     help="With --model: Z-Z' mass mixing from the Higgs doublets at this tan(beta) > 0 (instead of --delta-m2)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def model_from_options(model_name, g_z, mix_epsilon, delta_m2, tan_beta, charges=None):
    """(ModelSpec or None, tested g_z or None) of the model options; :class:`~kinmix_stats.model.ModelSpec`
    validates the hypothesis (the one place); an option that needs --model without it is refused."""
    from ..model.spec import ModelSpec

    if charges is not None:
        if model_name is not None:
            raise click.UsageError(f"give either --model ({model_name!r}) or --charges ({charges!r}), not both")
        model_name = charges
    if model_name is None:
        given = [name for name, v in (("--g-z", g_z), ("--epsilon", mix_epsilon), ("--delta-m2", delta_m2),
                                      ("--tan-beta", tan_beta)) if v is not None]
        if given:
            raise click.UsageError(f"{', '.join(given)} need(s) --model (the dark photon is scanned in eps and has no such input)")
        return None, None
    if tan_beta is not None and delta_m2 is not None:
        raise click.UsageError(f"give either --delta-m2 ({delta_m2!r} GeV^2) or --tan-beta ({tan_beta!r}), not both")
    try:
        spec = ModelSpec(model_name, epsilon=0.0 if mix_epsilon is None else mix_epsilon,
                         delta_m2=0.0 if delta_m2 is None else delta_m2, tan_beta=tan_beta)
    except ValueError as err:  # e.g. --tan-beta for a model without a consistent Higgs doublet
        raise click.BadParameter(str(err), param_hint="'--model'") from None
    return spec, (spec.nominal_gz() if g_z is None else float(g_z))


def overlay_options(fn):
    """--overlay NAME... and --external-dir of the commands that draw exclusion plots."""
    fn = click.option("--external-dir", "external_dir", type=click.Path(exists=True, file_okay=False), default=None,
                      help="Folder with the Darkcast .lmt files (GPL, not shipped; default $KINMIX_EXTERNAL_LIMITS, "
                           "else ../shared/data/limits).")(fn)
    fn = click.option("--overlay", "overlay_names", multiple=True, metavar="NAME[,NAME...]",
                      help="Published limits to draw (repeatable; 'none' for none). Default: Hook et al. EW fit and BaBar "
                           "(shipped), LHCb, CMS and the muon g-2 band (when their files are found). Names: see "
                           "kinmix_stats.plotting.exclusion.overlay_names().")(fn)
    return fn  # noqa: RET504 - one decorator per statement reads better


def load_overlays(names: tuple[str, ...], external_dir: str | None, echo: bool = True):
    """Load the requested overlays; print what is drawn and what was skipped and why."""
    from ..plotting.exclusion import DEFAULT_OVERLAYS, resolve_overlays

    wanted = [n.strip() for text in names for n in text.split(",") if n.strip()] or list(DEFAULT_OVERLAYS)
    if wanted == ["none"]:
        return []
    try:
        loaded, skipped = resolve_overlays(wanted, external_dir)
    except ValueError as err:  # an unknown overlay name
        raise click.BadParameter(str(err), param_hint="'--overlay'") from None
    if echo:
        click.echo("overlays drawn: " + (", ".join(o.name for o in loaded) or "none"))
        for name, reason in skipped:
            click.echo(f"overlay skipped: {name}: {reason}")
    return loaded


def check_out_dir(text: str) -> Path:
    """``--out``: an existing writable directory or one that can be created; nothing is created here."""
    import os

    out = Path(text)
    if not text.strip():
        raise click.BadParameter("must name a directory, got an empty string", param_hint="'--out'")
    if out.exists():
        if not out.is_dir():
            raise NotADirectoryError(f"--out {text!r} is an existing file, not a directory")
        if not os.access(out, os.W_OK | os.X_OK):
            raise PermissionError(f"--out {text!r}: directory is not writable")
        return out
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise NotADirectoryError(f"--out {text!r} cannot be created: {str(parent)!r} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"--out {text!r} cannot be created: {str(parent)!r} is not writable")
    return out


def read_curves(from_dir) -> list:
    """The verified limits_<width>.json of a previous scan (content hash checked, no incomplete set)."""
    from ..io.curves import read_limits_json
    from ..io.outputset import check_not_incomplete

    check_not_incomplete(from_dir)
    files = sorted(Path(from_dir).glob("limits_*.json"))
    if not files:
        raise ValueError(f"no limits_<width>.json in {from_dir}")
    return [read_limits_json(f) for f in files]


class removed_if_failed:
    """Remove ``path`` if this command created it and fails before writing anything into it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.existed = self.path.exists()

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and not self.existed and self.path.is_dir():
            with contextlib.suppress(OSError):
                self.path.rmdir()  # only if empty: never removes what was written


def load_config(ctx: click.Context, value: str | None) -> None:
    """``--config FILE``: a YAML mapping of option names (``beam-spread-rel`` or ``beam_spread_rel``) to values,
    used as the command's defaults (``ctx.default_map``); lists become comma-separated values."""
    if value is None:
        return
    import yaml

    try:
        doc = yaml.safe_load(Path(value).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise click.BadParameter(f"{value}: not valid YAML ({err})", ctx=ctx, param_hint="--config") from None
    if not isinstance(doc, dict):
        raise click.BadParameter(f"{value}: expected a mapping of option names to values", ctx=ctx, param_hint="--config")
    options: dict[str, click.Option] = {}
    for param in ctx.command.params:
        if isinstance(param, click.Option) and param.name and param.expose_value:
            for flag in param.opts + param.secondary_opts:
                if flag.startswith("--"):
                    options[flag[2:]] = param
            options[param.name] = param
    defaults: dict[str, object] = {}
    for key, raw in doc.items():
        opt = options.get(str(key)) or options.get(str(key).replace("_", "-"))
        if opt is None or opt.name is None:
            accepted = sorted(k for k in options if "_" not in k)
            raise click.BadParameter(f"{value}: unknown option {key!r}; accepted: {', '.join(accepted)}", ctx=ctx,
                                     param_hint="--config")
        val: object = raw  # booleans stay booleans (--plot/--no-plot); lists join for comma-separated options
        if isinstance(raw, list):
            val = list(raw) if opt.multiple else ",".join(str(v) for v in raw)
        elif opt.multiple:
            val = [raw]
        defaults[opt.name] = val
    ctx.default_map = {**(ctx.default_map or {}), **defaults}


def signal_name(signum: int) -> str:
    import signal as _signal

    try:
        return _signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
