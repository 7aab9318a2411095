"""The forecasting engine (forecasting.methods) on synthetic history whose arrival rate is
known exactly: accuracy against the true rate, method choice by backtest, fallbacks and
edge cases (closed slots, excluded days, a spring-forward hour, short or empty history)."""

import time
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pytest

from forecasting import methods
from forecasting.methods import METHODS, SLOTS, History

FIRST_DAY = date(2026, 1, 5)  # a Monday
# Mon high, Sat low, Sun closed; ~3,000 contacts on an average weekday.
WEEKDAY = np.array([1.25, 1.1, 1.05, 1.0, 0.95, 0.45, 0.0])
BASE = 3000.0
GROWTH = 0.03  # per week
AHT_START, AHT_DRIFT = 300.0, 0.5  # seconds, seconds per day


def intraday(open_from: int = 8, open_to: int = 20) -> np.ndarray:
    """Share of a day per 15-minute slot: zero outside opening hours, a late-morning peak
    and a smaller afternoon one."""
    hours = (np.arange(SLOTS) + 0.5) / 4
    shape = (
        1 + 0.9 * np.exp(-(((hours - 11) / 1.5) ** 2)) + 0.5 * np.exp(-(((hours - 15) / 2) ** 2))
    )
    shape = np.where((hours >= open_from) & (hours < open_to), shape, 0.0)
    return shape / shape.sum()


@dataclass
class Synthetic:
    history: History
    start: date  # the first day after the history
    rate: np.ndarray  # (history + future days, 96) true expected contacts per slot
    aht: np.ndarray  # (history + future days,) true mean handle time
    weeks: int

    def future(self, days: int) -> tuple[np.ndarray, np.ndarray]:
        n = 7 * self.weeks
        return self.rate[n : n + days], self.aht[n : n + days]


def synthetic(
    seed: int = 0,
    weeks: int = 8,
    future_days: int = 42,
    growth: float = GROWTH,
    noise: bool = True,
    base: float = BASE,
    profile: np.ndarray | None = None,
    level: np.ndarray | None = None,
) -> Synthetic:
    """`weeks` weeks of history from FIRST_DAY: Poisson arrivals per slot (or the exact
    rate with noise=False) at base * weekday * (1 + growth) ** (day / 7) * level[day],
    handled 95 %, each handled contact's handle time exponential around an AHT drifting
    AHT_DRIFT s/day from AHT_START."""
    rng = np.random.default_rng(seed)
    total = 7 * weeks + future_days
    t = np.arange(total)
    daily = base * WEEKDAY[t % 7] * (1 + growth) ** (t / 7)
    if level is not None:
        daily = daily * level[:total]
    rate = daily[:, None] * (intraday() if profile is None else profile)[None, :]
    aht = AHT_START + AHT_DRIFT * t
    n = 7 * weeks
    offered = rng.poisson(rate[:n]).astype(float) if noise else rate[:n].copy()
    day_offered = offered.sum(axis=1)
    handled = np.round(day_offered * 0.95)
    # A sum of k exponentials of mean m is Gamma(k, m).
    seconds = np.where(handled > 0, rng.gamma(np.maximum(handled, 1), aht[:n]), 0.0)
    if not noise:
        seconds = handled * aht[:n]
    history = History(FIRST_DAY, offered, day_offered, handled, seconds)
    return Synthetic(history, FIRST_DAY + timedelta(days=n), rate, aht, weeks)


def hourly(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], SLOTS // 4, 4).sum(axis=2)


def errors(made: methods.Prediction, case: Synthetic) -> dict[str, float]:
    """Hourly and daily WAPE against the true rate, and the worst day's AHT error."""
    days = len(made.day_contacts)
    rate, aht = case.future(days)
    hourly_wape, _ = methods.accuracy(hourly(made.contacts), hourly(rate))
    daily_wape, daily_bias = methods.accuracy(made.day_contacts, rate.sum(axis=1))
    open_day = rate.sum(axis=1) > 0
    aht_error = np.max(np.abs(made.aht_seconds[open_day] / aht[open_day] - 1))
    return {"hour": hourly_wape, "day": daily_wape, "bias": daily_bias, "aht": aht_error}


