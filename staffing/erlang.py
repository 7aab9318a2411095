"""The staffing calculators: Erlang C, Erlang A, scheduled heads, chat concurrency and
deferred work (spec/staffing.md, "Staffing"; the methods are explained in
docs/staffing.md).

Pure numpy/scipy. Every argument broadcasts, so a week of intervals for many queues is
one call, and so is the service level of every head count from 1 to 60 for one interval
(the what-if curve). Per interval of `interval_seconds` with `contacts` arrivals:
traffic A = contacts * aht / interval (Erlangs), lambda = contacts / interval,
mu = 1 / aht, theta = 1 / patience.

`concurrency` k (chat) makes every agent k servers: n agents are n * k servers fed the
measured handle time of one chat, so the traffic is counted in chat slots and the
occupancy is the share of slots in use.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import gammainc, gammaln, hyp1f1, pdtr, roots_legendre

MODELS = ("erlang_c", "erlang_a")

# Gauss-Legendre nodes for the mean wait of the answered under Erlang A (the one
# quantity without a closed form): on a window holding all but e^-60 of the integrand,
# 96 nodes integrate it to about 1e-12 (tests/test_staffing_erlang.py checks it against
# an independent computation).
_NODES, _WEIGHTS = roots_legendre(96)
# The integrand falls by e^-60 at the window's ends: far below float precision.
_WINDOW_DROP = 60.0
# Shrinkage and fractional heads are read to a millionth (the decimals a person types),
# so 21 / (1 - 0.3) is 21,000,000 / 700,000 = 30 exactly.
_MICRO = 1_000_000
# From this traffic on, the Erlang B recursion starts at the mode (see below).
_SEED_FROM = 32.0


@dataclass(frozen=True)
class Performance:
    """How a queue does with a given number of agents; arrays of the inputs' shape."""

    service_level: np.ndarray  # share of all arrivals answered within the answer time, 0-1
    probability_of_waiting: np.ndarray
    asa_seconds: np.ndarray  # mean wait of the answered; NaN where Erlang C is unstable
    occupancy: np.ndarray  # share of the agents' (slots') time on contacts, 0-1
    abandon_rate: np.ndarray | None  # Erlang A only: share of all arrivals that give up


def _check_model(model: str, patience_seconds) -> None:
    if model not in MODELS:
        raise ValueError(f"Unknown model {model!r}: one of {', '.join(MODELS)}.")
    if model == "erlang_a" and patience_seconds is None:
        raise ValueError("Erlang A needs patience_seconds.")


def _inverse_erlang_b_at_mode(traffic, seed_from=_SEED_FROM, at_least=None):
    """Where the Erlang B recursion may start for a stable queue: k0 = floor(A) servers,
    with 1/B(k0) = P(N <= k0) / P(N = k0) for N ~ Poisson(A), in logs. At the mode
    neither underflows (P(N = k0) >= about 1 / sqrt(2 pi A)), so this is exact to
    rounding, and the recursion upward from it is stable (each step damps an error).
    Below `seed_from` Erlangs the recursion starts at B(0) = 1 instead: for one pass of
    evaluate() those few steps cost less than the seed; the search of agents_needed seeds
    every queue (its passes go in blocks, so steps saved are passes saved), and starts
    higher where `at_least` (a count known to fall short) is above the mode: the same
    identity holds at any k, and past the mode it only grows (inf reads as "no wait")."""
    traffic = np.asarray(traffic, float)
    start, seed = np.zeros(traffic.shape), np.ones(traffic.shape)
    large = traffic >= seed_from
    load = traffic[large]
    first = np.floor(load)
    if at_least is not None:
        first = np.maximum(first, np.broadcast_to(at_least, traffic.shape)[large])
    log_pmf = first * np.log(load) - load - gammaln(first + 1.0)
    with np.errstate(over="ignore"):
        start[large], seed[large] = first, np.exp(np.log(pdtr(first, load)) - log_pmf)
    return start, seed


