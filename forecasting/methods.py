"""The numerical forecasting engine: contacts offered per queue and 15-minute local clock
slot, and handle time per day, for the next weeks. Pure numpy/scipy/statsmodels; the
forecasting app feeds it a History and stores its Prediction.

Three methods behind `forecast()`:

- seasonal_naive: the same weekday's slots of the latest observed week (the baseline);
- weighted_average: a recency-weighted average of the same weekday-slot over the last six
  weeks, each week first brought to today's level by a log-linear weekly growth, and the
  growth carried on into the horizon;
- holt_winters: ETS (additive trend, weekly season) on daily totals, spread over the day
  by each weekday's intraday profile pooled over its recent weeks.

AHT is shared by all methods (`_aht`), and `backtest()` + `choose()` pick a method per
queue by rolling-origin accuracy (`accuracy()` is the one WAPE/bias definition).
"""

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

SLOTS = 96  # local clock slots of 15 minutes: slot s is local time s*15 minutes after midnight

METHODS: tuple[str, ...] = ("seasonal_naive", "weighted_average", "holt_winters")

# Non-missing days each method needs; with fewer it falls back to the next simpler one.
MIN_DAYS = {"holt_winters": 21, "weighted_average": 14, "seasonal_naive": 7}
AVERAGE_WEEKS = 6  # weeks in the weighted average and its growth fit
PROFILE_WEEKS = 8  # days per weekday pooled into the intraday profile: more weeks, less noise
ETS_FIT_DAYS = 182  # the last 26 weeks of daily totals: enough for the season, and fast
ETS_MAXITER = 200  # the fit converges well before; caps the rare slow one
ETS_REPETITIONS = 500  # simulated paths for the multiplicative model's interval
AHT_DAYS = 28  # days of daily AHT in its trend
AHT_WEEKDAY_P = 0.01  # weekday AHT factors only when the F-test is this sure
MAX_WEEKLY_GROWTH = 0.15  # a growth fitted on a few weeks is extrapolated for six: bound it
Z80 = stats.norm.ppf(0.9)  # half-width of a central 80 % normal interval, in sigmas
ERROR_ORIGINS = 6  # past weeks whose one-week-ahead errors set the non-ETS intervals


@dataclass(frozen=True)
class History:
    first_day: date  # local date of row 0; rows are consecutive days
    offered: np.ndarray  # (n_days, 96): offered per local clock slot; NaN = unknown
    day_offered: np.ndarray  # (n_days,) true total offered (NaN on excluded days)
    day_handled: np.ndarray  # (n_days,) handled contacts (NaN on excluded days)
    day_handle_seconds: np.ndarray  # (n_days,) talk+hold+wrap of handled (NaN on excluded days)


@dataclass(frozen=True)
class Prediction:
    method: str  # the method actually used (after any fallback)
    contacts: np.ndarray  # (days, 96) expected contacts per slot, >= 0
    day_contacts: np.ndarray  # (days,) == contacts.sum(axis=1)
    day_lower: np.ndarray  # (days,) 80 % interval, >= 0
    day_upper: np.ndarray  # (days,)
    aht_seconds: np.ndarray  # (days,) NaN where day_contacts == 0
    note: str  # "" or why it fell back / why it is empty


@dataclass(frozen=True)
class Score:
    method: str
    grain: str  # "interval" or "day"
    wape: float | None  # sum|f-a| / sum a (None if sum a == 0)
    bias: float | None  # sum(f-a) / sum a
    origins: int  # rolling origins scored
    actual: float  # sum a


@dataclass(frozen=True)
class _Data:
    """History cut (or padded with missing days) to end the day before `start`."""

    start: date
    offered: np.ndarray  # (n, 96)
    day_offered: np.ndarray  # (n,)
    day_handled: np.ndarray
    day_handle_seconds: np.ndarray
    weekday: np.ndarray  # (n,) Monday = 0
    valid: np.ndarray  # (n,) bool: the day is known

    @property
    def n(self) -> int:
        return len(self.day_offered)

    def head(self, rows: int) -> "_Data":
        """The first `rows` days: the history as it was at an earlier origin."""
        return _Data(
            start=self.start - timedelta(days=self.n - rows),
            offered=self.offered[:rows],
            day_offered=self.day_offered[:rows],
            day_handled=self.day_handled[:rows],
            day_handle_seconds=self.day_handle_seconds[:rows],
            weekday=self.weekday[:rows],
            valid=self.valid[:rows],
        )


