"""One observable registry for predictions and data files (no second ObservableSpec to drift)."""

from __future__ import annotations

import pytest
import yaml

from kinmix_stats.measurements import OBSERVABLES, CatalogueError, load_dataset
from kinmix_stats.measurements.schema import CATALOGUE_UNITS
from kinmix_stats.observables.registry import REGISTRY


def _entry(observable: str, unit: str) -> dict:
    return {"id": f"{observable}_x", "observable": observable, "kinematics": {}, "value": 0.9, "stat": 0.09,
            "syst": 0.0, "sm": 0.935, "sm_source": "test", "unit": unit,
            "source": {"arxiv": "hep-ex/0509008", "table": "Table 5.11"}}


def _dataset(tmp_path, *entries: dict):
    doc = {"dataset": "test_set", "description": "test", "caveats": [],
           "source": {"reference": "SLD, hep-ex/0509008", "arxiv": "hep-ex/0509008", "table": "Table 5.11"},
           "measurements": list(entries)}
    path = tmp_path / "test_set.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_data_files_and_predictions_share_one_registry():
    assert OBSERVABLES is REGISTRY
    assert set(CATALOGUE_UNITS) == set(REGISTRY)
    assert CATALOGUE_UNITS["dsigma_bhabha"] == ("ratio_to_SM",)  # Bhabha data are published as ratios to the SM
    assert CATALOGUE_UNITS["sigma_had0"] == ("nb",) and CATALOGUE_UNITS["A_e"] == ("1",)


def test_a_s_is_accepted_by_data_files_as_it_is_predicted(tmp_path):
    """The two registries used to disagree on A_s (predicted, but refused by the data schema)."""
    ds = load_dataset(_dataset(tmp_path, _entry("A_s", "1")))
    assert [m.observable for m in ds.measurements] == ["A_s"]
    with pytest.raises(CatalogueError, match=r"unit 'GeV' not allowed for 'A_s'; allowed \['1'\]"):
        load_dataset(_dataset(tmp_path, _entry("A_s", "GeV")))