def _inverse_erlang_b(servers, traffic, start=0.0, seed=1.0) -> np.ndarray:
    """1 / B(servers, traffic) by the Erlang B recursion, B(k) = A B(k-1) / (k + A B(k-1)),
    written for its inverse: 1/B(k) = 1 + (k / A) / B(k-1), from 1/B(start) = seed
    (B(0) = 1 by default). No factorials, so 10,000 Erlangs is fine; where B underflows
    its inverse is inf, and every formula below reads inf as "no wait". One pass serves
    every element: sorted by the steps it needs, each keeps its value and drops out."""
    servers, traffic, start, seed = np.broadcast_arrays(servers, traffic, start, seed)
    steps = (servers - start).ravel().astype(np.int64)
    order = np.argsort(steps, kind="stable")
    steps = steps[order]
    rate = 1.0 / traffic.ravel()[order]
    count = start.ravel()[order].astype(float)
    running = seed.ravel()[order].astype(float)
    inverse = running.copy()
    first = int(np.searchsorted(steps, 1))  # no steps: the seed itself
    with np.errstate(over="ignore"):
        for step in range(1, int(steps[-1]) + 1 if steps.size else 1):
            tail = running[first:]
            tail *= rate[first:] * (count[first:] + step)
            tail += 1.0
            if np.isinf(tail).all():  # inf stays inf: the rest are all inf
                inverse[first:] = np.inf
                break
            end = int(np.searchsorted(steps, step, side="right"))
            inverse[first:end] = running[first:end]
            first = end
    result = np.empty(steps.size)
    result[order] = inverse
    return result.reshape(servers.shape)


def _erlang_c(servers, traffic, aht, answer, inverse_b):
    """Erlang C for servers > traffic (the caller masks the rest)."""
    slack = servers - traffic
    # C = s B / (s - A (1 - B)) = s / ((s - A) / B + A)
    waiting = servers / (slack * inverse_b + traffic)
    service_level = 1.0 - waiting * np.exp(-slack * answer / aht)
    asa = waiting * aht / slack
    return service_level, waiting, asa, traffic / servers


def _log_kummer(b, x):
    """log 1F1(1; b; x) = log sum_m x^m / (b)_m, for b >= 1, x > 0 (the waiting states'
    weights of the Erlang A chain). Below the series' turning point (x < b - 1) it is
    between 1 and about sqrt(b) and scipy's hyp1f1 is exact; above it the sum is huge and
    equals Gamma(b) x^(1-b) e^x P(b - 1, x) with the regularised incomplete gamma P at
    least about one half, so its log is taken term by term."""
    b, x = np.broadcast_arrays(np.asarray(b, float), np.asarray(x, float))
    result = np.empty(b.shape)
    low = x < b - 1
    result[low] = np.log(hyp1f1(1.0, b[low], x[low]))
    high = ~low
    bh, xh = b[high], x[high]
    with np.errstate(divide="ignore"):
        result[high] = gammaln(bh) - (bh - 1) * np.log(xh) + xh + np.log(gammainc(bh - 1, xh))
    return result


def _erlang_a(servers, contacts, aht, interval, answer, patience, inverse_b, *, with_asa=True):
    """Erlang A (M/M/n+M) for contacts > 0 and servers >= 0, exactly, from the stationary
    birth-death chain summed in closed form (docs/staffing.md, "Erlang A").

    With a = s mu / theta and y = lambda / theta, the chain's state s + m (m waiting) has
    weight pi_s t_m, t_m = y^m / (a + 1)_m, whose sum is J = 1F1(1; a + 1; y); the states
    below s sum to pi_s (1/B(s, A) - 1). A tagged arrival with m ahead is answered
    after T = sum_(l=0..m) Exp(s mu + l theta), i.e. e^(-theta T) ~ Beta(a, m + 1),
    unless its own Exp(theta) patience runs out first; summed over m with the weights
    t_m this gives the integral over u = e^(-theta w) of a u^a e^(y (1 - u)), in closed
    form with incomplete gamma functions. Everything is carried in logs."""
    lam = contacts / interval
    theta = 1.0 / patience
    a = servers * (1.0 / aht) / theta
    y = lam / theta
    log_j = _log_kummer(a + 1.0, y)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_pi_s = -np.logaddexp(np.log(inverse_b - 1.0), log_j)
        waiting = np.exp(log_pi_s + log_j)
        pi_s = np.exp(log_pi_s)
        # theta E[queue] / lambda = pi_s sum_m m t_m / y = pi_s (J (1 - a / y) + a / y)
        abandon = np.clip(waiting * (1.0 - a / y) + pi_s * a / y, 0.0, 1.0)
        # The answered who waited longer than t: pi_s G(u0), u0 = e^(-theta t), with
        # G(u0) = a/(a+1) u0^(a+1) e^(y (1 - u0)) 1F1(1; a + 2; y u0).
        u0 = np.exp(-theta * answer)
        log_late = (
            log_pi_s
            + np.log(a / (a + 1.0))
            - (a + 1.0) * theta * answer
            + y * (1.0 - u0)
            + _log_kummer(a + 2.0, y * u0)
        )
        late = np.where(a > 0, np.exp(log_late), 0.0)
        service_level = np.clip(1.0 - abandon - late, 0.0, 1.0)
        occupancy = np.where(servers > 0, lam * (1.0 - abandon) * aht / servers, 1.0)
    asa = _erlang_a_asa(a, y, theta, log_pi_s, 1.0 - abandon) if with_asa else None
    return service_level, np.clip(waiting, 0.0, 1.0), asa, np.minimum(occupancy, 1.0), abandon