def _data(history: History, start: date) -> _Data:
    offered = np.asarray(history.offered, dtype=float).reshape(-1, SLOTS)
    n = offered.shape[0]

    def column(values) -> np.ndarray:
        values = np.asarray(values, dtype=float).reshape(-1)
        return values if len(values) == n else np.full(n, np.nan)

    day_offered = column(history.day_offered)
    handled = column(history.day_handled)
    handle = column(history.day_handle_seconds)
    # Gap days between history and start are unknown; history on or after start is unused.
    end = (start - history.first_day).days
    if end < n:
        keep = max(end, 0)
        offered, day_offered = offered[:keep], day_offered[:keep]
        handled, handle = handled[:keep], handle[:keep]
    elif end > n:
        pad = end - n
        offered = np.vstack([offered, np.full((pad, SLOTS), np.nan)])
        day_offered, handled, handle = (
            np.concatenate([values, np.full(pad, np.nan)])
            for values in (day_offered, handled, handle)
        )
    rows = len(day_offered)
    # A day is known when its total is and some slot is (rows of NaN are excluded days).
    valid = ~np.isnan(day_offered) & ~np.all(np.isnan(offered), axis=1)
    offered = np.where(valid[:, None], offered, np.nan)
    day_offered = np.where(valid, day_offered, np.nan)
    weekday = (start.weekday() - rows + np.arange(rows)) % 7
    return _Data(start, offered, day_offered, handled, handle, weekday, valid)


# --- accuracy ------------------------------------------------------------------------------


def accuracy(forecast: np.ndarray, actual: np.ndarray) -> tuple[float | None, float | None]:
    """(WAPE, bias) of forecast against actual over the pairs where neither is NaN:
    sum|f - a| / sum a and sum(f - a) / sum a; (None, None) when sum a is 0."""
    f = np.asarray(forecast, dtype=float).ravel()
    a = np.asarray(actual, dtype=float).ravel()
    both = ~(np.isnan(f) | np.isnan(a))
    f, a = f[both], a[both]
    total = a.sum()
    if total <= 0:
        return None, None
    return float(np.abs(f - a).sum() / total), float((f - a).sum() / total)


# --- shared pieces -------------------------------------------------------------------------


def _recent_days(data: _Data, weekday: int, count: int) -> np.ndarray:
    """Row indexes of the last `count` known days of `weekday`, oldest first; excluded
    days are skipped, so an excluded Monday is replaced by an earlier one."""
    rows = np.flatnonzero(data.valid & (data.weekday == weekday))
    return rows[-count:]


def _profiles(data: _Data) -> np.ndarray:
    """(7, 96) share of each weekday's volume per slot, pooled over its last PROFILE_WEEKS
    known days (ratio of sums, so busy days weigh more and slot noise averages out).

    A NaN slot (the missing hour of a spring-forward day) is left out of that slot's share,
    and its day's total is scaled up by the share the missing slots usually have, so the
    other slots of that day are not inflated."""
    profiles = np.zeros((7, SLOTS))
    for weekday in range(7):
        rows = _recent_days(data, weekday, PROFILE_WEEKS)
        if not len(rows):
            continue
        x = data.offered[rows]
        seen = ~np.isnan(x)
        filled = np.where(seen, x, 0.0)
        rough = filled.sum(axis=0)
        rough = rough / rough.sum() if rough.sum() > 0 else np.zeros(SLOTS)
        covered = (rough[None, :] * seen).sum(axis=1)  # usual share of the slots seen
        with np.errstate(invalid="ignore", divide="ignore"):
            totals = np.where(covered > 0, filled.sum(axis=1) / covered, 0.0)
            share = filled.sum(axis=0) / (seen * totals[:, None]).sum(axis=0)
        share = np.nan_to_num(share, nan=0.0, posinf=0.0)
        if share.sum() > 0:
            profiles[weekday] = share / share.sum()
    return profiles


