"""Shared arithmetic: intervals, working days, calendar months, 2x2 tests, SPC.

Every analysis takes its statistics from here, so that each rule is written
once, with its source, and unit-tested against hand-worked values
(issue 3, item 4: "Statistics, defined so anyone can check them").
"""
from __future__ import annotations

import datetime as _dt
import math
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd
from scipy import stats as _sps

__all__ = [
    "wilson_interval",
    "wilson_frame",
    "effective_n",
    "working_days_between",
    "add_working_days",
    "add_calendar_months",
    "bank_holidays",
    "fisher_2x2",
    "xmr",
    "sample_size",
    "round_half_away",
    "format_rounded",
    "stratified_share",
]

# --------------------------------------------------------------------------
# Confidence intervals
# --------------------------------------------------------------------------


def _z(confidence: float) -> float:
    """Two-sided standard normal quantile: z = Phi^-1(1 - (1 - confidence) / 2)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return float(_sps.norm.ppf(1 - (1 - confidence) / 2))


def effective_n(n, N=None):
    """Effective sample size under the finite-population correction.

    Rule (issue 3, item 4; Cochran 1977, *Sampling Techniques*, 3rd ed., s.2.6):
    a simple random sample of n from a population of N without replacement has
    the variance of a with-replacement sample of size n_eff = n (N - 1) / (N - n).
    With no N the sample is taken as drawn from an infinite population
    (n_eff = n); when n >= N the whole population was seen and n_eff is
    infinite (the interval collapses to the point).

    Accepts scalars or array-likes (a Series keeps its index); returns float(s).
    """
    n_arr = np.asarray(n, dtype="float64")
    if N is None:
        out = n_arr.copy()
    else:
        N_arr = np.asarray(N, dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            corrected = n_arr * (N_arr - 1) / (N_arr - n_arr)
        out = np.where(np.isnan(N_arr), n_arr, np.where(n_arr >= N_arr, np.inf, corrected))
    if isinstance(n, pd.Series):
        return pd.Series(out, index=n.index, dtype="float64")
    return float(out) if out.ndim == 0 else out


def _wilson_arrays(k, n, N, confidence):
    """Wilson bounds (0-1) as numpy arrays; the single implementation behind both APIs."""
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    if np.any(k < 0) or np.any(n < 0):
        raise ValueError("k and n must be 0 or more")
    if np.any(k > n):
        raise ValueError("k must not exceed n")
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        n_eff = np.broadcast_to(effective_n(n, N), p.shape).astype("float64")
        # Wilson (1927): centre (p + z^2/2n) / (1 + z^2/n),
        # half-width z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2), with n = n_eff.
        denom = 1 + z**2 / n_eff
        centre = (p + z**2 / (2 * n_eff)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n_eff + z**2 / (4 * n_eff**2))
        low = np.where(np.isinf(n_eff), p, centre - half)
        high = np.where(np.isinf(n_eff), p, centre + half)
    # Exact 0 / 1 at the edges (the formula gives them up to rounding).
    low = np.where(k == 0, 0.0, np.clip(low, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(high, 0.0, 1.0))
    low = np.where(n == 0, np.nan, low)
    high = np.where(n == 0, np.nan, high)
    return low, high


def wilson_interval(k, n, N=None, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes of n, as rates 0-1.

    Rule (issue 3, item 4): 95% Wilson score interval (Wilson 1927; the method
    Newcombe 1998 recommends, his "method 3") on the proportion's own
    denominator n. When the population size N (``cp_population``) is given and
    n < N, n is replaced by n_eff = n (N-1)/(N-n) with p = k/n unchanged (so k
    is scaled by the same factor); when n >= N the interval is the point (p, p).
    n == 0 gives (nan, nan).
    """
    low, high = _wilson_arrays(k, n, N, confidence)
    return float(low), float(high)


