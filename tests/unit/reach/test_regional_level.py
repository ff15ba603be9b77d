"""The optional shared regional level of the login shares: format, loading, effect."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import yaml
from support import REPO

from inkorg_kit import reach
from inkorg_kit.config.assumptions import PACKAGED_DEFAULTS_PATH, RegionalLevel
from inkorg_kit.reach import AGE_BANDS, AssumptionsError
from inkorg_kit.reach.fit import write_fitted

DEFAULTS = REPO / "params" / "reach_defaults.yaml"
SIZES = (4000, 6000, 9000, 12000, 5000, 3500, 1200)


def _target() -> pl.DataFrame:
    return pl.DataFrame({"age_band": list(AGE_BANDS), "n": list(SIZES)})


def test_defaults_have_a_regional_level_with_its_reasoning():
    a = reach.load_assumptions()
    assert isinstance(a.regional_level, RegionalLevel)
    sd = a.regional_level.login_sd_logit
    assert 0.2 <= sd.value <= 0.5
    assert "Stockholm" in sd.source and "Skåne" in sd.source and "Assumption" in sd.source
    assert "regional_level" in DEFAULTS.read_text(encoding="utf-8").split("format_version")[0]
    assert DEFAULTS.read_bytes() == PACKAGED_DEFAULTS_PATH.read_bytes()


def test_optional_validated_and_written(tmp_path):
    raw = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    del raw["regional_level"]  # a fitted_reach.yaml of an earlier campaign
    old = reach.load_assumptions(raw)
    assert old.regional_level is None
    bad = dict(raw, regional_level={"login_sd_logit": {"value": -0.1, "source": "test"}})
    with pytest.raises(AssumptionsError, match="login_sd_logit must be 0 or more"):
        reach.load_assumptions(bad)
    with pytest.raises(AssumptionsError, match="source"):
        reach.load_assumptions(dict(raw, regional_level={"login_sd_logit": {"value": 0.2}}))
    # written by to_yaml / write_fitted when present, left out when not
    with_level = reach.load_assumptions()
    path = write_fitted(with_level, tmp_path)
    assert reach.load_assumptions(path).regional_level == with_level.regional_level
    assert "regional_level" not in old.to_yaml(tmp_path / "old.yaml").read_text(encoding="utf-8")


def test_shared_level_widens_totals_and_keeps_the_expected_counts():
    a = reach.load_assumptions()
    none = a.model_copy(update={"regional_level": None})
    shared = reach.simulate(_target(), a, draws=3000, seed=2)
    alone = reach.simulate(_target(), none, draws=3000, seed=2)
    rows = {r["measure"]: r for r in shared.summary.iter_rows(named=True)}
    base = {r["measure"]: r for r in alone.summary.iter_rows(named=True)}

    def width(r: dict) -> float:
        return r["high"] - r["low"]

    for code in ("messageable", "read_24h", "no_login"):
        # the shift is centred: the expected counts are the prior means' products
        assert rows[code]["expected"] == pytest.approx(base[code]["expected"], rel=1e-12)
        assert width(rows[code]) > width(base[code])
    # login shares move together: much wider on messageable (reads are dominated by the doubt
    # about reading, which the shared level does not touch)
    assert width(rows["messageable"]) > 1.3 * width(base["messageable"])
    login = sum(n * a.bands[b].login_share.mean for b, n in zip(AGE_BANDS, SIZES, strict=True))
    assert rows["messageable"]["expected"] == pytest.approx(login)
    # and the Monte Carlo mean agrees with it (the centring is right)
    drawn = shared.draws_frame()["messageable"].to_numpy()
    assert abs(drawn.mean() - login) < 4 * drawn.std() / np.sqrt(len(drawn))