def _fill_days(data: _Data, profiles: np.ndarray) -> np.ndarray:
    """Daily totals of a 24-hour clock day, unknown days interpolated between the same
    weekday's neighbours (the weekly season survives a holiday; ETS needs a gapless series).

    The clock total is the sum of the slots, the missing hour of a spring-forward day
    added at its usual share (a fall-back day's doubled hour already holds a mean): a
    23-hour day would otherwise read as a dip in the weekday's level."""
    seen = ~np.isnan(data.offered)
    covered = (profiles[data.weekday] * seen).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        clock = np.nansum(data.offered, axis=1) / covered
    y = np.where((covered > 0) & data.valid, clock, data.day_offered)
    t = np.arange(data.n)
    for weekday in range(7):
        mine = data.weekday == weekday
        known = mine & data.valid
        if known.any() and (mine & ~data.valid).any():
            y[mine & ~data.valid] = np.interp(t[mine & ~data.valid], t[known], y[known])
    return y


def _weekly_growth(data: _Data, weeks: int) -> float:
    """Log-growth per day of the last `weeks` weeks: least squares of log(day total) on
    time plus a weekday term (so missing or closed days do not bias a weekly total)."""
    rows = np.arange(max(data.n - 7 * weeks, 0), data.n)
    rows = rows[data.valid[rows] & (np.nan_to_num(data.day_offered[rows]) > 0)]
    if len(rows) < 8 or np.ptp(rows) < 7:
        return 0.0
    weekdays = np.unique(data.weekday[rows])
    design = np.column_stack(
        [rows.astype(float), (data.weekday[rows][:, None] == weekdays[None, :]).astype(float)]
    )
    coef, *_ = np.linalg.lstsq(design, np.log(data.day_offered[rows]), rcond=None)
    bound = np.log1p(MAX_WEEKLY_GROWTH) / 7
    return float(np.clip(coef[0], -bound, bound))


def _aht(data: _Data, days: int) -> np.ndarray:
    """AHT per forecast day, shared by all methods.

    Daily AHT is noisy (a few % a day at a few hundred contacts) and varies little by
    weekday, so the last AHT_DAYS known days are pooled: a least-squares line over time
    weighted by handled contacts (each day's AHT has variance ~ 1 / handled). Weekday
    factors are added only when an F-test of the weekday terms on that weighted fit says
    they are real (p < AHT_WEEKDAY_P); otherwise they would only add noise. The line is
    held within +-50 % of the period's mean so a short, noisy slope cannot run away."""
    handled = np.nan_to_num(data.day_handled)
    rows = np.flatnonzero(
        (handled > 0) & ~np.isnan(data.day_handle_seconds) & (data.day_handle_seconds >= 0)
    )[-AHT_DAYS:]
    if not len(rows):
        return np.full(days, np.nan)
    weights = handled[rows]
    y = data.day_handle_seconds[rows] / weights
    mean = float(np.average(y, weights=weights))
    future_t = data.n + np.arange(days, dtype=float)
    future_weekday = (data.start.weekday() + np.arange(days)) % 7
    if len(rows) < 5:
        return np.full(days, mean)
    root = np.sqrt(weights)
    t = rows.astype(float)
    trend = np.column_stack([np.ones_like(t), t])
    beta, *_ = np.linalg.lstsq(trend * root[:, None], y * root, rcond=None)
    prediction = beta[0] + beta[1] * future_t
    seen = np.unique(data.weekday[rows])
    dummies = (data.weekday[rows][:, None] == seen[None, 1:]).astype(float)
    full = np.column_stack([trend, dummies])
    dof = len(rows) - full.shape[1]
    if len(seen) > 1 and dof > 2:
        beta_full, *_ = np.linalg.lstsq(full * root[:, None], y * root, rcond=None)
        ssr_trend = np.sum(weights * (y - trend @ beta) ** 2)
        ssr_full = np.sum(weights * (y - full @ beta_full) ** 2)
        q = len(seen) - 1
        if ssr_full > 0:
            f_stat = ((ssr_trend - ssr_full) / q) / (ssr_full / dof)
            p_value = stats.f.sf(f_stat, q, dof)
        else:
            p_value = 0.0 if ssr_trend > 0 else 1.0
        if p_value < AHT_WEEKDAY_P:
            effect = np.zeros(7)
            effect[seen[1:]] = beta_full[2:]
            # Weekdays never seen (closed) get the average effect; they expect no contacts.
            unseen = np.setdiff1d(np.arange(7), seen)
            effect[unseen] = np.mean(np.concatenate([[0.0], beta_full[2:]]))
            prediction = beta_full[0] + beta_full[1] * future_t + effect[future_weekday]
    return np.clip(prediction, 0.5 * mean, 1.5 * mean)