def wilson_frame(k: pd.Series, n: pd.Series, N=None, confidence: float = 0.95) -> pd.DataFrame:
    """Vectorised :func:`wilson_interval` in percent: columns ``ci_low_pct``, ``ci_high_pct`` (0-100).

    Same rule as :func:`wilson_interval`; N may be a scalar or a Series aligned
    with k and n. The result has k's index.
    """
    k = pd.Series(k)
    n = pd.Series(n, index=k.index) if not isinstance(n, pd.Series) else n
    if isinstance(N, pd.Series):
        N = N.astype("float64").to_numpy()
    low, high = _wilson_arrays(
        k.astype("float64").to_numpy(), n.astype("float64").to_numpy(), N, confidence
    )
    return pd.DataFrame({"ci_low_pct": low * 100, "ci_high_pct": high * 100}, index=k.index)


# --------------------------------------------------------------------------
# Rounding for display
# --------------------------------------------------------------------------


def round_half_away(value, digits: int = 0) -> float:
    """``value`` rounded to ``digits`` decimals, halves away from zero: 52.5 -> 53, -2.5 -> -3.

    Rule (issue 12, item 4): one rounding for every figure shown, so that two
    halves on one page never round in opposite directions (Python's ``round``
    rounds halves to even: 52.5 -> 52). The value is read through its shortest
    decimal text (``Decimal(str(value))``), so a binary float such as 1.005,
    stored as 1.00499999..., rounds as the 1.005 a reader sees: 1.01.
    A missing value (None, NaN, pd.NA) gives NaN; infinities are returned as they are.
    """
    if value is None or pd.isna(value):
        return float("nan")
    if isinstance(value, float) and math.isinf(value):
        return value
    exp = Decimal(1).scaleb(-int(digits))
    return float(Decimal(str(value)).quantize(exp, rounding=ROUND_HALF_UP))


def format_rounded(value, digits: int = 0) -> str:
    """``value`` as text with ``digits`` decimals, rounded by :func:`round_half_away` ("" when missing)."""
    r = round_half_away(value, digits)
    if math.isnan(r):
        return ""
    text = f"{r:.{int(digits)}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


# --------------------------------------------------------------------------
# Design-weighted (post-stratified) shares
# --------------------------------------------------------------------------


def stratified_share(k, n, N, confidence: float = 0.95) -> dict:
    """Post-stratified share with a design-based Wilson interval (all rates 0-1).

    Rule (data contract, "evidence_map"; issue 12, item 2). Strata h with k_h
    successes of n_h answered cases and N_h cases in the population:

    - Strata with n_h = 0 are left out and the weights of the rest
      renormalised: W_h = N_h / sum of N_h over the strata kept.
    - Estimate p = sum W_h p_h with p_h = k_h / n_h (Cochran 1977, eq. 5.1).
    - Variance (Cochran 1977, eq. 5.7, stratified random sampling with each
      stratum's finite-population correction): V = sum W_h^2 (1 - n_h/N_h)
      s_h^2 / n_h with s_h^2 = n_h p_h (1 - p_h) / (n_h - 1); a stratum of one
      case contributes 0 (its p_h is 0 or 1).
    - Interval: the Wilson score interval on Kish's effective sample size
      n_eff = p (1 - p) / V, with p unchanged (the "effective sample size"
      method of Korn and Graubard 1998, with Wilson's interval as Dean and
      Pagano 2015 recommend for surveys). When every stratum was seen in
      full (n_h = N_h) the interval is the point; otherwise, when the design
      effect cannot be estimated (V = 0, or p is 0 or 1), n_eff is the
      answered cases, sum n_h (design effect 1).

    Returns ``{"p", "low", "high", "effective_n", "variance"}``; NaNs when no
    stratum has an answered case.
    """
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    N = np.asarray(N, dtype="float64")
    if np.any(k < 0) or np.any(k > n) or np.any(n > N):
        raise ValueError(f"stratified_share needs 0 <= k_h <= n_h <= N_h, got k={k}, n={n}, N={N}")
    keep = n > 0
    if not keep.any() or N[keep].sum() <= 0:
        return {"p": np.nan, "low": np.nan, "high": np.nan, "effective_n": np.nan, "variance": np.nan}
    k, n, N = k[keep], n[keep], N[keep]
    W = N / N.sum()
    ph = k / n
    p = float(np.sum(W * ph))
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(n > 1, n * ph * (1 - ph) / (n - 1), 0.0)
    var = float(np.sum(W**2 * (1 - n / N) * s2 / n))
    if np.all(n >= N):
        n_eff = math.inf
    elif var > 0 and 0 < p < 1:
        n_eff = p * (1 - p) / var
    else:
        n_eff = float(n.sum())
    if math.isinf(n_eff):
        low = high = p
    else:
        z = _z(confidence)
        denom = 1 + z**2 / n_eff
        centre = (p + z**2 / (2 * n_eff)) / denom
        half = z / denom * math.sqrt(p * (1 - p) / n_eff + z**2 / (4 * n_eff**2))
        low, high = max(0.0, centre - half), min(1.0, centre + half)
        if p == 0:
            low = 0.0
        if p == 1:
            high = 1.0
    return {"p": p, "low": low, "high": high, "effective_n": n_eff, "variance": var}


