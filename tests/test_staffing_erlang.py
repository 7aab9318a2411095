"""The staffing calculators (staffing.erlang): Erlang C against the spec's worked example,
published tables and an independent log-space formula; Erlang A against an independent
computation on its truncated chain and against a seeded discrete-event simulation;
scheduled heads exactly; chat concurrency; deferred work never late."""

import heapq
from fractions import Fraction

import numpy as np
import pytest
from scipy import linalg, stats

from staffing.erlang import MODELS, agents_needed, deferred_agents, evaluate, scheduled

WORKED = {"contacts": 100, "aht_seconds": 180, "interval_seconds": 1800, "answer_seconds": 20}


def test_the_specs_worked_example():
    assert agents_needed("erlang_c", target_service_level=0.8, **WORKED) == 14
    result = evaluate("erlang_c", 14, **WORKED)
    assert round(float(result.service_level), 3) == 0.888
    assert round(float(result.asa_seconds), 1) == 7.8
    assert round(float(result.occupancy), 3) == 0.714
    assert round(float(result.probability_of_waiting), 3) == 0.174
    assert result.abandon_rate is None


def test_published_erlang_c_tables():
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example"
    # (the spec's classic): 10 Erlangs, 80/20, with 11 agents Pw 68.21 %, SL 39.0 %,
    # ASA 122.8 s; with 14 agents Pw 17.41 %, SL 88.8 %, ASA 7.8 s.
    result = evaluate("erlang_c", np.array([11, 14]), **WORKED)
    np.testing.assert_allclose(result.probability_of_waiting, [0.6821, 0.1741], atol=5e-5)
    np.testing.assert_allclose(result.service_level, [0.390, 0.888], atol=5e-4)
    np.testing.assert_allclose(result.asa_seconds, [122.8, 7.8], atol=0.05)
    # The Erlang B table at 1 % blocking (any traffic-engineering handbook, e.g. the
    # ITU-T teletraffic engineering handbook's tables): 10 lines carry 4.461 Erlangs,
    # 20 carry 12.031, 50 carry 37.901, 100 carry 84.064. Erlang C is Erlang B's
    # n B / (n - A (1 - B)), so with B = 0.01 the waiting probability follows.
    lines = np.array([10, 20, 50, 100])
    erlangs = np.array([4.461, 12.031, 37.901, 84.064])
    expected = lines * 0.01 / (lines - erlangs * 0.99)
    waiting = evaluate("erlang_c", lines, erlangs, 1.0, 1.0, 0).probability_of_waiting
    np.testing.assert_allclose(waiting, expected, rtol=2e-3)  # the table's A is rounded
    # M/M/1 and M/M/2 in closed form: C = rho, and C = 2 rho^2 / (1 + rho).
    assert float(evaluate("erlang_c", 1, 0.7, 1, 1, 0).probability_of_waiting) == pytest.approx(
        0.7, rel=1e-12
    )
    assert float(evaluate("erlang_c", 2, 1.0, 1, 1, 0).probability_of_waiting) == pytest.approx(
        1 / 3, rel=1e-12
    )


def erlang_c_from_poisson(agents, traffic):
    """Independent of the recursion: B = P(N = n) / P(N <= n) for N ~ Poisson(A), both
    in logs (scipy's incomplete gamma), then C = n B / (n - A (1 - B))."""
    blocking = np.exp(stats.poisson.logpmf(agents, traffic) - stats.poisson.logcdf(agents, traffic))
    return agents * blocking / (agents - traffic * (1 - blocking))


def test_five_thousand_contacts_in_thirty_minutes():
    large = {**WORKED, "contacts": 5000}  # 500 Erlangs
    with np.errstate(all="raise"):
        needed = int(agents_needed("erlang_c", target_service_level=0.8, **large))
    around = np.array([needed - 1, needed])
    result = evaluate("erlang_c", around, **large)
    assert result.service_level[0] < 0.8 <= result.service_level[1]
    assert 500 < needed < 530
    np.testing.assert_allclose(
        result.probability_of_waiting, erlang_c_from_poisson(around, 500.0), rtol=1e-9
    )
    assert np.isfinite(result.asa_seconds).all()
    erlang_a = int(
        agents_needed("erlang_a", target_service_level=0.8, patience_seconds=300, **large)
    )
    assert 450 < erlang_a <= needed
    result_a = evaluate("erlang_a", erlang_a, patience_seconds=300, **large)
    assert np.isfinite([result_a.asa_seconds, result_a.abandon_rate]).all()
    # The API's ceiling, 10,000 Erlangs, still answers.
    assert int(agents_needed("erlang_c", 10_000, 1, 1, 0.8, 20)) > 10_000