def _erlang_a_asa(a, y, theta, log_pi_s, answered):
    """Mean wait of the answered: pi_s times the integral over w = theta * wait of
    a e^(-(a+1) w + y (1 - e^-w)) w / theta, over the answered share. The exponent
    l(w) is concave with its top at w* = max(0, log(y / (a + 1))) and l'' = -(a + 1)
    there; the window reaches where l has fallen by 60 (bounds in docs/staffing.md), and
    Gauss-Legendre integrates it."""
    c = _WINDOW_DROP / (a + 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        peak = np.maximum(0.0, np.log(y / (a + 1.0)))
        # Right of the top l falls by (a+1)(d - 1 + e^-d) >= (a+1) d^2/3 for d <= 1 and
        # > (a+1)(d - 1) always; left of it by (a+1)(e^d - 1 - d) >= (a+1) d^2/2.
        right = np.where(c <= 1.0 / 3.0, np.sqrt(3.0 * c), c + 1.0)
        # A top at 0 with l'(0) = y - (a+1) < 0 falls at least that steeply.
        steep = y < a + 1.0
        right = np.where(steep, np.minimum(right, _WINDOW_DROP / (a + 1.0 - y)), right)
        left = np.where(steep, 0.0, np.maximum(0.0, peak - np.sqrt(2.0 * c)))
        upper = peak + right
        half = (upper - left) / 2.0
        w = left[..., None] + half[..., None] * (_NODES + 1.0)
        log_f = (
            log_pi_s[..., None]
            + np.log(a)[..., None]
            - (a + 1.0)[..., None] * w
            + y[..., None] * -np.expm1(-w)
            + np.log(w / theta[..., None])
        )
        mean_wait_all = half * np.sum(_WEIGHTS * np.exp(log_f), axis=-1)
        return mean_wait_all / answered


def evaluate(
    model,
    agents,
    contacts,
    aht_seconds,
    interval_seconds,
    answer_seconds,
    patience_seconds=None,
    concurrency=1,
) -> Performance:
    """Service level, waiting, ASA, occupancy (and abandonment for Erlang A) of `agents`
    agents. No contacts: nobody waits (service level 1, occupancy 0). Erlang C with as
    many servers as Erlangs or fewer is unstable: service level 0, waiting 1, ASA NaN,
    occupancy 1."""
    _check_model(model, patience_seconds)
    arrays = np.broadcast_arrays(
        *(
            np.asarray(value, float)
            for value in (
                agents,
                contacts,
                aht_seconds,
                interval_seconds,
                answer_seconds,
                1.0 if patience_seconds is None else patience_seconds,
                concurrency,
            )
        )
    )
    agents, contacts, aht, interval, answer, patience, concurrency = arrays
    shape = agents.shape
    servers = agents * concurrency
    busy = contacts > 0
    service_level, waiting = np.ones(shape), np.zeros(shape)
    asa, occupancy = np.zeros(shape), np.zeros(shape)
    abandon = np.zeros(shape) if model == "erlang_a" else None

    traffic = contacts[busy] * aht[busy] / interval[busy]
    if model == "erlang_c":
        stable = servers[busy] > traffic
        # Only stable queues need B: start each at or below its mode (the unstable at n).
        start, seed = _inverse_erlang_b_at_mode(traffic)
        start = np.where(stable, start, servers[busy])
        inverse_b = _inverse_erlang_b(servers[busy], traffic, start, seed)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            values = _erlang_c(servers[busy], traffic, aht[busy], answer[busy], inverse_b)
            for out, value, unstable in zip(
                (service_level, waiting, asa, occupancy),
                values,
                (0.0, 1.0, np.nan, 1.0),
                strict=True,
            ):
                out[busy] = np.where(stable, value, unstable)
    else:
        inverse_b = _inverse_erlang_b(servers[busy], traffic)
        values = _erlang_a(
            servers[busy],
            contacts[busy],
            aht[busy],
            interval[busy],
            answer[busy],
            patience[busy],
            inverse_b,
        )
        for out, value in zip(
            (service_level, waiting, asa, occupancy, abandon), values, strict=True
        ):
            out[busy] = value
    return Performance(service_level, waiting, asa, occupancy, abandon)


def _erlang_c_servers_needed(traffic, aht, answer, target, max_occupancy, block=4):
    """The least server count s > A with Erlang C's service level >= target and A / s <=
    max_occupancy, for flat arrays of positive traffic: the Erlang B recursion from each
    queue's mode (or its occupancy bound) upward, `block` server counts at a time checked as one array; an
    element leaves the pass at its answer."""
    needed = np.zeros(traffic.shape, dtype=np.int64)
    open_ = np.arange(traffic.size)
    # Fewer than A / max_occupancy servers break the cap: floor(A / cap) - 1 is surely
    # short (one below, so a cap met exactly is not skipped by rounding).
    start, inverse = _inverse_erlang_b_at_mode(
        traffic, seed_from=0.0, at_least=np.floor(traffic / max_occupancy) - 1.0
    )
    rows = np.empty((block, traffic.size))
    offsets = np.arange(1, block + 1, dtype=float)[:, None]
    step = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        while open_.size:
            load, rate = traffic[open_], 1.0 / traffic[open_]
            counts = start[open_] + step + offsets
            for row in range(block):
                inverse = 1.0 + inverse * (rate * counts[row])
                rows[row, : open_.size] = inverse
            slack = counts - load
            waiting = counts / (slack * rows[:, : open_.size] + load)
            late = waiting * np.exp(-slack * (answer[open_] / aht[open_]))
            enough = (slack > 0) & (late <= 1.0 - target[open_])
            enough &= load <= max_occupancy[open_] * counts
            found = enough.any(axis=0)
            needed[open_[found]] = (start[open_] + step + 1)[found] + enough[:, found].argmax(
                axis=0
            )
            open_, inverse = open_[~found], inverse[~found]
            step += block
    return needed


def _inverse_erlang_b_table(traffic, top):
    """1 / B(k, A) for k = 0..top (rows) and every traffic (columns)."""
    table = np.empty((top + 1, traffic.size))
    table[0] = 1.0
    with np.errstate(over="ignore"):
        for k in range(1, top + 1):
            table[k] = 1.0 + table[k - 1] * (k / traffic)
    return table


def agents_needed(
    model,
    contacts,
    aht_seconds,
    interval_seconds,
    target_service_level,
    answer_seconds,
    max_occupancy=None,
    patience_seconds=None,
    concurrency=1,
) -> np.ndarray:
    """The least number of agents whose service level reaches the target (and whose
    occupancy stays within max_occupancy when given); 0 where there are no contacts.

    Erlang C searches upward, a few server counts a pass, from each queue's mode or its
    occupancy bound (floor(A / cap) - 1), whichever is higher: below the mode a queue is
    unstable or far short, below the bound the cap is broken.
    Erlang A bisects between 0 and the Erlang C head count for an answer time of 0: an
    Erlang A queue waits less often than its Erlang C twin (callers leave, so the chain
    is smaller), so that count already meets the target under Erlang A."""
    _check_model(model, patience_seconds)
    contacts, aht, interval, target, answer, cap, patience, concurrency = np.broadcast_arrays(
        *(
            np.asarray(value, float)
            for value in (
                contacts,
                aht_seconds,
                interval_seconds,
                target_service_level,
                answer_seconds,
                1.0 if max_occupancy is None else max_occupancy,
                1.0 if patience_seconds is None else patience_seconds,
                concurrency,
            )
        )
    )
    shape = contacts.shape
    busy = (contacts > 0).ravel()

    def flat(array):
        return array.ravel()[busy]

    traffic = flat(contacts) * flat(aht) / flat(interval)
    if model == "erlang_c":
        servers = _erlang_c_servers_needed(
            traffic, flat(aht), flat(answer), flat(target), flat(cap)
        )
    else:
        servers = _erlang_a_servers_needed(
            traffic,
            flat(contacts),
            flat(aht),
            flat(interval),
            flat(answer),
            flat(target),
            flat(cap),
            flat(patience),
        )
    needed = np.zeros(contacts.size, dtype=np.int64)
    slots = flat(concurrency).astype(np.int64)
    needed[busy] = -(-servers // slots)  # n agents are n * k servers: ceil(s / k)
    return needed.reshape(shape)


def _erlang_a_servers_needed(traffic, contacts, aht, interval, answer, target, cap, patience):
    high = _erlang_c_servers_needed(traffic, aht, np.zeros_like(aht), target, cap)
    low = np.zeros_like(high)  # 0 servers answer nobody: never enough
    if high.size == 0:
        return high
    table = _inverse_erlang_b_table(traffic, int(high.max()))
    columns = np.arange(traffic.size)
    while True:
        open_ = high - low > 1
        if not open_.any():
            return high
        middle = (low + high) // 2
        service_level, _, _, occupancy, _ = _erlang_a(
            middle[open_].astype(float),
            contacts[open_],
            aht[open_],
            interval[open_],
            answer[open_],
            patience[open_],
            table[middle[open_], columns[open_]],
            with_asa=False,
        )
        enough = (service_level >= target[open_]) & (occupancy <= cap[open_])
        high[open_] = np.where(enough, middle[open_], high[open_])
        low[open_] = np.where(enough, low[open_], middle[open_])


def scheduled(agents, shrinkage) -> np.ndarray:
    """Heads to schedule so that `agents` remain after shrinkage: ceil(agents / (1 - s)),
    exactly. Both are read to a millionth as integers, so the quotient is a ratio of
    integers and its ceiling is an integer division: 21 / 0.7 is 30, where the floats
    give 30.000000000000004 and a ceiling of 31."""
    agents_micro = np.rint(np.asarray(agents, float) * _MICRO).astype(np.int64)
    shrinkage_micro = np.rint(np.asarray(shrinkage, float) * _MICRO).astype(np.int64)
    if np.any(shrinkage_micro < 0) or np.any(shrinkage_micro >= _MICRO):
        raise ValueError("Shrinkage lies in [0, 1).")
    return -(-agents_micro // (_MICRO - shrinkage_micro))


def deferred_agents(contacts, aht_seconds, interval_seconds, response_seconds) -> np.ndarray:
    """Agents per interval for deferred work (e-mail, SMS, social): each interval's work
    (contacts x AHT) is spread evenly over k = max(1, floor(response / interval))
    intervals, its own and the k - 1 after it. Work that arrives at any moment of
    interval i is then done by the end of interval i + k - 1, at most k intervals after
    the interval began, so within the response time of every arrival; and no interval
    works faster than its share arrives (docs/staffing.md, "deferred work"). The last
    axis is consecutive intervals; the work of the final k - 1 intervals that falls past
    the end of the array is not shown."""
    contacts, aht, interval, response = np.broadcast_arrays(
        *(
            np.asarray(value, float)
            for value in (contacts, aht_seconds, interval_seconds, response_seconds)
        )
    )
    with np.errstate(invalid="ignore"):
        work = np.where(contacts > 0, contacts * aht, 0.0)
    spread = np.maximum(1, np.floor(response / interval)).astype(np.int64)
    # The work done in interval j is sum_(i=j-k+1..j) work_i / k: differences of the
    # running total k apart, per element's own k.
    total = np.concatenate([np.zeros(work.shape[:-1] + (1,)), np.cumsum(work, axis=-1)], axis=-1)
    position = np.arange(1, work.shape[-1] + 1)
    before = np.take_along_axis(total, np.maximum(0, position - spread), axis=-1)
    done = (total[..., 1:] - before) / spread
    return done / interval