def forecast_all(history: History, start: date, days: int = 7) -> dict[str, methods.Prediction]:
    return {method: methods.forecast(history, start, days, method) for method in METHODS}


# --- accuracy against the true rate ---------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_chosen_method_and_holt_winters_beat_seasonal_naive(seed):
    case = synthetic(seed=seed)
    chosen = methods.choose(methods.backtest(case.history))
    made = forecast_all(case.history, case.start)
    naive = errors(made["seasonal_naive"], case)
    for method in {chosen, "holt_winters"}:
        assert made[method].method == method and made[method].note == ""
        mine = errors(made[method], case)
        assert mine["hour"] < 0.07, (method, mine)
        assert mine["hour"] <= 0.75 * naive["hour"], (method, mine, naive)
        assert mine["day"] < 0.035, (method, mine)
        assert mine["day"] < naive["day"], (method, mine, naive)
        assert mine["aht"] < 0.05, (method, mine)


def test_without_a_trend_a_growing_queue_is_forecast_low():
    case = synthetic(seed=4)
    trended = errors(methods.forecast(case.history, case.start, 7, "weighted_average"), case)
    flat = errors(
        methods.forecast(case.history, case.start, 7, "weighted_average", trend=False), case
    )
    assert flat["bias"] < -0.05  # weeks-old levels at 3 %/week growth
    assert abs(trended["bias"]) < 0.02
    assert flat["day"] > 2 * trended["day"]


def test_the_80_percent_band_holds_the_forecast_and_mostly_the_truth():
    case = synthetic(seed=5)
    rate, _ = case.future(42)
    truth = rate.sum(axis=1)
    open_day = truth > 0
    for method, made in forecast_all(case.history, case.start, 42).items():
        assert np.allclose(made.day_contacts, made.contacts.sum(axis=1))
        assert np.all(made.day_lower >= 0)
        assert np.all(made.day_lower <= made.day_contacts + 1e-9)
        assert np.all(made.day_upper >= made.day_contacts - 1e-9)
        inside = (made.day_lower <= truth) & (truth <= made.day_upper)
        # seasonal_naive repeats a week ago: 3 %/week growth walks out of its band.
        least = 0.3 if method == "seasonal_naive" else 0.6
        assert inside[open_day].mean() >= least, (method, inside[open_day].mean())


# --- the backtest picks the method the history favours --------------------------------------


def test_a_level_shift_two_weeks_ago_is_won_by_seasonal_naive():
    level = np.ones(7 * 8 + 42)
    level[7 * 6 :] = 1.5
    case = synthetic(weeks=8, growth=0.0, noise=False, level=level)
    scores = methods.backtest(case.history)
    assert methods.choose(scores) == "seasonal_naive"
    assert {s.origins for s in scores} == {4}


def test_steady_strong_growth_is_won_by_a_trend_method():
    case = synthetic(weeks=8, growth=0.06, noise=False)
    scores = methods.backtest(case.history)
    chosen = methods.choose(scores)
    assert chosen != "seasonal_naive"
    wape = {(s.method, s.grain): s.wape for s in scores}
    assert wape[(chosen, "interval")] < 0.5 * wape[("seasonal_naive", "interval")]
    assert wape[(chosen, "day")] < 0.5 * wape[("seasonal_naive", "day")]


def test_choose_ties_and_nothing_scored():
    def score(method, interval, day):
        return [
            methods.Score(method, "interval", interval, 0.0, 4, 1.0),
            methods.Score(method, "day", day, 0.0, 4, 1.0),
        ]

    tied = score("holt_winters", 0.1, 0.05) + score("weighted_average", 0.1, 0.05)
    assert methods.choose(tied + score("seasonal_naive", 0.2, 0.01)) == "weighted_average"
    assert methods.choose(tied + score("seasonal_naive", 0.1, 0.04)) == "seasonal_naive"
    assert methods.choose(score("seasonal_naive", None, None)) == "seasonal_naive"
    assert methods.choose([]) == "seasonal_naive"