def stratified_margin(n, N, confidence: float = 0.95) -> float:
    """Design-based margin of error (rate 0-1) of a post-stratified share at p_h = 0.5 in every stratum.

    The half-width z sqrt(V) of the normal interval, V as in
    :func:`stratified_share` with p_h = 0.5 (the worst case): the design's
    counterpart of Cochran's margin for a simple random sample. Strata with
    no case are left out and the weights renormalised; NaN when none has one.
    """
    n = np.asarray(n, dtype="float64")
    N = np.asarray(N, dtype="float64")
    keep = n > 0
    if not keep.any():
        return float("nan")
    n, N = n[keep], N[keep]
    W = N / N.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(n > 1, n * 0.25 / (n - 1), 0.0)
    var = float(np.sum(W**2 * (1 - n / N) * s2 / n))
    return _z(confidence) * math.sqrt(var)


# --------------------------------------------------------------------------
# Working days and calendar months
# --------------------------------------------------------------------------

_HOLIDAY_YEARS = range(1990, 2041)


@lru_cache(maxsize=1)
def bank_holidays() -> tuple[_dt.date, ...]:
    """England and Wales bank holidays 1990-2040, from the maintained ``holidays`` library.

    ``holidays.country_holidays("GB", subdiv="ENG")`` lists the bank holidays
    of England (which are those of Wales), substitute days included (e.g.
    Monday 28 December 2009 for Boxing Day on a Saturday) and one-off days
    (e.g. the Millennium holiday of 31 December 1999). Computed once.
    """
    cal = holidays.country_holidays("GB", subdiv="ENG", years=_HOLIDAY_YEARS)
    return tuple(sorted(cal.keys()))


@lru_cache(maxsize=1)
def _busdaycalendar() -> np.busdaycalendar:
    return np.busdaycalendar(weekmask="1111100", holidays=np.array(bank_holidays(), dtype="datetime64[D]"))


def _to_days(x):
    """Any date-like (scalar, array-like, Series) -> (datetime64[D] array, NaT mask, index or None, is_scalar)."""
    index = x.index if isinstance(x, pd.Series) else None
    is_scalar = np.ndim(x) == 0 and not isinstance(x, pd.Series)
    if is_scalar:
        ts = pd.NaT if pd.isna(x) else pd.Timestamp(x)
        arr = np.array([ts.asm8 if ts is not pd.NaT else np.datetime64("NaT")], dtype="datetime64[ns]")
    else:
        arr = pd.to_datetime(pd.Series(x).to_numpy() if index is not None else np.asarray(x)).to_numpy()
    if getattr(arr, "tz", None) is not None:  # pragma: no cover - dates are naive in this project
        raise ValueError("time-zone aware dates are not supported")
    days = arr.astype("datetime64[D]")
    mask = np.isnat(days)
    lo, hi = np.datetime64(f"{_HOLIDAY_YEARS[0]}-01-01"), np.datetime64(f"{_HOLIDAY_YEARS[-1]}-12-31")
    if np.any((days[~mask] < lo) | (days[~mask] > hi)):
        raise ValueError("working days are only defined for dates from 1990 to 2040 (bank holiday table)")
    return days, mask, index, is_scalar


