"""The pyhf file pair of a set of hypotheses: ``bkgonly.json`` (pyhf workspace schema 1.0.0) and ``patchset.json``
(pyhf patchset schema 1.0.0, the layout ATLAS publishes on HEPData: the sha256 ``pyhf digest`` of the
background-only workspace, ``labels`` naming the hypothesis coordinates, one patch per hypothesis), written
streamed and as one :func:`~kinmix_stats.io.atomic.atomic_group` (:func:`write_patchset`) and read back with the
digest checked (:func:`load_and_verify`). What goes into them is :mod:`kinmix_stats.io.workspaces`.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .atomic import atomic_group

__all__ = ["BKG_ONLY_FILE", "PATCHSET_FILE", "load_and_verify", "write_patchset"]

BKG_ONLY_FILE = "bkgonly.json"
PATCHSET_FILE = "patchset.json"

_LABEL_RE = re.compile(r"^[a-zA-Z0-9_]+$")
_HEPDATA_RE = re.compile(r"^ins[0-9]{7}$")


def _json_value(v: Any) -> Any:
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or not hasattr(v, "__float__"):
        raise ValueError(f"patch values must be numbers or strings, got {v!r}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"patch values must be finite, got {v!r}")
    return f


def _check_patch(entry: Any, keys: list[str] | None, seen: set[str]) -> tuple[dict[str, Any], list[str]]:
    try:
        label, values, ops = entry
    except (TypeError, ValueError) as err:
        raise ValueError(f"each patch must be a (label, values, ops) tuple, got {entry!r}") from err
    if not isinstance(label, str) or not _LABEL_RE.match(label):
        raise ValueError(f"patch label must match ^[a-zA-Z0-9_]+$, got {label!r}")
    if label in seen:
        raise ValueError(f"patch label {label!r} is used twice; labels must be unique")
    seen.add(label)
    if not isinstance(values, Mapping) or not values:
        raise ValueError(f"values of patch {label!r} must be a non-empty mapping, got {values!r}")
    these = [str(k) for k in values]
    if keys is None:
        bad = [k for k in these if not _LABEL_RE.match(k)]
        if bad:
            raise ValueError(f"value names {bad} must match ^[a-zA-Z0-9_]+$ (they become patchset labels)")
    elif these != keys:
        raise ValueError(f"patch {label!r} has value names {these}, expected {keys} (same order)")
    spec = {"metadata": {"name": label, "values": [_json_value(v) for v in values.values()]}, "patch": list(ops)}
    return spec, these


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def write_patchset(
    bkg_only: Mapping[str, Any],
    patches: Iterable[tuple[str, Mapping[str, Any], list[dict[str, Any]]]],
    out_dir: str | os.PathLike[str],
    *,
    description: str,
    references: Mapping[str, str],
    extra_metadata: Mapping[str, Any] | None = None,
    validate_patches: bool = False,
    sidecars: Mapping[str, str] | None = None,
    replaces: Iterable[str] = (),
) -> tuple[Path, Path]:
    """Write ``bkgonly.json`` and ``patchset.json`` (and ``sidecars``) into ``out_dir`` atomically.

    Patches are streamed: each is validated and serialised as it comes, so a patchset of thousands of
    hypotheses never sits in memory (an iterator/generator is the intended input). The patchset file
    is compact JSON with one patch per line.

    Args:
        bkg_only: background-only workspace spec (e.g. from
            :func:`~kinmix_stats.likelihood.whitened.background_only`).
        patches: ``(label, values, ops)`` per hypothesis: ``label`` matching ``^[a-zA-Z0-9_]+$``
            (unique), ``values`` an ordered mapping of hypothesis coordinates (the same keys, in
            the same order, for every patch; keys become the patchset ``labels``), ``ops`` the
            JSON-Patch operations adding the signal.
        out_dir: target directory (created if missing).
        description: patchset ``metadata.description``.
        references: patchset ``metadata.references``; pyhf's schema 1.0.0 requires at least one
            entry and allows only ``hepdata`` (``"ins"`` + 7 digits, the INSPIRE record id), so a
            value is mandatory; no default is invented here.
        extra_metadata: additional keys merged into ``metadata`` (the schema allows them).
        validate_patches: apply every patch and validate the resulting workspace (slow for thousands
            of patches). The first patch is always validated with pyhf's patchset schema and applied;
            every patch's label, values and operation paths are checked.
        sidecars: ``{file name: text}`` written verbatim next to the two files (e.g. ``whitening.json``, whose
            sha256 the patchset metadata records).
        replaces: sidecar names of a previous export (another encoding) that this one replaces: removed from
            ``out_dir``, if present and not in ``sidecars``, when the new files are in place.

    Returns:
        ``(bkgonly_path, patchset_path)``.

    Raises:
        ValueError: on bad labels, values or references, or if pyhf's schema validation fails;
            nothing is written (or replaced) in that case.
    """
    if not isinstance(description, str) or not description.strip():
        raise ValueError(f"description must be a non-empty string, got {description!r}")
    refs = dict(references) if isinstance(references, Mapping) else {}
    if not refs or set(refs) - {"hepdata"} or not all(_HEPDATA_RE.match(str(v)) for v in refs.values()):
        raise ValueError(
            f"references must be {{'hepdata': 'ins1234567'}} (pyhf patchset schema 1.0.0), got {references!r}"
        )
    side = dict(sidecars or {})
    for name, text in side.items():
        if name in (BKG_ONLY_FILE, PATCHSET_FILE) or "/" in name or not name.endswith(".json"):
            raise ValueError(f"sidecar file name must be a plain *.json name other than the two workspace files, got {name!r}")
        if not isinstance(text, str):
            raise ValueError(f"sidecar {name!r} must be given as text (str), got {type(text).__name__}")

    import jsonpatch
    import pyhf
    from pyhf.patchset import PatchSet

    stale = [name for name in replaces if name not in side]
    for name in stale:
        if name in (BKG_ONLY_FILE, PATCHSET_FILE) or "/" in name:
            raise ValueError(f"replaces must name sidecar files, got {name!r}")
    try:
        workspace = pyhf.Workspace(dict(bkg_only))
    except Exception as err:  # pyhf raises its own schema exceptions
        raise ValueError(f"bkg_only is not a valid pyhf 1.0.0 workspace: {err}") from err
    n_channels = len(workspace["channels"])

    out = Path(out_dir)
    with atomic_group(out) as group:  # all files appear together, or none (a failure leaves no partial file)
        group.write_text(BKG_ONLY_FILE, json.dumps(dict(workspace), indent=1, sort_keys=False, allow_nan=False) + "\n")
        fh = group.open(PATCHSET_FILE)
        keys: list[str] | None = None
        seen: set[str] = set()
        count = 0
        metadata: dict[str, Any] | None = None
        for entry in patches:
            spec, these = _check_patch(entry, keys, seen)
            for op in spec["patch"]:
                path = op.get("path", "") if isinstance(op, Mapping) else ""
                parts = path.split("/")
                if len(parts) < 3 or parts[1] != "channels" or not parts[2].isdigit() or int(parts[2]) >= n_channels:
                    raise ValueError(f"patchset failed pyhf validation: patch {spec['metadata']['name']!r}: operation path {path!r} is not a /channels/<i>/... path of this workspace")
            if keys is None:
                keys = these
                metadata = dict(extra_metadata or {})
                metadata.update({
                    "description": description,
                    "digests": {"sha256": pyhf.utils.digest(workspace, algorithm="sha256")},
                    "labels": keys,
                    "references": refs,
                })
                try:
                    first = PatchSet({"metadata": metadata, "patches": [spec], "version": "1.0.0"})
                    pyhf.Workspace(first.patches[0].apply(workspace))
                except Exception as err:
                    raise ValueError(f"patchset failed pyhf validation: {err}") from err
                fh.write('{"metadata":' + _dumps(metadata) + ',\n"patches":[\n')
            elif validate_patches:
                try:
                    pyhf.Workspace(jsonpatch.apply_patch(dict(workspace), spec["patch"]))
                except Exception as err:
                    raise ValueError(f"patch {spec['metadata']['name']!r} failed pyhf validation: {err}") from err
            fh.write((",\n" if count else "") + _dumps(spec))
            count += 1
        if not count:
            raise ValueError("patches must contain at least one (label, values, ops) entry")
        fh.write('\n],\n"version":"1.0.0"}\n')
        for name, text in side.items():
            group.write_text(name, text)
        for name in stale:  # e.g. whitening.json of a whitened export replaced by a per-measurement one
            group.remove(name)
    return out / BKG_ONLY_FILE, out / PATCHSET_FILE


def load_and_verify(out_dir: str | os.PathLike[str]) -> tuple[Any, Any]:
    """Load ``bkgonly.json`` and ``patchset.json`` from ``out_dir``, validate both and check the digest.

    Returns:
        ``(workspace, patchset)`` (a ``pyhf.Workspace`` and a ``pyhf.patchset.PatchSet``).

    Raises:
        FileNotFoundError: if a file is missing.
        ValueError: if a file is not valid JSON or fails schema validation, or if the patchset's
            sha256 digest does not match the background-only workspace.
    """
    import pyhf
    from pyhf.patchset import PatchSet

    out = Path(out_dir)
    loaded = []
    for name in (BKG_ONLY_FILE, PATCHSET_FILE):
        path = out / name
        with path.open(encoding="utf-8") as fh:
            try:
                loaded.append(json.load(fh))
            except json.JSONDecodeError as err:
                raise ValueError(f"{path} is not valid JSON: {err}") from err
    try:
        workspace = pyhf.Workspace(loaded[0])
        patchset = PatchSet(loaded[1])
    except Exception as err:
        raise ValueError(f"schema validation failed in {out}: {err}") from err
    try:
        patchset.verify(workspace)
    except Exception as err:
        raise ValueError(f"{out / PATCHSET_FILE} does not belong to {out / BKG_ONLY_FILE}: {err}") from err
    return workspace, patchset