def test_erlang_c_is_unstable_at_or_below_the_traffic():
    result = evaluate("erlang_c", np.array([9, 10]), **WORKED)
    assert result.service_level.tolist() == [0.0, 0.0]
    assert result.probability_of_waiting.tolist() == [1.0, 1.0]
    assert np.isnan(result.asa_seconds).all()
    assert result.occupancy.tolist() == [1.0, 1.0]


def test_no_contacts_needs_no_agents():
    assert agents_needed("erlang_c", [0, 10], 180, 900, 0.8, 20).tolist() == [0, 4]
    assert agents_needed("erlang_a", 0, np.nan, 900, 0.8, 20, patience_seconds=60) == 0
    idle = evaluate("erlang_a", 3, 0, np.nan, 900, 20, patience_seconds=60)
    assert (idle.service_level, idle.probability_of_waiting, idle.occupancy) == (1, 0, 0)


def test_scheduled_is_an_exact_ceiling():
    assert 21 / (1 - 0.3) > 30  # the float trap the spec names
    assert scheduled(21, 0.3) == 30
    assert scheduled(14, 0.3) == 20
    assert scheduled(0, 0.3) == 0
    assert scheduled(np.array([7, 9, 10]), np.array([0.3, 0.1, 0.0])).tolist() == [10, 10, 10]
    rng = np.random.default_rng(17)
    agents = rng.integers(0, 500, 2000)
    shrinkage = rng.integers(0, 100, 2000) / 100  # whole percents, as people type them
    exact = [
        -(-Fraction(int(n)) // (1 - Fraction(str(s))))
        for n, s in zip(agents, shrinkage, strict=True)
    ]
    assert scheduled(agents, shrinkage).tolist() == exact
    with pytest.raises(ValueError):
        scheduled(10, 1.0)


class TruncatedChain:
    """Erlang A computed independently of the engine: the birth-death chain truncated at
    `depth` waiting places, its stationary law from a linear solve of pi Q = 0, and the
    tagged arrival as a phase-type absorbing chain (i ahead -> i - 1 at rate s mu +
    i theta, abandon at theta, served from 0 at s mu). With Q_T its transient
    generator and r the rates into "served": P(served) = alpha (-Q_T)^-1 r,
    P(served by t) = alpha (-Q_T)^-1 (I - e^(Q_T t)) r (scipy.linalg.expm) and
    E[wait; served] = alpha (-Q_T)^-2 r."""

    def __init__(self, servers, lam, mu, theta, depth=150):
        size = servers + depth + 1
        generator = np.zeros((size, size))
        for k in range(size):
            if k + 1 < size:
                generator[k, k + 1] = lam
            if k > 0:
                generator[k, k - 1] = min(k, servers) * mu + max(k - servers, 0) * theta
            generator[k, k] = -generator[k].sum()
        # pi Q = 0 with sum pi = 1: replace one balance equation by the normalisation.
        system = np.vstack([generator.T[:-1], np.ones(size)])
        self.pi = linalg.solve(system, np.r_[np.zeros(size - 1), 1.0])
        self.servers, self.lam, self.theta = servers, lam, theta
        ahead = np.arange(depth)
        moving = servers * mu + ahead * theta
        transient = np.diag(-(moving + theta)) + np.diag(moving[1:], -1)
        self.transient = transient
        self.into_served = np.zeros(depth)
        self.into_served[0] = servers * mu
        # Arrivals (PASTA) finding s + m in the system wait with m ahead.
        self.alpha = self.pi[servers : servers + depth]

    def probability_of_waiting(self):
        return self.pi[self.servers :].sum()

    def abandon_rate(self):
        queue = np.maximum(np.arange(self.pi.size) - self.servers, 0)
        return self.theta * (queue * self.pi).sum() / self.lam

    def service_level(self, t):
        inverse = linalg.inv(-self.transient)
        within = inverse @ (np.eye(len(inverse)) - linalg.expm(self.transient * t))
        return 1 - self.probability_of_waiting() + self.alpha @ within @ self.into_served

    def asa(self):
        inverse = linalg.inv(-self.transient)
        answered = 1 - self.probability_of_waiting() + self.alpha @ inverse @ self.into_served
        return self.alpha @ inverse @ inverse @ self.into_served / answered


@pytest.mark.parametrize("agents", [6, 10, 12, 14])
@pytest.mark.parametrize("patience", [30.0, 120.0, 600.0])
def test_erlang_a_equals_an_independent_computation(agents, patience):
    chain = TruncatedChain(agents, lam=100 / 1800, mu=1 / 180, theta=1 / patience)
    result = evaluate("erlang_a", agents, patience_seconds=patience, **WORKED)
    assert float(result.probability_of_waiting) == pytest.approx(
        chain.probability_of_waiting(), rel=1e-9
    )
    assert float(result.abandon_rate) == pytest.approx(chain.abandon_rate(), rel=1e-9)
    assert float(result.service_level) == pytest.approx(chain.service_level(20), rel=1e-9)
    assert float(result.asa_seconds) == pytest.approx(chain.asa(), rel=1e-8)
    served = 100 / 1800 * (1 - chain.abandon_rate())
    assert float(result.occupancy) == pytest.approx(served * 180 / agents, rel=1e-9)


def simulate_erlang_a(servers, lam, aht, patience, answer, customers, seed):
    """FCFS M/M/n+M, customer by customer: a waiting customer is served by the first
    server to free up after every earlier customer who stayed, so its wait is known on
    arrival; it leaves if its patience is shorter. Returns per customer: answered
    within `answer`, abandoned, wait if answered (NaN otherwise)."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, customers))
    services = rng.exponential(aht, customers)
    patiences = rng.exponential(patience, customers)
    free_at = [0.0] * servers
    waits = np.empty(customers)
    for i in range(customers):
        wait = max(free_at[0] - arrivals[i], 0.0)
        if wait > patiences[i]:
            waits[i] = np.nan
        else:
            waits[i] = wait
            heapq.heapreplace(free_at, arrivals[i] + wait + services[i])
    return waits <= answer, np.isnan(waits), waits


def batch_mean_and_error(values, batches=25):
    """The mean and its standard error from batch means: the customers of one queue are
    correlated (a busy spell delays many in a row), so the error is read from the spread
    of the means of 25 long consecutive batches, not from p(1-p)/N."""
    means = np.array([np.nanmean(part) for part in np.array_split(values, batches)])
    return means.mean(), means.std(ddof=1) / np.sqrt(batches)


def test_erlang_a_agrees_with_a_seeded_simulation():
    servers, patience = 12, 120.0
    answered, abandoned, waits = simulate_erlang_a(
        servers, lam=100 / 1800, aht=180.0, patience=patience, answer=20.0,
        customers=250_000, seed=17,
    )  # fmt: skip
    warm = slice(2_000, None)  # starts empty; drop the start-up
    result = evaluate("erlang_a", servers, patience_seconds=patience, **WORKED)
    # Four standard errors: a correct engine fails this less than once in 10,000 seeds
    # per figure, while an error in a formula of even 1 % of the value shows.
    for simulated, exact in (
        (answered[warm], result.service_level),
        (abandoned[warm].astype(float), result.abandon_rate),
        (waits[warm], result.asa_seconds),
    ):
        mean, error = batch_mean_and_error(simulated)
        assert abs(mean - float(exact)) < 4 * error, (mean, float(exact), error)
        assert error < 0.02 * float(exact)  # the simulation is long enough to mean something


def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    agents = np.arange(11, 20)
    erlang_c = evaluate("erlang_c", agents, **WORKED)
    erlang_a = evaluate("erlang_a", agents, patience_seconds=1e9, **WORKED)
    for name in ("service_level", "probability_of_waiting", "asa_seconds", "occupancy"):
        np.testing.assert_allclose(getattr(erlang_a, name), getattr(erlang_c, name), rtol=1e-5)
    # With patience P far above every wait, a caller leaves with probability W / P.
    np.testing.assert_allclose(erlang_a.abandon_rate, erlang_c.asa_seconds / 1e9, rtol=1e-4)
    assert agents_needed("erlang_a", target_service_level=0.8, patience_seconds=1e9, **WORKED) == 14


def test_erlang_a_needs_fewer_agents_with_impatient_callers_and_may_go_below_the_traffic():
    erlang_a = int(
        agents_needed("erlang_a", target_service_level=0.8, patience_seconds=120, **WORKED)
    )
    assert erlang_a < 14
    # 60 % answered within 20 s with 10 Erlangs: Erlang C cannot have 10 agents, Erlang A can.
    assert agents_needed("erlang_a", target_service_level=0.6, patience_seconds=30, **WORKED) <= 10
    result = evaluate("erlang_a", 10, patience_seconds=30, **WORKED)
    assert 0 < result.service_level < 1 and np.isfinite(result.asa_seconds)


@pytest.mark.parametrize("model", MODELS)
def test_agents_needed_is_the_least_that_meets_target_and_occupancy(model):
    rng = np.random.default_rng(5)
    contacts = rng.uniform(1, 400, 60)
    aht = rng.uniform(60, 600, 60)
    target = rng.uniform(0.5, 0.95, 60)
    cap = np.where(np.arange(60) % 3 == 0, 0.75, 1.0)  # a third are capped at 75 %
    patience = 90.0 if model == "erlang_a" else None
    needed = agents_needed(model, contacts, aht, 900, target, 20, cap, patience)
    at = evaluate(model, needed, contacts, aht, 900, 20, patience)
    below = evaluate(model, needed - 1, contacts, aht, 900, 20, patience)
    assert ((at.service_level >= target) & (at.occupancy <= cap)).all()
    assert ((below.service_level < target) | (below.occupancy > cap)).all()
    # The vectorised call is the scalar calls.
    scalar = [
        int(agents_needed(model, c, h, 900, t, 20, o, patience))
        for c, h, t, o in zip(contacts[:15], aht[:15], target[:15], cap[:15], strict=True)
    ]
    assert needed[:15].tolist() == scalar
    single = evaluate(model, needed[7], contacts[7], aht[7], 900, 20, patience)
    assert float(single.service_level) == at.service_level[7]


@pytest.mark.parametrize("model", MODELS)
def test_the_what_if_curve_is_one_call_over_head_counts(model):
    heads = np.arange(1, 31)
    curve = evaluate(model, heads, patience_seconds=120 if model == "erlang_a" else None, **WORKED)
    assert curve.service_level.shape == (30,)
    assert (np.diff(curve.service_level) >= 0).all()
    for n in (5, 12, 25):
        one = evaluate(model, n, patience_seconds=120 if model == "erlang_a" else None, **WORKED)
        assert float(one.service_level) == curve.service_level[n - 1]


@pytest.mark.parametrize("model", MODELS)
def test_chat_concurrency_makes_every_agent_k_servers(model):
    chats = {"contacts": 300, "aht_seconds": 600, "interval_seconds": 1800, "answer_seconds": 60}
    patience = 180 if model == "erlang_a" else None
    needed = int(agents_needed(model, target_service_level=0.8, patience_seconds=patience,
                               concurrency=3, **chats))  # fmt: skip
    servers = int(
        agents_needed(model, target_service_level=0.8, patience_seconds=patience, **chats)
    )
    assert needed == -(-servers // 3)  # 100 Erlangs of chat: a third as many agents, rounded up
    as_chat = evaluate(model, needed, patience_seconds=patience, concurrency=3, **chats)
    as_slots = evaluate(model, needed * 3, patience_seconds=patience, **chats)
    assert float(as_chat.service_level) == float(as_slots.service_level) >= 0.8
    short = evaluate(model, needed - 1, patience_seconds=patience, concurrency=3, **chats)
    assert short.service_level < 0.8


def test_deferred_work_is_never_late():
    rng = np.random.default_rng(3)
    interval = 900.0
    contacts = rng.poisson(20, (4, 96)) * (rng.random((4, 96)) < 0.6)
    aht = np.array([[400.0], [400.0], [250.0], [250.0]])
    response = np.array([[14_400.0], [900.0], [3_600.0], [300.0]])  # 4 h, 15 min, 1 h, 5 min
    agents = deferred_agents(contacts, aht, interval, response)
    work = contacts * aht
    done = np.cumsum(agents * interval, axis=-1)
    arrived = np.cumsum(work, axis=-1)
    spread = np.maximum(1, np.floor(response / interval)).astype(int)
    for row in range(4):
        k = spread[row, 0]
        # The work of interval i is due within `response` of its earliest arrival (the
        # start of i), so all of it is due by the end of interval i + k - 1.
        due = np.r_[np.zeros(k - 1), arrived[row, : 96 - k + 1]]
        assert (done[row] >= due[:96] - 1e-6).all()
        assert (done[row] <= arrived[row] + 1e-6).all()  # nothing is worked before it arrives
    # E-mail due in 4 hours: 16 intervals, so a lone burst is spread over 16 of them.
    burst = deferred_agents(np.r_[160.0, np.zeros(20)], 450.0, interval, 14_400.0)
    np.testing.assert_allclose(burst[:16], 160 * 450 / 16 / interval)
    assert (burst[16:] == 0).all()


def test_bad_model_or_missing_patience():
    with pytest.raises(ValueError, match="model"):
        evaluate("erlang_b", 10, **WORKED)
    with pytest.raises(ValueError, match="patience"):
        agents_needed("erlang_a", target_service_level=0.8, **WORKED)


def test_an_occupancy_cap_met_exactly_is_not_skipped_by_the_search_start():
    """The search starts just below A / cap; 8.5 Erlangs at a cap of 0.85 is met by
    exactly 10 agents (8.5 / 0.85 is 10.000000000000002 in floating point)."""
    needed = agents_needed("erlang_c", 25.5, 300, 900, 0.01, 20, max_occupancy=0.85)
    assert int(needed) == 10
    assert float(evaluate("erlang_c", 10, 25.5, 300, 900, 20).occupancy) == 0.85
