"""Pieces shared by the limit-curve writers (CSV/JSON in ``curves``, ``hepdata``, ``root``).

Definitions of the coupling conventions written into every output, method labels per column, curve-list
checks and the reproducible-container helpers (fixed timestamps for tar.gz and ROOT files).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..results import LimitCurve

#: Human-readable definition of each ε convention, written into every output ("⊃": "contains the term").
EPSILON_DEFINITIONS: dict[str, str] = {
    "hook": "Hook, Izaguirre, Wacker (arXiv:1006.0973) eps: L ⊃ -(sin eps / 2) F'_{mu nu} B^{mu nu}",
    "epsilon_gamma": "photon-like eps_gamma: the Z' couples as eps_gamma * e * Q at m_Z' << m_Z",
    "chi": "PDG Z' review chi = sin(eps): L ⊃ -(chi / 2) B_{mu nu} Z'^{mu nu}",
}
#: Definition of g_z written into every output of a g_z curve.
GZ_DEFINITION = (
    "U(1)' gauge coupling g_z of the PDG Z' review (Chen, Dobrescu, Willocq): L ⊃ g_z Z'_mu sum_f fbar gamma^mu "
    "(z_L(f) P_L + z_R(f) P_R) f with the charges z of the model (PDG Table 1); any kinetic mixing (Hook eps) "
    "or Z-Z' mass mixing is a fixed input listed in the metadata"
)
SYMBOL = {"epsilon": "EPSILON", "g_z": "G_Z"}
_CLS = "CLs, q~mu test statistic, asymptotic"
#: (label, method) of every limit column.
METHOD = {
    "eps95_obs": ("observed", _CLS),
    "eps95_exp": ("expected (median)", _CLS),
    "eps95_exp_m2": ("expected -2 sigma", _CLS),
    "eps95_exp_m1": ("expected -1 sigma", _CLS),
    "eps95_exp_p1": ("expected +1 sigma", _CLS),
    "eps95_exp_p2": ("expected +2 sigma", _CLS),
    "eps95_chi2": ("observed (chi2 cross-check)", "Delta chi2 = 3.84 (Hook et al. Eq. 17, E_min filter Eq. 19)"),
}


def definition(convention: str) -> str:
    return EPSILON_DEFINITIONS[convention]


def check_curves(curves: LimitCurve | Iterable[LimitCurve], where: str) -> list[LimitCurve]:
    """The curves as a non-empty list of non-empty ``LimitCurve``s with distinct widths (else ``ValueError``)."""
    items = [curves] if isinstance(curves, LimitCurve) else list(curves)
    if not items:
        raise ValueError(f"{where}: no curves given")
    for c in items:
        if not isinstance(c, LimitCurve):
            raise ValueError(f"{where}: expected LimitCurve objects, got {type(c).__name__}")
        if len(c) == 0:
            raise ValueError(f"{where}: curve for width {c.width!r} has no points")
    widths = [c.width for c in items]
    dupes = sorted({w for w in widths if widths.count(w) > 1})
    if dupes:
        raise ValueError(f"{where}: more than one curve for width(s) {dupes}; one table/directory per width")
    return items


@contextlib.contextmanager
def chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def source_date_epoch() -> int:
    """Timestamp written into binary containers: $SOURCE_DATE_EPOCH (reproducible-builds convention),
    default 946684800 = 2000-01-01T00:00:00Z (ROOT's TDatime cannot represent dates before 1995), so
    the same inputs give byte-identical ROOT and tar.gz files. Validated (integer, 1995-2058) by
    :func:`kinmix_stats._env.source_date_epoch`."""
    from .._env import source_date_epoch as _validated

    return _validated()


def deterministic_tarball(directory: Path) -> bytes:
    """gzip'ed tar (bytes) of the files directly in ``directory``, fixed order, owners and times."""
    import gzip
    import tarfile

    epoch = source_date_epoch()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for f in sorted(p for p in directory.iterdir() if p.is_file()):
            data = f.read_bytes()
            info = tarfile.TarInfo(f.name)
            info.size, info.mtime, info.mode = len(data), epoch, 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=epoch) as gz:
        gz.write(buf.getvalue())
    return out.getvalue()


@contextlib.contextmanager
def fixed_root_clock() -> Iterator[None]:
    """Make uproot write a fixed creation time (its writer calls ``datetime.datetime.now()``)."""
    import datetime as dt

    import uproot.writing._cascade as cascade
    import uproot.writing._cascadentuple as cascadentuple
    import uproot.writing._cascadetree as cascadetree
    from uproot.writing import writable

    fixed = dt.datetime.fromtimestamp(source_date_epoch(), tz=dt.timezone.utc).replace(tzinfo=None)

    class _Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ARG003 - signature of datetime.now
            return fixed

    class _Module:
        datetime = _Clock

    modules = (cascade, cascadentuple, cascadetree, writable)
    originals = [m.datetime for m in modules]
    for m in modules:
        m.datetime = _Module
    try:
        yield
    finally:
        for m, orig in zip(modules, originals, strict=True):
            m.datetime = orig


def fixed_uuid():
    import uuid

    return uuid.UUID(int=0)