# --- closed hours, excluded days, DST, short and empty history ------------------------------


def test_closed_slots_and_days_forecast_exactly_zero():
    case = synthetic(seed=6)
    sunday = (case.start.weekday() + np.arange(14)) % 7 == 6
    for method, made in forecast_all(case.history, case.start, 14).items():
        assert np.all(made.contacts[:, :32] == 0), method  # before 08:00
        assert np.all(made.contacts[:, 80:] == 0), method  # from 20:00
        assert np.all(made.contacts[sunday] == 0), method
        assert np.all(made.day_lower[sunday] == 0) and np.all(made.day_upper[sunday] == 0)
        assert np.all(np.isnan(made.aht_seconds[sunday]))
        assert np.all(np.isfinite(made.aht_seconds[~sunday]))
        assert np.all(made.contacts[~sunday][:, 32:80] > 0), method


def test_excluded_days_are_skipped():
    case = synthetic(seed=7)
    n = 7 * case.weeks
    excluded = [n - 7, n - 5, n - 25, 10]  # the last Monday, a Wednesday, a Friday, ...
    offered = case.history.offered.copy()
    columns = {
        name: getattr(case.history, name).copy()
        for name in ("day_offered", "day_handled", "day_handle_seconds")
    }
    offered[excluded] = np.nan
    for values in columns.values():
        values[excluded] = np.nan
    history = replace(case.history, offered=offered, **columns)
    rate, _ = case.future(7)
    for method, made in forecast_all(history, case.start).items():
        assert made.method == method
        assert np.all(np.isfinite(made.contacts)) and np.all(np.isfinite(made.day_upper))
        # The excluded last Monday is replaced by the one before (two weeks of growth for
        # seasonal_naive, which does not correct for it).
        monday = made.day_contacts[0] / rate[0].sum()
        assert abs(monday - 1) < (0.12 if method == "seasonal_naive" else 0.05), (method, monday)
    scores = methods.backtest(history)
    assert all(s.wape is not None and s.origins == 4 for s in scores)
    for score in scores:
        rows = history.day_offered if score.grain == "day" else history.offered
        assert score.actual == pytest.approx(np.nansum(rows[n - 28 :]))


def test_a_spring_forward_hour_does_not_poison_the_profile():
    case = synthetic(seed=8, profile=np.full(SLOTS, 1 / SLOTS))  # open around the clock
    n = 7 * case.weeks
    offered = case.history.offered.copy()
    offered[n - 2, 8:12] = np.nan  # the last Saturday had no 02:00 hour
    day_offered = case.history.day_offered.copy()
    day_offered[n - 2] = np.nansum(offered[n - 2])
    history = replace(case.history, offered=offered, day_offered=day_offered)
    rate, _ = case.future(7)
    clean = forecast_all(case.history, case.start)
    saturday = 5
    for method, made in forecast_all(history, case.start).items():
        assert np.all(np.isfinite(made.contacts)), method
        hour = made.contacts[saturday, 8:12].sum() / rate[saturday, 8:12].sum()
        assert 0.75 < hour < 1.25, (method, hour)
        # The rest of the day is what it would have been with the hour known.
        rest = made.contacts[saturday, 12:].sum() / clean[method].contacts[saturday, 12:].sum()
        assert abs(rest - 1) < 0.01, (method, rest)