def _series_index(*infos):
    for days, mask, index, is_scalar in infos:
        if index is not None:
            return index
    return None


def working_days_between(a, b):
    """Working days d with a < d <= b (Monday-Friday less England and Wales bank holidays).

    Rule (data contract, "Timescales"; issue 3, item 4): the working days from
    date A to date B are the working days d with A < d <= B, so a start on
    Friday and an event on the next Monday is 1 working day. When b is before
    a the result is minus the count of working days d with b < d <= a (so
    swapping the dates changes only the sign); b == a gives 0. Times of day are
    ignored.

    Scalars give an int (``pd.NA`` when either date is missing); a Series (or
    an array-like) gives an ``Int64`` Series, NA where either date is NaT.
    Uses ``numpy.busday_count`` on a precomputed holiday calendar.
    """
    ia, ib = _to_days(a), _to_days(b)
    da, ma = ia[0], ia[1]
    db, mb = ib[0], ib[1]
    da, db = np.broadcast_arrays(da, db)
    ma, mb = np.broadcast_arrays(ma, mb)
    missing = ma | mb
    one = np.timedelta64(1, "D")
    safe_a = np.where(missing, np.datetime64("2000-01-03"), da)
    safe_b = np.where(missing, np.datetime64("2000-01-03"), db)
    # busday_count counts [begin, end); shift both ends by a day for (a, b].
    # With end before begin numpy returns minus the count of [end, begin).
    counts = np.busday_count(safe_a + one, safe_b + one, busdaycal=_busdaycalendar())
    if ia[3] and ib[3]:
        return pd.NA if missing[0] else int(counts[0])
    out = pd.array(counts, dtype="Int64")
    out[missing] = pd.NA
    return pd.Series(out, index=_series_index(ia, ib))


def add_working_days(a, n: int):
    """The n-th working day after a (Monday-Friday less England and Wales bank holidays).

    Rule (data contract, "Timescales"): a timescale of N working days from a
    start date has its deadline on the N-th working day after the start; this
    is the inverse of :func:`working_days_between` (for n >= 1,
    ``working_days_between(a, add_working_days(a, n)) == n``, whether or not a
    is itself a working day). n == 0 gives a itself; a negative n gives the
    |n|-th working day before a.

    Scalar in, ``Timestamp`` (or ``NaT``) out; Series in, datetime Series out.
    """
    days, mask, index, is_scalar = _to_days(a)
    n_arr = np.broadcast_to(np.asarray(n, dtype="int64"), days.shape)
    safe = np.where(mask, np.datetime64("2000-01-03"), days)
    cal = _busdaycalendar()
    # Roll a non-working start back (for n > 0) so that Saturday + 1 = Monday,
    # or forward (for n < 0) so that Sunday - 1 = Friday.
    fwd = np.busday_offset(safe, n_arr, roll="backward", busdaycal=cal)
    back = np.busday_offset(safe, n_arr, roll="forward", busdaycal=cal)
    res = np.where(n_arr > 0, fwd, np.where(n_arr < 0, back, safe))
    res = np.where(mask, np.datetime64("NaT"), res).astype("datetime64[ns]")
    if is_scalar:
        return pd.Timestamp(res[0]) if not mask[0] else pd.NaT
    return pd.Series(res, index=index, dtype="datetime64[ns]")


