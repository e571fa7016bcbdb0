"""Unit tests of pipeline.stats with hand-worked or published expected values.

No expected value here was copied from the code's own output: each is worked
by hand in the comment beside it, or taken from the publication cited.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from pipeline import stats

# z for 95%: Phi^-1(0.975) = 1.959964 (standard normal tables); z^2 = 3.841459.
Z95 = 1.959964


# ---------------------------------------------------------------- Wilson


@pytest.mark.parametrize(
    "k, n, low, high",
    [
        # Newcombe RG (1998) "Two-sided confidence intervals for the single
        # proportion: comparison of seven methods", Stat Med 17:857-872,
        # Table II, method 3 (score, no continuity correction).
        # Hand check of 81/263: p = 0.307985, z^2/n = 0.014606,
        # denominator 1.014606, centre (0.307985 + 0.007303)/1.014606 = 0.310750,
        # root sqrt(0.213129/263 + 3.841459/(4*263^2)) = sqrt(0.00082426) = 0.028710,
        # half-width 1.959964 * 0.028710 / 1.014606 = 0.055460
        # -> 0.25529 to 0.36621.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998(k, n, low, high):
    got_low, got_high = stats.wilson_interval(k, n)
    assert got_low == pytest.approx(low, abs=5e-5)
    assert got_high == pytest.approx(high, abs=5e-5)


def test_wilson_zero_successes_low_is_exactly_zero_and_all_successes_high_is_one():
    assert stats.wilson_interval(0, 20)[0] == 0.0
    assert stats.wilson_interval(20, 20)[1] == 1.0


def test_wilson_n_zero_is_nan():
    low, high = stats.wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)


def test_effective_n_by_hand():
    # n = 10 of N = 20: n_eff = 10 * 19 / (20 - 10) = 19.
    assert stats.effective_n(10, 20) == pytest.approx(19.0)
    # n = 40 of N = 1052: 40 * 1051 / 1012 = 42040 / 1012 = 41.541502.
    assert stats.effective_n(40, 1052) == pytest.approx(41.541502, abs=1e-6)
    assert stats.effective_n(10) == 10.0
    assert stats.effective_n(20, 20) == math.inf


def test_wilson_fpc_by_hand():
    # k = 6 of n = 10 from N = 20: n_eff = 19 (above), p = 0.6 unchanged.
    # z^2/n_eff = 3.841459/19 = 0.202182; denominator 1.202182;
    # centre (0.6 + 3.841459/38)/1.202182 = (0.6 + 0.101091)/1.202182 = 0.583182;
    # root sqrt(0.24/19 + 3.841459/(4*361)) = sqrt(0.0126316 + 0.0026603) = 0.123660;
    # half-width 1.959964 * 0.123660 / 1.202182 = 0.201607
    # -> 0.381575 to 0.784789.
    low, high = stats.wilson_interval(6, 10, N=20)
    assert low == pytest.approx(0.381575, abs=2e-5)
    assert high == pytest.approx(0.784789, abs=2e-5)
    # and it is narrower than without the correction
    low0, high0 = stats.wilson_interval(6, 10)
    assert low0 < low and high < high0


def test_wilson_fpc_agrees_with_statsmodels_on_scaled_counts():
    # Independent route: statsmodels' Wilson interval on k_eff = p * n_eff of n_eff.
    from statsmodels.stats.proportion import proportion_confint

    n_eff = 40 * 1051 / 1012
    expected = proportion_confint(30 / 40 * n_eff, n_eff, alpha=0.05, method="wilson")
    assert stats.wilson_interval(30, 40, N=1052) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("n, N", [(20, 20), (25, 20)])
def test_wilson_whole_population_gives_the_point(n, N):
    k = n // 2 if n == 20 else 15  # p = 0.5 and 0.6
    p = k / n
    assert stats.wilson_interval(k, n, N=N) == (p, p)


def test_wilson_frame_percentages_index_and_nan():
    k = pd.Series([81, 0, 3, 6], index=["a", "b", "c", "d"])
    n = pd.Series([263, 0, 3, 10], index=["a", "b", "c", "d"])
    got = stats.wilson_frame(k, n)
    assert list(got.columns) == ["ci_low_pct", "ci_high_pct"]
    assert list(got.index) == ["a", "b", "c", "d"]
    assert got.loc["a", "ci_low_pct"] == pytest.approx(25.53, abs=5e-3)
    assert got.loc["a", "ci_high_pct"] == pytest.approx(36.62, abs=5e-3)
    assert got.loc["b"].isna().all()
    assert got.loc["c", "ci_high_pct"] == 100.0
    # FPC in the frame: 6 of 10 from N = 20 as worked above, in percent.
    got_fpc = stats.wilson_frame(k, n, N=20)
    assert got_fpc.loc["d", "ci_low_pct"] == pytest.approx(38.1575, abs=2e-3)
    assert got_fpc.loc["d", "ci_high_pct"] == pytest.approx(78.4789, abs=2e-3)


def test_wilson_rejects_k_above_n():
    with pytest.raises(ValueError):
        stats.wilson_interval(5, 4)


# ---------------------------------------------------------------- working days


def test_bank_holidays_include_2008_2009_england_and_substitute_days():
    hols = set(stats.bank_holidays())
    for d in [
        "2008-12-25", "2008-12-26", "2009-01-01", "2009-04-10", "2009-04-13",
        "2009-05-04", "2009-05-25", "2009-08-31",
        "2009-12-28",  # Boxing Day 2009 fell on a Saturday: substitute Monday
    ]:
        assert dt.date.fromisoformat(d) in hols, d
    # Scotland-only days are not England and Wales bank holidays.
    assert dt.date(2009, 1, 2) not in hols  # 2 January (Scotland)
    assert dt.date(2009, 8, 3) not in hols  # first Monday of August (Scotland)


@pytest.mark.parametrize(
    "a, b, expected",
    [
        # Wed 24 Dec 2008 -> Fri 2 Jan 2009, counting d with a < d <= b:
        # Thu 25 (Christmas), Fri 26 (Boxing Day), Sat 27, Sun 28 are not
        # working days; Mon 29, Tue 30, Wed 31 are (3); Thu 1 Jan (New Year)
        # is not; Fri 2 Jan is (4). Total 4.
        ("2008-12-24", "2009-01-02", 4),
        # The same dates the other way round: minus the same count.
        ("2009-01-02", "2008-12-24", -4),
        ("2009-01-02", "2009-01-02", 0),
        # Fri 2 Jan -> Mon 5 Jan 2009: Sat, Sun not counted, Mon is: 1.
        ("2009-01-02", "2009-01-05", 1),
        # Start on a Saturday: Sat 3 Jan -> Mon 5 Jan: Sun no, Mon yes: 1.
        ("2009-01-03", "2009-01-05", 1),
        # Easter 2009: Thu 9 Apr -> Tue 14 Apr: Good Friday 10, Sat, Sun,
        # Easter Monday 13 are not; Tue 14 is: 1.
        ("2009-04-09", "2009-04-14", 1),
        # Substitute day: Thu 24 Dec 2009 -> Tue 29 Dec 2009: Fri 25 (Christmas),
        # Sat 26, Sun 27, Mon 28 (Boxing Day substitute) not; Tue 29 yes: 1.
        ("2009-12-24", "2009-12-29", 1),
        # A plain fortnight: Mon 2 Feb 2009 -> Mon 16 Feb 2009 = 10.
        ("2009-02-02", "2009-02-16", 10),
    ],
)
def test_working_days_between_by_hand(a, b, expected):
    assert stats.working_days_between(pd.Timestamp(a), pd.Timestamp(b)) == expected
    # dates and datetime.date objects too
    assert stats.working_days_between(dt.date.fromisoformat(a), dt.date.fromisoformat(b)) == expected


def test_working_days_between_series_with_missing():
    a = pd.Series(pd.to_datetime(["2008-12-24", None, "2009-04-09"]), index=[10, 11, 12])
    b = pd.Series(pd.to_datetime(["2009-01-02", "2009-01-05", None]), index=[10, 11, 12])
    got = stats.working_days_between(a, b)
    expected = pd.Series(pd.array([4, pd.NA, pd.NA], dtype="Int64"), index=[10, 11, 12])
    pd.testing.assert_series_equal(got, expected)


def test_working_days_between_series_and_scalar():
    a = pd.Series(pd.to_datetime(["2008-12-24", "2009-01-02"]))
    got = stats.working_days_between(a, pd.Timestamp("2009-01-05"))
    # 24 Dec -> 5 Jan: the 4 above plus Mon 5 Jan = 5; 2 Jan -> 5 Jan = 1.
    pd.testing.assert_series_equal(got, pd.Series(pd.array([5, 1], dtype="Int64")))


def test_working_days_scalar_missing_is_na():
    assert stats.working_days_between(pd.NaT, pd.Timestamp("2009-01-05")) is pd.NA


def test_working_days_fast_on_a_million_rows():
    import time

    rng = np.random.default_rng(0)
    a = pd.Series(pd.Timestamp("2000-01-01") + pd.to_timedelta(rng.integers(0, 9000, 1_000_000), "D"))
    b = a + pd.to_timedelta(rng.integers(-5, 90, 1_000_000), "D")
    t0 = time.perf_counter()
    stats.working_days_between(a, b)
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize(
    "a, n, expected",
    [
        # 15 working days after Wed 24 Dec 2008: 29, 30, 31 Dec (3), 2 Jan (4),
        # 5-9 Jan (9), 12-16 Jan (14), Mon 19 Jan (15).
        ("2008-12-24", 15, "2009-01-19"),
        # after a Saturday, the 1st working day is the Monday
        ("2009-01-03", 1, "2009-01-05"),
        # 1 working day after Thu 9 Apr 2009 skips Easter: Tue 14 Apr
        ("2009-04-09", 1, "2009-04-14"),
        ("2009-01-05", 0, "2009-01-05"),
        # 1 working day before Mon 5 Jan 2009 is Fri 2 Jan
        ("2009-01-05", -1, "2009-01-02"),
        # 1 working day before Sun 4 Jan 2009 is Fri 2 Jan
        ("2009-01-04", -1, "2009-01-02"),
    ],
)
def test_add_working_days_by_hand(a, n, expected):
    assert stats.add_working_days(pd.Timestamp(a), n) == pd.Timestamp(expected)


def test_add_working_days_is_inverse_of_between():
    starts = pd.Series(pd.date_range("2008-12-20", "2009-01-10", freq="D"))
    for n in (1, 10, 15):
        got = stats.working_days_between(starts, stats.add_working_days(starts, n))
        pd.testing.assert_series_equal(got, pd.Series(pd.array([n] * len(starts), dtype="Int64")))


def test_add_working_days_series_with_missing():
    a = pd.Series(pd.to_datetime(["2009-01-03", None]), index=["x", "y"])
    expected = pd.Series(pd.to_datetime(["2009-01-05", None]), index=["x", "y"]).astype("datetime64[ns]")
    pd.testing.assert_series_equal(stats.add_working_days(a, 1), expected)


@pytest.mark.parametrize(
    "a, m, expected",
    [
        ("2009-01-30", 3, "2009-04-30"),  # contract: 30 January + 3 months = 30 April
        ("2008-11-30", 3, "2009-02-28"),  # contract: 30 November + 3 = 28 February
        ("2007-11-30", 3, "2008-02-29"),  # ... or 29 February in a leap year
        ("2009-01-31", 1, "2009-02-28"),
        ("2008-12-31", 3, "2009-03-31"),
        ("2009-03-15", 3, "2009-06-15"),
        ("2009-05-31", -3, "2009-02-28"),
    ],
)
def test_add_calendar_months_contract_examples(a, m, expected):
    assert stats.add_calendar_months(pd.Timestamp(a), m) == pd.Timestamp(expected)


def test_add_calendar_months_series():
    a = pd.Series(pd.to_datetime(["2009-01-30", "2008-11-30", None, "2007-11-30"]))
    expected = pd.Series(pd.to_datetime(["2009-04-30", "2009-02-28", None, "2008-02-29"])).astype("datetime64[ns]")
    pd.testing.assert_series_equal(stats.add_calendar_months(a, 3), expected)


# ---------------------------------------------------------------- Fisher


def test_fisher_lady_tasting_tea():
    # Fisher (1935), The Design of Experiments: [[3, 1], [1, 3]], margins all 4.
    # P(a = x) = C(4,x) C(4,4-x) / C(8,4) = 1, 16, 36, 16, 1 (/70) for x = 0..4.
    # Two-sided p: tables no more probable than the observed (16/70):
    # (1 + 16 + 16 + 1)/70 = 34/70 = 0.485714.
    # OR = 3*3/(1*1) = 9. Woolf: SE = sqrt(1/3 + 1 + 1 + 1/3) = sqrt(8/3) = 1.632993;
    # ln 9 = 2.197225; 2.197225 -/+ 1.959964 * 1.632993 = -1.003402, 5.397852;
    # exp -> 0.36664, 220.93.
    got = stats.fisher_2x2(3, 1, 1, 3)
    assert got["p_value"] == pytest.approx(34 / 70, abs=1e-9)
    assert got["odds_ratio"] == pytest.approx(9.0, abs=1e-12)
    assert got["or_ci_low"] == pytest.approx(0.36664, abs=5e-5)
    assert got["or_ci_high"] == pytest.approx(220.93, abs=5e-2)
    assert got["is_haldane_corrected"] is False


def test_fisher_zero_cell_uses_haldane_correction():
    # [[0, 5], [3, 2]]: margins rows 5, 5; columns 3, 7; N = 10.
    # P(a = x) = C(5,x) C(5,3-x) / C(10,3) = 10, 50, 50, 10 (/120) for x = 0..3.
    # Two-sided p = (10 + 10)/120 = 1/6.
    # Haldane: OR = 0.5 * 2.5 / (5.5 * 3.5) = 1.25 / 19.25 = 0.064935.
    # SE = sqrt(2 + 1/5.5 + 1/3.5 + 1/2.5) = sqrt(2.867532) = 1.693380;
    # ln OR = -2.734368; -/+ 3.318964 -> exp(-6.053332) = 0.002350, exp(0.584596) = 1.794263.
    got = stats.fisher_2x2(0, 5, 3, 2)
    assert got["p_value"] == pytest.approx(1 / 6, abs=1e-9)
    assert got["odds_ratio"] == pytest.approx(0.064935, abs=1e-6)
    assert got["or_ci_low"] == pytest.approx(0.002350, abs=1e-5)
    assert got["or_ci_high"] == pytest.approx(1.794263, abs=1e-4)
    assert got["is_haldane_corrected"] is True


def test_fisher_rejects_negative_cells():
    with pytest.raises(ValueError):
        stats.fisher_2x2(-1, 2, 3, 4)


# ---------------------------------------------------------------- sample size


@pytest.mark.parametrize(
    "margin, N, expected",
    [
        # n0 = 1.959964^2 * 0.25 / 0.05^2 = 3.841459 * 100 = 384.146;
        # n = 384.146 / (1 + 383.146/1052) = 384.146 / 1.364207 = 281.59 -> 282.
        (5, 1052, 282),
        # n0 = 3.841459 * 0.25 / 0.01 = 96.036;
        # n = 96.036 / (1 + 95.036/1052) = 96.036 / 1.090338 = 88.08 -> 89.
        (10, 1052, 89),
        # no population: 384.146 -> 385 (not the textbook 384, which uses z = 1.96 and rounds down)
        (5, None, 385),
        (10, None, 97),  # 96.036 -> 97
        # margin 1 of 100: n0 = 9603.66; 9603.66 / (1 + 9602.66/100) = 9603.66/97.0266 = 98.98 -> 99
        (1, 100, 99),
    ],
)
def test_sample_size_by_hand(margin, N, expected):
    assert stats.sample_size(margin, N=N) == expected


# ---------------------------------------------------------------- XmR
# Baseline used below: ten points 12, 10, 12, 10, ... -> mean 11, every moving
# range 2, mean moving range 2. Limits 11 +/- 2.66 * 2 = 16.32 and 5.68.
# sigma = 2 / 1.128 = 1.77305; two sigma = 3.54610: "near" beyond 14.5461
# or below 7.4539.

BASELINE = [12, 10] * 5


def _flags(frame, column):
    return [i for i, v in enumerate(frame[column]) if v]


def test_xmr_limits_by_hand():
    got = stats.xmr(pd.Series(BASELINE + [11, 11]), baseline_n=10)
    assert got["mean"].tolist() == [11.0] * 12
    assert got["ucl"].iloc[0] == pytest.approx(16.32)
    assert got["lcl"].iloc[0] == pytest.approx(5.68)
    assert math.isnan(got["mr"].iloc[0])
    assert got["mr"].iloc[1:].tolist() == [2.0] * 9 + [1.0, 0.0]
    assert not got["is_special_cause"].any()
    assert list(got.columns) == [
        "value", "mean", "mr", "ucl", "lcl", "is_outside_limits", "is_shift", "is_trend",
        "is_two_of_three", "is_special_cause", "special_cause_label", "period", "is_period_start",
    ]
    assert got["period"].tolist() == [1] * 12 and not got["is_period_start"].any()


def test_xmr_limits_come_from_the_baseline_only():
    # Later points far away must not move the centre line or limits.
    got = stats.xmr(pd.Series(BASELINE + [40, 41, 2]), baseline_n=10)
    assert got["mean"].iloc[-1] == pytest.approx(11.0)
    assert got["ucl"].iloc[-1] == pytest.approx(16.32)


def test_xmr_outside_limits():
    # idx 10..14 = 11, 17, 11, 5, 11: 17 > 16.32 (high), 5 < 5.68 (low).
    # Each is the only "near" point in its window, and on opposite sides,
    # so two-of-three does not fire; no runs or trends arise.
    got = stats.xmr(pd.Series(BASELINE + [11, 17, 11, 5, 11]), baseline_n=10)
    assert _flags(got, "is_outside_limits") == [11, 13]
    assert _flags(got, "is_special_cause") == [11, 13]
    assert got["special_cause_label"].tolist() == [""] * 11 + ["high", "", "low", ""]


def test_xmr_shift_of_seven_not_six_and_mean_breaks_run():
    # idx 10-15: six 12s (above the mean, one short of a shift); idx 16 = 11
    # sits on the mean and ends the run; idx 17-23: seven 12s -> shift.
    # Baseline ends with 10 (below), so the first six are a run of exactly six.
    values = BASELINE + [12] * 6 + [11] + [12] * 7
    got = stats.xmr(pd.Series(values), baseline_n=10)
    assert _flags(got, "is_shift") == list(range(17, 24))
    assert _flags(got, "is_special_cause") == list(range(17, 24))
    assert set(got["special_cause_label"].iloc[17:]) == {"high"}
    # below the mean: seven 10.5s after the baseline
    got_low = stats.xmr(pd.Series(BASELINE + [11] + [10.5] * 7), baseline_n=10)
    assert _flags(got_low, "is_shift") == list(range(11, 18))
    assert set(got_low["special_cause_label"].iloc[11:]) == {"low"}


def test_xmr_trend_of_six_points_not_five():
    # idx 9 = 10 (end of baseline), idx 10 = 10 (equal: no rise), then
    # 10, 10.5, 11, 11.5, 12, 12.5 at idx 10-15: six increasing points -> trend.
    # Then 12, 11.5, 11, 10.5 (idx 16-19): with 12.5 at idx 15 that is five
    # decreasing points, one short; idx 20 = 10.5 equal ends it.
    # All within 2 sigma; above-mean runs are at most 5 long (idx 13-17).
    values = BASELINE + [10, 10.5, 11, 11.5, 12, 12.5, 12, 11.5, 11, 10.5, 10.5]
    got = stats.xmr(pd.Series(values), baseline_n=10)
    assert _flags(got, "is_trend") == list(range(10, 16))
    assert _flags(got, "is_special_cause") == list(range(10, 16))
    assert set(got["special_cause_label"].iloc[10:16]) == {"high"}
    # a falling trend of six is labelled low
    down = stats.xmr(pd.Series(BASELINE + [12, 11.5, 11, 10.5, 10, 9.5]), baseline_n=10)
    assert _flags(down, "is_trend") == list(range(10, 16))
    assert set(down["special_cause_label"].iloc[10:16]) == {"low"}


def test_xmr_two_of_three_near_the_limit():
    # idx: 10=15, 11=11, 12=15 -> 15 > 14.546 twice in three on the high side:
    # flag 10 and 12 (not 11). 15 < 16.32, so not outside the limits.
    # idx 15=7 and 18=7 are near the low limit (7 < 7.454) but three apart,
    # so no window of three holds both. idx 20=15, 21=7: near on opposite sides.
    values = BASELINE + [15, 11, 15, 11, 11, 7, 11, 11, 7, 11, 15, 7, 11]
    got = stats.xmr(pd.Series(values), baseline_n=10)
    assert _flags(got, "is_two_of_three") == [10, 12]
    assert _flags(got, "is_outside_limits") == []
    assert _flags(got, "is_special_cause") == [10, 12]
    assert got["special_cause_label"].iloc[10] == "high"
    assert got["special_cause_label"].iloc[11] == ""


def test_xmr_keeps_index():
    idx = pd.date_range("2008-01-01", periods=12, freq="MS")
    got = stats.xmr(pd.Series(BASELINE + [11, 11], index=idx), baseline_n=10)
    assert got.index.equals(idx)


def test_xmr_rejects_bad_baseline_and_missing_values():
    with pytest.raises(ValueError):
        stats.xmr(pd.Series([1.0, 2.0, 3.0]), baseline_n=5)
    with pytest.raises(ValueError):
        stats.xmr(pd.Series([1.0, None, 3.0]), baseline_n=2)


# ---------------------------------------------------------------- issue 12: rounding, weighting

@pytest.mark.parametrize("value, digits, expected", [
    (52.5, 0, 53.0), (47.5, 0, 48.0), (-2.5, 0, -3.0), (0.5, 0, 1.0), (1.5, 0, 2.0),
    (2.5, 0, 3.0), (-0.5, 0, -1.0), (52.4999, 0, 52.0), (1.005, 2, 1.01), (2.675, 2, 2.68),
    (13.55, 1, 13.6), (12, 0, 12.0), (0.0, 0, 0.0),
])
def test_round_half_away(value, digits, expected):
    from pipeline.stats import round_half_away
    assert round_half_away(value, digits) == expected


def test_round_half_away_missing_and_numpy():
    import numpy as np
    from pipeline.stats import round_half_away
    assert math.isnan(round_half_away(None)) and math.isnan(round_half_away(float("nan")))
    assert math.isnan(round_half_away(pd.NA))
    assert round_half_away(np.float64(52.5)) == 53.0
    assert round_half_away(np.int64(7)) == 7.0


def test_stratified_share_hand_calculation():
    """Two strata: 3 of 4 answered yes (N=10) and 1 of 4 (N=40).

    W = 0.2, 0.8; p = 0.2 x 0.75 + 0.8 x 0.25 = 0.35.
    s_h^2 = 4 x 0.75 x 0.25 / 3 = 0.25 in both strata.
    V = 0.04 x 0.6 x 0.25/4 + 0.64 x 0.9 x 0.25/4 = 0.0015 + 0.036 = 0.0375.
    n_eff = 0.35 x 0.65 / 0.0375 = 6.0667.
    """
    from statsmodels.stats.proportion import proportion_confint
    from pipeline.stats import stratified_share
    got = stratified_share([3, 1], [4, 4], [10, 40])
    assert got["p"] == pytest.approx(0.35)
    assert got["variance"] == pytest.approx(0.0375)
    assert got["effective_n"] == pytest.approx(0.2275 / 0.0375)
    n_eff = 0.2275 / 0.0375
    lo, hi = proportion_confint(0.35 * n_eff, n_eff, alpha=0.05, method="wilson")
    assert (got["low"], got["high"]) == (pytest.approx(lo, abs=1e-9), pytest.approx(hi, abs=1e-9))
    # and by hand: Wilson centre and half-width with z = 1.96
    z = 1.959963984540054
    centre = (0.35 + z * z / (2 * n_eff)) / (1 + z * z / n_eff)
    half = z / (1 + z * z / n_eff) * math.sqrt(0.35 * 0.65 / n_eff + z * z / (4 * n_eff**2))
    assert got["low"] == pytest.approx(centre - half) and got["high"] == pytest.approx(centre + half)
    assert got["low"] < got["p"] < got["high"]


def test_stratified_share_drops_an_empty_stratum_and_renormalises():
    from pipeline.stats import stratified_share, wilson_interval
    got = stratified_share([3, 0], [4, 0], [10, 40])
    assert got["p"] == pytest.approx(0.75)  # only stratum 1 is left, weight 1
    # one stratum: V = (1 - 4/10) s^2 / 4 with s^2 = 4 x .75 x .25 / 3 = 0.25 -> 0.0375
    assert got["variance"] == pytest.approx(0.6 * 0.25 / 4)
    assert math.isnan(stratified_share([0, 0], [0, 0], [10, 40])["p"])
    # every stratum seen in full: the interval is the point
    full = stratified_share([3, 1], [10, 40], [10, 40])
    assert full["low"] == full["high"] == pytest.approx(0.2 * 0.3 + 0.8 * 0.025)
    # no estimable variance (p_h all 0 or 1): design effect 1, Wilson on sum n_h
    flat = stratified_share([2, 0], [2, 2], [4, 16])
    assert flat["p"] == pytest.approx(0.2) and flat["effective_n"] == 4
    lo, hi = wilson_interval(0.2 * 4, 4)
    assert (flat["low"], flat["high"]) == (pytest.approx(lo), pytest.approx(hi))


def test_stratified_share_equal_sampling_fractions_match_simple_random_sample():
    """Proportional allocation with equal stratum shares: p is the plain share."""
    from pipeline.stats import stratified_share
    got = stratified_share([5, 20], [10, 40], [100, 400])
    assert got["p"] == pytest.approx(25 / 50)


def test_stratified_margin_hand_calculation():
    from pipeline.stats import stratified_margin
    # W = 107/1068, 961/1068; V = sum W^2 (1 - n/N) (n/(n-1)) 0.25 / n
    W1, W2 = 107 / 1068, 961 / 1068
    V = W1**2 * (1 - 30 / 107) * 0.25 / 29 + W2**2 * (1 - 20 / 961) * 0.25 / 19
    assert stratified_margin([30, 20], [107, 961]) == pytest.approx(1.959963984540054 * math.sqrt(V))


def test_format_rounded():
    from pipeline.stats import format_rounded
    assert format_rounded(52.5) == "53" and format_rounded(47.5) == "48"
    assert format_rounded(13.55, 1) == "13.6" and format_rounded(-0.4) == "0"
    assert format_rounded(float("nan")) == ""


# ---------------------------------------------------------------- issue 12: limits recalculated after a shift

def test_xmr_recalculates_limits_after_a_sustained_shift():
    """Baseline 12, 10 x 5 (mean 11, mean moving range 2), then 20, 22 x 4.

    Without recalculation all eight later points are above the ucl 16.32.
    With it, the run of seven above 11 starting at point 10 begins period 2,
    whose limits come from its own 8 points (fewer than baseline_n = 10):
    mean 21, mean moving range 2, limits 21 +/- 5.32 = 15.68 to 26.32; no
    point of either period is then special cause.
    """
    values = pd.Series(BASELINE + [20, 22] * 4)
    flat = stats.xmr(values, baseline_n=10)
    assert _flags(flat, "is_outside_limits") == list(range(10, 18))
    got = stats.xmr(values, baseline_n=10, recalculate=True)
    assert got["period"].tolist() == [1] * 10 + [2] * 8
    assert _flags(got, "is_period_start") == [10]
    assert got["mean"].tolist() == [11.0] * 10 + [21.0] * 8
    assert got["ucl"].iloc[-1] == pytest.approx(26.32) and got["lcl"].iloc[-1] == pytest.approx(15.68)
    assert got["ucl"].iloc[0] == pytest.approx(16.32)
    assert not got["is_special_cause"].any()


def test_xmr_new_period_needs_a_run_after_the_period_start():
    """Seven 5s then seven 20s, baseline 14: mean 12.5. The run of 5s starts at the first
    point, so it does not start a period; the run of 20s (point 7) does. Period 1 (7 x 5)
    then has mean 5 and no spread, period 2 (7 x 20) mean 20."""
    got = stats.xmr(pd.Series([5.0] * 7 + [20.0] * 7), baseline_n=14, recalculate=True)
    assert got["period"].tolist() == [1] * 7 + [2] * 7
    assert got["mean"].tolist() == [5.0] * 7 + [20.0] * 7
    assert not got["is_special_cause"].any()


def test_xmr_two_shifts_make_three_periods_and_rules_stay_within_a_period():
    values = pd.Series(BASELINE + [20, 22] * 4 + [40, 42] * 4)
    got = stats.xmr(values, baseline_n=10, recalculate=True)
    assert _flags(got, "is_period_start") == [10, 18]
    assert got["mean"].iloc[-1] == pytest.approx(41.0)
    # a point beyond the new limits is still special cause
    spike = stats.xmr(pd.Series(BASELINE + [20, 22] * 4 + [40]), baseline_n=10, recalculate=True)
    assert spike["period"].tolist() == [1] * 10 + [2] * 9
    assert _flags(spike, "is_outside_limits") == [18]
