"""Unit tests of pipeline.monitoring on a tiny reconciled series, expected values worked by hand.

14 months, January 2008 to February 2009, two areas and the County:

- East: cpp_open 50 in January 2008; each month 5 plans start and 3 end, so it
  rises by 2 a month to 50 + 2 x 13 = 76 in February 2009.
- West: cpp_open 30 throughout (2 start, 2 end each month).
- County = East + West: 80 in January 2008, 82 in February 2008, 106 in
  February 2009. Change over the twelve months to February 2009 =
  (106 - 82) / 82 = 29.27%.
- County referrals: 100, 104, 100, 104, ... for the 12 baseline months (mean 102,
  average moving range 4, upper limit 102 + 2.66 x 4 = 112.64), then 130 in
  January 2009 (above the limit: special cause, high) and 102 in February 2009.
  Alternating points never make a run of 7 on one side or a trend of 6, and only
  130 is beyond 2 sigma (102 + 2 x 4 / 1.128 = 109.09), so it is the one signal.
- s47_enquiries (20) and icpcs (10) are constant: no signal.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from pipeline import monitoring as mon

MONTHS = pd.date_range("2008-01-01", periods=14, freq="MS")
REFERRALS = [100, 104] * 6 + [130, 102]


@pytest.fixture
def monitoring() -> pd.DataFrame:
    rows = []
    for i, m in enumerate(MONTHS):
        east = dict(area="East", referrals=REFERRALS[i] - 40, s47_enquiries=12, icpcs=6,
                    cpp_started=5, cpp_ended=3, cpp_open=50 + 2 * i)
        west = dict(area="West", referrals=40, s47_enquiries=8, icpcs=4,
                    cpp_started=2, cpp_ended=2, cpp_open=30)
        county = {k: (east[k] + west[k] if k != "area" else "County") for k in east}
        rows += [dict(month=m, **r) for r in (west, county, east)]
    df = pd.DataFrame(rows).sample(frac=1, random_state=3)  # any row order
    for c in mon.COUNT_COLUMNS:
        df[c] = df[c].astype("Int64")
    return df


def test_county_counts_and_net_change(monitoring, params):
    got = mon.county_table(monitoring, params, child_population=20_000)
    assert got["month"].tolist() == list(MONTHS)
    assert got["cpp_open"].tolist() == [80 + 2 * i for i in range(14)]
    net = got["cpp_open_net_change_n"]
    assert pd.isna(net.iloc[0])  # first month: not known
    assert net.iloc[1:].tolist() == [2] * 13
    assert str(net.dtype) == "Int64"
    # 80 / 20,000 x 10,000 = 40 per 10,000 children
    assert got["cpp_open_per_10k"].iloc[0] == 40.0
    assert got["referrals_per_10k"].iloc[0] == 50.0


def test_rates_blank_without_population(monitoring, params):
    got = mon.county_table(monitoring, params)
    assert got["cpp_open_per_10k"].isna().all()


def test_referrals_special_cause(monitoring, params):
    got = mon.county_table(monitoring, params)
    assert got["referrals_mean"].iloc[0] == 102.0
    assert got["referrals_ucl"].iloc[0] == pytest.approx(112.64)
    assert got["referrals_lcl"].iloc[0] == pytest.approx(91.36)
    expected = [False] * 12 + [True, False]
    assert got["referrals_is_special_cause"].tolist() == expected
    assert got["referrals_is_outside_limits"].tolist() == expected
    assert not got["s47_enquiries_is_special_cause"].any()
    assert not got["icpcs_is_special_cause"].any()


def test_signals(monitoring, params):
    county = mon.county_table(monitoring, params)
    sig = mon.signals_table(county)
    ref = sig[sig["measure"] == "referrals"].reset_index(drop=True)
    expected = pd.DataFrame(
        {
            "measure": ["referrals"],
            "month": pd.to_datetime(["2009-01-01"]),
            "value": [130.0],
            "mean": [102.0],
            "direction": ["high"],
            "rules": ["outside limits"],
            "lcl": [91.36], "ucl": [112.64], "period": [1], "is_period_start": [False],
        }
    )
    assert_frame_equal(ref, expected, check_dtype=False)
    assert set(sig["measure"]) <= {"referrals", "cpp_open"}
    # cpp_open 80, 82, ..., 106. Baseline (12 months, 80..102) mean 91: the months from
    # July 2008 (92) on are all above it, a run of 8 >= 7, so July 2008 starts period 2.
    # Period 1 (80..90): mean 85, limits 85 -/+ 2.66 x 2 = 79.68 and 90.32.
    # Period 2 (92..106, 8 months, fewer than 12): mean 99, limits 93.68 and 104.32:
    # July 2008 (92) is below, February 2009 (106) above. Every point rises: trends.
    cpp = sig[sig["measure"] == "cpp_open"].reset_index(drop=True)
    assert len(cpp) == 14 and cpp["rules"].str.contains("trend").all()
    assert cpp["period"].tolist() == [1] * 6 + [2] * 8
    assert cpp["is_period_start"].tolist() == [False] * 6 + [True] + [False] * 7
    assert cpp.loc[0, "mean"] == 85.0 and cpp.loc[6, "mean"] == 99.0
    assert cpp.loc[6, "lcl"] == pytest.approx(93.68) and cpp.loc[13, "ucl"] == pytest.approx(104.32)
    july, last = cpp.iloc[6], cpp.iloc[-1]
    assert (july["direction"], last["direction"]) == ("low", "high")
    assert "outside limits" in july["rules"] and "outside limits" in last["rules"]
    assert "limits recalculated after a sustained shift" in july["rules"]
    assert cpp.loc[0, "rules"] == "trend"  # within its own period's limits 80 is common cause


def test_areas(monitoring):
    got = mon.area_table(monitoring)
    east = got[got["area"] == "East"].reset_index(drop=True)
    west = got[got["area"] == "West"].reset_index(drop=True)
    assert list(got["area"].unique()) == ["East", "West"]
    assert pd.isna(east["cpp_open_net_change_n"].iloc[0]) and pd.isna(west["cpp_open_net_change_n"].iloc[0])
    assert east["cpp_open_net_change_n"].iloc[1:].tolist() == [2] * 13
    assert west["cpp_open_net_change_n"].iloc[1:].tolist() == [0] * 13
    assert east["cpp_open"].iloc[-1] == 76


def test_twelve_month_change(monitoring, params):
    got = mon.measures_table(mon.county_table(monitoring, params))
    expected = pd.DataFrame(
        {
            "measure": ["cpp_open_change_pct"],
            "value": [100 * 24 / 82],
            "unit": ["%"],
            "n": pd.array([12], dtype="Int64"),
            "from_month": pd.to_datetime(["2008-02-01"]),
            "to_month": pd.to_datetime(["2009-02-01"]),
        }
    )
    assert_frame_equal(got, expected, check_dtype=False)


def test_twelve_month_change_needs_a_year(monitoring, params):
    short = monitoring[monitoring["month"] >= "2008-06-01"]
    got = mon.measures_table(mon.county_table(short, params))
    assert np.isnan(got["value"].iloc[0])


class _Review:
    def __init__(self, tables, meta=None):
        self.tables, self.meta, self.review_id = tables, meta or {}, "t"

    def table(self, name):
        return self.tables.get(name)


def test_write_outputs(tmp_path, monitoring, params):
    assert mon.write_outputs(_Review({}), params, tmp_path) == []
    paths = mon.write_outputs(_Review({"monitoring": monitoring}, {"child_population": 20_000}), params,
                              tmp_path, figures=False)
    assert [p.name for p in paths] == [
        "monitoring__county.csv", "monitoring__areas.csv", "monitoring__measures.csv", "monitoring__signals.csv",
    ]
    county = pd.read_csv(tmp_path / "monitoring__county.csv", keep_default_na=False)
    assert county["month"].iloc[0] == "2008-01"
    assert county["cpp_open_net_change_n"].iloc[0] == ""  # blank, not 0