def test_short_history_falls_back_with_a_note():
    case = synthetic(seed=9, weeks=3)
    start = case.start

    def cut(days: int) -> History:
        h = case.history
        return History(
            start - timedelta(days=days),
            h.offered[-days:],
            h.day_offered[-days:],
            h.day_handled[-days:],
            h.day_handle_seconds[-days:],
        )

    made = methods.forecast(cut(17), start, 7, "holt_winters")
    assert made.method == "weighted_average"
    assert "holt_winters needs 21 days" in made.note and "fell back" in made.note
    made = methods.forecast(cut(10), start, 7, "holt_winters")
    assert made.method == "seasonal_naive" and made.day_contacts.sum() > 0
    made = methods.forecast(cut(5), start, 7, "seasonal_naive")
    assert made.day_contacts.sum() == 0 and np.all(np.isnan(made.aht_seconds))
    assert "seasonal_naive needs 7 days of history, 5 before" in made.note
    scores = methods.backtest(cut(17))
    assert {s.origins for s in scores} == {1}  # only the last week has a week before it


def test_empty_or_unknown_history_gives_zeros_with_a_reason():
    start = date(2026, 3, 9)
    empty = History(start, np.zeros((0, SLOTS)), np.zeros(0), np.zeros(0), np.zeros(0))
    nan = np.full(30, np.nan)
    unknown = History(start - timedelta(days=30), np.full((30, SLOTS), np.nan), nan, nan, nan)
    for history in (empty, unknown):
        for method in METHODS:
            made = methods.forecast(history, start, 42, method)
            assert made.contacts.shape == (42, SLOTS) and not made.contacts.any()
            assert not made.day_upper.any() and np.all(np.isnan(made.aht_seconds))
            assert made.note == "no history before 2026-03-09"
        scores = methods.backtest(history)
        assert len(scores) == 6 and all(s.wape is None and s.origins == 0 for s in scores)
        assert methods.choose(scores) == "seasonal_naive"


def test_a_gap_before_start_is_missing_history():
    case = synthetic(seed=10)
    made = methods.forecast(case.history, case.start + timedelta(days=7), 7, "holt_winters")
    rate, _ = case.future(14)
    assert made.method == "holt_winters"
    wape, _ = methods.accuracy(made.day_contacts, rate[7:].sum(axis=1))
    assert wape < 0.05


# --- AHT ----------------------------------------------------------------------------------


def test_aht_pools_weekdays_unless_they_really_differ():
    case = synthetic(seed=11)
    made = methods.forecast(case.history, case.start, 7, "weighted_average")
    steps = np.diff(made.aht_seconds[:6])  # Monday to Saturday: one line, no weekday steps
    assert np.allclose(steps, steps[0])
    assert 0 < steps[0] < 1.5

    # Mondays take 20 % longer: a real weekday effect, kept.
    seconds = case.history.day_handle_seconds.copy()
    seconds[::7] *= 1.2
    history = replace(case.history, day_handle_seconds=seconds)
    aht = methods.forecast(history, case.start, 7, "weighted_average").aht_seconds
    _, true_aht = case.future(7)
    assert abs(aht[0] / (1.2 * true_aht[0]) - 1) < 0.03
    assert abs(aht[2] / true_aht[2] - 1) < 0.03


# --- accuracy() and speed -----------------------------------------------------------------


def test_accuracy_on_known_numbers():
    wape, bias = methods.accuracy(
        np.array([10.0, 20.0, np.nan, 5.0]), np.array([8.0, 25.0, 3.0, np.nan])
    )
    assert wape == pytest.approx(7 / 33) and bias == pytest.approx(-3 / 33)
    assert methods.accuracy(np.array([1.0, 2.0]), np.array([0.0, 0.0])) == (None, None)
    assert methods.accuracy(np.zeros(0), np.zeros(0)) == (None, None)
    assert methods.accuracy(np.array([[3.0, 1.0]]), np.array([[2.0, 2.0]])) == (0.5, 0.0)


def test_a_year_of_history_forecasts_six_weeks_with_its_backtest_fast():
    case = synthetic(seed=12, weeks=52, growth=0.005)
    started = time.perf_counter()
    for method in METHODS:
        methods.backtest(case.history, methods=(method,))
        made = methods.forecast(case.history, case.start, 42, method)
        assert made.method == method and made.contacts.shape == (42, SLOTS)
    assert time.perf_counter() - started < 1.5