# --- the methods: each returns (days, 96) contacts; holt_winters its day bands too --------


def _seasonal_naive(data: _Data, days: int) -> np.ndarray:
    """Each weekday's slots of its latest known day (the last observed week repeated).
    A NaN slot of that day is filled from the weekday's profile and that day's total."""
    profiles = _profiles(data)
    week = np.zeros((7, SLOTS))
    for weekday in range(7):
        rows = _recent_days(data, weekday, 1)
        if len(rows):
            row = data.offered[rows[0]]
            week[weekday] = np.where(
                np.isnan(row), profiles[weekday] * data.day_offered[rows[0]], row
            )
    return week[(data.start.weekday() + np.arange(days)) % 7]


def _weighted_average(data: _Data, days: int, trend: bool = True) -> np.ndarray:
    """Recency-weighted mean (weights 6, 5, ..., 1) of the same weekday-slot over its last
    AVERAGE_WEEKS known days, each day scaled by the fitted growth from its date to the
    forecast day's date (so past weeks count at today's level and the growth carries on).
    Without the trend a growing queue is forecast at the level of some weeks ago."""
    growth = _weekly_growth(data, AVERAGE_WEEKS) if trend else 0.0
    future = data.n + np.arange(days)
    future_weekday = (data.start.weekday() + np.arange(days)) % 7
    level = np.zeros((7, SLOTS))  # each weekday's slots brought to time 0
    for weekday in range(7):
        rows = _recent_days(data, weekday, AVERAGE_WEEKS)
        if not len(rows):
            continue
        x = data.offered[rows] * np.exp(-growth * rows)[:, None]
        weights = np.arange(1, len(rows) + 1, dtype=float)[:, None] * ~np.isnan(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            level[weekday] = np.nansum(x * weights, axis=0) / weights.sum(axis=0)
    return np.nan_to_num(level[future_weekday]) * np.exp(growth * future)[:, None]


def _ets(data: _Data, days: int, intervals: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ETS (additive error, additive trend, weekly season) of the last ETS_FIT_DAYS daily
    totals (statsmodels ETSModel), spread over the day by the pooled weekday profiles.

    Measured on synthetic queues (8 and 26 weeks, 3 %/week growth, closed Sundays), the
    choices that matter are: closed weekdays (no contacts in any recent week) are left out
    of the series, so the season has one term per open weekday and can be multiplicative
    (a weekday's share scales with the level; day WAPE ~0.7 % against ~2 % additive);
    it is additive when some open day is zero. And the initial states come from the
    heuristic (a decomposition of the first cycles), not from the likelihood: with
    estimated initial states the optimiser stalls at no trend (bias -18 % on 8 weeks) and
    is 10x slower. The 80 % band is ETSModel's prediction interval (simulated, fixed seed)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    profiles = _profiles(data)
    future_weekday = (data.start.weekday() + np.arange(days)) % 7
    open_weekdays = profiles.sum(axis=1) > 0
    y = _fill_days(data, profiles)
    known = np.flatnonzero(data.valid)
    first = max(known[0], data.n - ETS_FIT_DAYS)
    y = y[first:][open_weekdays[data.weekday[first:]]]
    ahead = int(np.count_nonzero(open_weekdays[future_weekday]))
    period = int(np.count_nonzero(open_weekdays))
    mean = lower = upper = np.zeros(0)
    if ahead:
        season = "mul" if np.all(y > 0) else "add"
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for init in ("heuristic", "estimated"):
                try:
                    fit = ETSModel(
                        pd.Series(y),
                        error="add",
                        trend="add",
                        seasonal=season if period > 1 else None,
                        seasonal_periods=period if period > 1 else None,
                        initialization_method=init,
                    ).fit(disp=False, maxiter=ETS_MAXITER)
                    break
                except ValueError:  # too few cycles for the heuristic
                    continue
            if intervals:
                frame = fit.get_prediction(
                    start=len(y),
                    end=len(y) + ahead - 1,
                    simulate_repetitions=ETS_REPETITIONS,
                    # Fixed errors (N(0, sigma)): the same history gives the same band;
                    # passed as an array because the seed's keyword differs by version.
                    random_errors=np.random.default_rng(0).standard_normal((ahead, ETS_REPETITIONS))
                    * np.sqrt(fit.scale),
                ).summary_frame(alpha=0.2)
                mean = frame["mean"].to_numpy()
                lower, upper = frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy()
            else:
                mean = lower = upper = np.asarray(fit.forecast(ahead), dtype=float)
    day = np.zeros((3, days))
    day[:, open_weekdays[future_weekday]] = np.nan_to_num(np.vstack([mean, lower, upper]))
    day = np.clip(day, 0.0, None)
    return day[0][:, None] * profiles[future_weekday], day[1], day[2]


_POINT: dict[str, Callable[[_Data, int], np.ndarray]] = {
    "seasonal_naive": _seasonal_naive,
    "weighted_average": _weighted_average,
}


def _empirical_band(
    data: _Data, days: int, day_contacts: np.ndarray, point: Callable[[_Data, int], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """80 % band of a non-ETS method from its own recent errors: the method forecasts each
    of the last ERROR_ORIGINS weeks from the days before it, and the 10th and 90th
    percentiles of actual / forecast - 1 over those days scale today's forecast. Week k of
    the horizon widens by sqrt(k) (errors of a level that drifts add up). With fewer than
    8 scored days the band is Poisson (f +- 1.28 sqrt(f)), which is also the floor: an
    arrival count is at least Poisson noisy."""
    ratios = []
    for weeks in range(1, ERROR_ORIGINS + 1):
        origin = data.n - 7 * weeks
        past = data.head(origin) if origin > 0 else None
        if past is None or np.count_nonzero(past.valid) < MIN_DAYS["seasonal_naive"]:
            break
        fc = point(past, 7).sum(axis=1)
        actual = data.day_offered[origin : origin + 7]
        scored = ~np.isnan(actual) & (fc > 0)
        ratios.append(actual[scored] / fc[scored] - 1.0)
    ratios = np.concatenate(ratios) if ratios else np.zeros(0)
    widen = np.sqrt(np.arange(days) // 7 + 1.0)
    poisson = Z80 * np.sqrt(day_contacts) * widen
    if len(ratios) >= 8:
        low, high = np.percentile(ratios, [10, 90])
        lower = day_contacts * (1 + min(low, 0.0) * widen)
        upper = day_contacts * (1 + max(high, 0.0) * widen)
    else:
        lower = upper = day_contacts
    lower = np.minimum(lower, day_contacts - poisson)
    upper = np.maximum(upper, day_contacts + poisson)
    return lower, upper


# --- the interface ------------------------------------------------------------------------


def _empty(days: int, note: str) -> Prediction:
    zero = np.zeros(days)
    return Prediction(
        method="seasonal_naive",
        contacts=np.zeros((days, SLOTS)),
        day_contacts=zero,
        day_lower=zero.copy(),
        day_upper=zero.copy(),
        aht_seconds=np.full(days, np.nan),
        note=note,
    )


def _usable(data: _Data, method: str, days: int) -> str:
    """ "" when `method` can run on `data`, else why not."""
    known = int(np.count_nonzero(data.valid))
    if known < MIN_DAYS[method]:
        return f"{method} needs {MIN_DAYS[method]} days of history, {known} before {data.start}"
    needed = np.unique((data.start.weekday() + np.arange(min(days, 7))) % 7)
    missing = np.setdiff1d(needed, np.unique(data.weekday[data.valid]))
    if len(missing):
        names = ", ".join(date(2024, 1, 1 + int(w)).strftime("%A") for w in missing)
        return f"{method} has no {names} in the history before {data.start}"
    return ""


def _predict(data: _Data, days: int, method: str, intervals: bool = True, **options) -> Prediction:
    if method not in METHODS:
        raise ValueError(f"unknown forecast method {method!r}; one of {', '.join(METHODS)}")
    if days <= 0:
        return _empty(0, "")
    if not data.valid.any():
        return _empty(days, f"no history before {data.start}")
    notes = []
    chain = METHODS[: METHODS.index(method) + 1][::-1]  # the method, then simpler ones
    for candidate in chain:
        why = _usable(data, candidate, days)
        if why:
            notes.append(why)
            continue
        if candidate == "holt_winters":
            contacts, lower, upper = _ets(data, days, intervals)
        else:
            point = _POINT[candidate]
            if candidate == "weighted_average" and options:
                point = partial(_weighted_average, **options)
            contacts = point(data, days)
        contacts = np.clip(np.nan_to_num(contacts), 0.0, None)
        day_contacts = contacts.sum(axis=1)
        if candidate != "holt_winters":
            if intervals:
                lower, upper = _empirical_band(data, days, day_contacts, point)
            else:
                lower = upper = day_contacts
        # The band holds the forecast, is never negative, and a day with nothing expected
        # (closed every recent week) has none.
        open_day = day_contacts > 0
        lower = np.where(open_day, np.clip(np.minimum(lower, day_contacts), 0.0, None), 0.0)
        upper = np.where(open_day, np.maximum(upper, day_contacts), 0.0)
        aht = np.where(open_day, _aht(data, days), np.nan)
        if candidate != method:
            notes.append(f"fell back to {candidate}")
        return Prediction(candidate, contacts, day_contacts, lower, upper, aht, "; ".join(notes))
    return _empty(days, "; ".join(notes))


def forecast(history: History, start: date, days: int, method: str, **options) -> Prediction:
    """Forecast `days` days from `start` (normally the day after the history's last day;
    days in between are treated as missing, history from `start` on is ignored) with
    `method`, falling back to a simpler method when the history is too short for it, and
    to an all-zero prediction with a note when it is too short for any.

    `options` go to the method: `trend=False` switches off weighted_average's trend."""
    return _predict(_data(history, start), days, method, **options)


def backtest(
    history: History, methods: Sequence[str] = METHODS, origins: int = 4, horizon: int = 7
) -> list[Score]:
    """Rolling-origin accuracy: for each of the last `origins` weeks, forecast `horizon`
    days from the history before that week's first day and compare with what came, per
    method, at 15-minute slots and day totals (excluded days and NaN slots are skipped).
    Origins whose history cannot feed even seasonal_naive are not scored, so a short
    history has fewer; a method that falls back at an origin is scored on what it gave."""
    if not len(history.day_offered):
        return [Score(m, g, None, None, 0, 0.0) for m in methods for g in ("interval", "day")]
    end = history.first_day + timedelta(days=len(history.day_offered))
    data = _data(history, end)
    cuts = [data.n - 7 * k for k in range(origins, 0, -1)]
    cuts = [
        cut
        for cut in cuts
        if cut > 0 and np.count_nonzero(data.valid[:cut]) >= MIN_DAYS["seasonal_naive"]
    ]
    pairs: dict[str, dict[str, list]] = {m: {"f": [], "a": [], "df": [], "da": []} for m in methods}
    for cut in cuts:
        past = data.head(cut)
        length = min(horizon, data.n - cut)
        actual = data.offered[cut : cut + length]
        day_actual = data.day_offered[cut : cut + length]
        for method in methods:
            made = _predict(past, length, method, intervals=False)
            pairs[method]["f"].append(made.contacts)
            pairs[method]["a"].append(actual)
            pairs[method]["df"].append(made.day_contacts)
            pairs[method]["da"].append(day_actual)
    scores = []
    for method in methods:
        for grain, f, a in (("interval", "f", "a"), ("day", "df", "da")):
            if cuts:
                fc = np.concatenate([x.ravel() for x in pairs[method][f]])
                ac = np.concatenate([x.ravel() for x in pairs[method][a]])
            else:
                fc = ac = np.zeros(0)
            wape, bias = accuracy(fc, ac)
            total = float(np.nansum(ac[~np.isnan(fc)])) if len(ac) else 0.0
            scores.append(Score(method, grain, wape, bias, len(cuts), total))
    return scores


def choose(scores: list[Score]) -> str:
    """The method with the lowest interval WAPE; ties go to the lowest day WAPE, then to
    the simpler method (a complex method must earn its place). seasonal_naive when
    nothing could be scored."""
    by = {(s.method, s.grain): s.wape for s in scores}
    ranked = [
        (round(by[(m, "interval")], 12), round(by.get((m, "day")) or 0.0, 12), METHODS.index(m), m)
        for m in METHODS
        if by.get((m, "interval")) is not None
    ]
    if not ranked:
        return "seasonal_naive"
    return min(ranked)[-1]