def add_calendar_months(a, months: int):
    """The same day ``months`` calendar months on, or that month's last day where it has no such day.

    Rule (data contract, "Timescales"): "within 3 calendar months" means on
    or before the same day three months on, or the last day of that month
    where it has no such day: 30 January + 3 months = 30 April; 30 November
    + 3 months = 28 February (29 in a leap year). Times of day are dropped.

    Scalar in, ``Timestamp`` (or ``NaT``) out; Series in, datetime Series out.
    """
    days, mask, index, is_scalar = _to_days(a)
    safe = np.where(mask, np.datetime64("2000-01-01"), days)
    m_arr = np.broadcast_to(np.asarray(months, dtype="int64"), days.shape)
    month_start = safe.astype("datetime64[M]")
    day_offset = safe - month_start.astype("datetime64[D]")  # day of month - 1
    target = month_start + m_arr.astype("timedelta64[M]")
    last_day = (target + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    res = np.minimum(target.astype("datetime64[D]") + day_offset, last_day)
    res = np.where(mask, np.datetime64("NaT"), res).astype("datetime64[ns]")
    if is_scalar:
        return pd.Timestamp(res[0]) if not mask[0] else pd.NaT
    return pd.Series(res, index=index, dtype="datetime64[ns]")


# --------------------------------------------------------------------------
# 2x2 tables
# --------------------------------------------------------------------------


def fisher_2x2(a: int, b: int, c: int, d: int, confidence: float = 0.95) -> dict:
    """Fisher's exact test and odds ratio for the table [[a, b], [c, d]].

    Rule (issue 3, item 4, case audit: supervision grade against overall grade):

    - ``p_value``: Fisher's exact test, two-sided (``scipy.stats.fisher_exact``;
      sums the probabilities of all tables with the same margins that are no
      more probable than the one observed).
    - ``odds_ratio``: the sample odds ratio a d / (b c).
    - ``or_ci_low``, ``or_ci_high``: Woolf's logit interval,
      exp(ln OR +/- z sqrt(1/a + 1/b + 1/c + 1/d)).
    - When any cell is zero, the Haldane-Anscombe correction adds 0.5 to every
      cell for the odds ratio and its interval (not for the p-value), so both
      stay finite; ``is_haldane_corrected`` says so. This matches statsmodels'
      ``Table2x2(..., shift_zeros=True)``.
    """
    cells = [a, b, c, d]
    if any(pd.isna(x) or x < 0 or int(x) != x for x in cells):
        raise ValueError(f"2x2 cells must be whole numbers 0 or more, got {cells}")
    a, b, c, d = (int(x) for x in cells)
    p_value = float(_sps.fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue)
    corrected = min(cells) == 0
    fa, fb, fc, fd = (x + 0.5 for x in (a, b, c, d)) if corrected else (float(a), float(b), float(c), float(d))
    log_or = math.log(fa) + math.log(fd) - math.log(fb) - math.log(fc)
    se = math.sqrt(1 / fa + 1 / fb + 1 / fc + 1 / fd)
    z = _z(confidence)
    return {
        "odds_ratio": (fa * fd) / (fb * fc),
        "or_ci_low": math.exp(log_or - z * se),
        "or_ci_high": math.exp(log_or + z * se),
        "p_value": p_value,
        "is_haldane_corrected": corrected,
    }


# --------------------------------------------------------------------------
# Statistical process control
# --------------------------------------------------------------------------

#: XmR constants (Wheeler & Chambers; NHS England "Making Data Count"):
#: limits at mean +/- 2.66 x mean moving range; sigma = mean moving range / d2, d2 = 1.128.
XMR_LIMIT_FACTOR = 2.66
XMR_D2 = 1.128


def _runs(flags: np.ndarray, min_len: int) -> np.ndarray:
    """Mark every element of each run of consecutive True of length >= min_len."""
    out = np.zeros(len(flags), dtype=bool)
    start = None
    for i, f in enumerate(list(flags) + [False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            if i - start >= min_len:
                out[start:i] = True
            start = None
    return out


def _xmr_rules(x: np.ndarray, centre: float, mr_bar: float, shift_run: int, trend_run: int) -> dict:
    """The special-cause flags of one period's points against its centre line and limits."""
    ucl = centre + XMR_LIMIT_FACTOR * mr_bar
    lcl = centre - XMR_LIMIT_FACTOR * mr_bar
    sigma = mr_bar / XMR_D2
    above_ucl, below_lcl = x > ucl, x < lcl
    shift_hi, shift_lo = _runs(x > centre, shift_run), _runs(x < centre, shift_run)
    step = np.diff(x)

    # A point is "in an increasing run" when it rose from the one before; the
    # first point of the run is the one before the first rise.
    def _trend(rise: np.ndarray) -> np.ndarray:
        run_steps = _runs(rise, trend_run - 1)  # trend_run points = trend_run - 1 steps
        flags = np.zeros(len(x), dtype=bool)
        flags[1:] |= run_steps
        flags[:-1] |= run_steps
        return flags

    trend_up, trend_down = _trend(step > 0), _trend(step < 0)

    def _two_of_three(near: np.ndarray) -> np.ndarray:
        flags = np.zeros(len(x), dtype=bool)
        for i in range(len(x) - 2):
            window = near[i : i + 3]
            if window.sum() >= 2:
                flags[i : i + 3] |= window
        return flags

    tot_hi = _two_of_three(x > centre + 2 * sigma)
    tot_lo = _two_of_three(x < centre - 2 * sigma)
    label = np.full(len(x), "", dtype=object)
    for hi, lo in [(trend_up, trend_down), (shift_hi, shift_lo), (tot_hi, tot_lo), (above_ucl, below_lcl)]:
        # later assignments win: precedence outside > two of three > shift > trend
        label[hi] = "high"
        label[lo] = "low"
    return {
        "mean": np.full(len(x), centre), "ucl": np.full(len(x), ucl), "lcl": np.full(len(x), lcl),
        "is_outside_limits": above_ucl | below_lcl, "is_shift": shift_hi | shift_lo,
        "is_trend": trend_up | trend_down, "is_two_of_three": tot_hi | tot_lo,
        "special_cause_label": label,
    }


def _first_shift_start(x: np.ndarray, centre: float, shift_run: int) -> int | None:
    """Index (within x) of the first run of shift_run points on one side of centre, after x[0]."""
    best = None
    for side in (x > centre, x < centre):
        run = 0
        for i, f in enumerate(side):
            run = run + 1 if f else 0
            # a run that began with the period's own first point does not start a new one
            if run == shift_run and i - shift_run + 1 > 0:
                begin = i - shift_run + 1
                best = begin if best is None else min(best, begin)
                break
    return best


def _period_limits(x: np.ndarray, baseline_n: int) -> tuple[float, float]:
    """Centre line and average moving range from a period's first baseline_n points (or all it has)."""
    base = x[: max(2, min(baseline_n, len(x)))]
    return float(base.mean()), float(np.abs(np.diff(base)).mean())


def _period_starts(x: np.ndarray, baseline_n: int, shift_run: int) -> list[int]:
    """First index of each period: a new one begins at each sustained shift (see :func:`xmr`)."""
    starts = [0]
    while True:
        seg = x[starts[-1]:]
        centre, _ = _period_limits(seg, baseline_n)
        begin = _first_shift_start(seg, centre, shift_run)
        if begin is None:
            return starts
        starts.append(starts[-1] + begin)


def xmr(values: pd.Series, baseline_n: int, shift_run: int = 7, trend_run: int = 6,
        recalculate: bool = False) -> pd.DataFrame:
    """XmR (individuals) chart with the NHS England "Making Data Count" special-cause rules.

    Rule (issue 3, item 4, monitoring; NHS England / NHS Improvement, *Making
    Data Count: Getting started*, 2019, and *Making Data Count: strengthening
    your decisions*, on recalculating limits):

    - Centre line ``mean`` and the average moving range are computed from the
      first ``baseline_n`` points of the period only (the baseline period in
      parameters); ``mr`` is |x_i - x_(i-1)| for every point (blank for the first).
    - Process limits ``ucl``/``lcl`` = mean +/- 2.66 x average moving range
      (the lcl is not floored at 0).
    - ``is_outside_limits``: a point above the ucl or below the lcl.
    - ``is_shift``: a run of ``shift_run`` (7) or more consecutive points all
      above, or all below, the mean; every point of the run is flagged. A point
      exactly on the mean ends a run.
    - ``is_trend``: ``trend_run`` (6) or more consecutive points each higher
      (or each lower) than the one before; every point of the run is flagged,
      its first included. Two equal consecutive values end a trend.
    - ``is_two_of_three``: two or three of three consecutive points beyond
      2 sigma (sigma = average moving range / 1.128) on the same side of the
      mean; the points beyond 2 sigma in such a window are flagged (not the
      third, unremarkable one).
    - ``is_special_cause``: any of the above. ``special_cause_label`` gives its
      direction, "high" or "low" ("" for common cause), taken from the first
      rule that fires in the order outside limits, two of three, shift, trend.
    - With ``recalculate`` (issue 12, item 5), a sustained shift starts a new
      period: the first run of ``shift_run`` points on one side of the
      period's mean (beginning after the period's first point) begins period
      2, whose centre line and limits come from its own first ``baseline_n``
      points, or as many as it has; and so on. Every rule is applied within
      a period against that period's limits (runs do not cross periods).
      ``period`` numbers the periods from 1; ``is_period_start`` marks the
      first point of each period after the first (where the limits step).
      Without it the whole series is one period.

    The result has the index of ``values``.
    """
    if not isinstance(values, pd.Series):
        values = pd.Series(values)
    x = values.astype("float64").to_numpy()
    if np.isnan(x).any():
        raise ValueError("xmr: values must not be missing")
    if not 2 <= baseline_n <= len(x):
        raise ValueError(f"xmr: baseline_n must be between 2 and {len(x)}, got {baseline_n}")
    if shift_run < 2 or trend_run < 2:
        raise ValueError("xmr: run lengths must be 2 or more")
    starts = _period_starts(x, baseline_n, shift_run) if recalculate else [0]
    bounds = list(zip(starts, starts[1:] + [len(x)]))
    cols: dict[str, list] = {}
    for a, b in bounds:
        centre, mr_bar = _period_limits(x[a:b], baseline_n)
        for key, arr in _xmr_rules(x[a:b], centre, mr_bar, shift_run, trend_run).items():
            cols.setdefault(key, []).append(arr)
    out = {key: np.concatenate(parts) for key, parts in cols.items()}
    period = np.concatenate([np.full(b - a, i + 1) for i, (a, b) in enumerate(bounds)])
    special = out["is_outside_limits"] | out["is_shift"] | out["is_trend"] | out["is_two_of_three"]
    return pd.DataFrame(
        {
            "value": x,
            "mean": out["mean"],
            "mr": np.concatenate([[np.nan], np.abs(np.diff(x))]),
            "ucl": out["ucl"],
            "lcl": out["lcl"],
            "is_outside_limits": out["is_outside_limits"],
            "is_shift": out["is_shift"],
            "is_trend": out["is_trend"],
            "is_two_of_three": out["is_two_of_three"],
            "is_special_cause": special,
            "special_cause_label": out["special_cause_label"].astype(str),
            "period": period.astype("int64"),
            "is_period_start": np.isin(np.arange(len(x)), starts[1:]),
        },
        index=values.index,
    )


# --------------------------------------------------------------------------
# Sample size
# --------------------------------------------------------------------------


def sample_size(margin_pct: float, N=None, confidence: float = 0.95, p: float = 0.5) -> int:
    """Sample size for a proportion to within +/- ``margin_pct`` percentage points.

    Rule (issue 3, item 4, case audit; Cochran 1977, eqs. 4.2 and 4.3):
    n0 = z^2 p (1-p) / e^2 with e = margin_pct / 100 and z the two-sided normal
    quantile (1.95996 for 95%); with a population of N (``cp_population``),
    n = n0 / (1 + (n0 - 1) / N). Rounded up to a whole case (and never more
    than N). p = 0.5 is the worst case.
    """
    if not 0 < margin_pct < 100:
        raise ValueError(f"margin_pct must be between 0 and 100, got {margin_pct!r}")
    if not 0 < p < 1:
        raise ValueError(f"p must be between 0 and 1, got {p!r}")
    e = margin_pct / 100
    n = _z(confidence) ** 2 * p * (1 - p) / e**2
    if N is not None:
        if N < 1:
            raise ValueError(f"N must be 1 or more, got {N!r}")
        n = n / (1 + (n - 1) / N)
    # round(.., 9) so that floating-point noise above a whole number does not add a case
    n = math.ceil(round(n, 9))
    return min(n, int(N)) if N is not None else n
