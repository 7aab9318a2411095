"""Staffing benchmark: the agents needed for 20 queues x 96 intervals under Erlang C and
Erlang A (staffing.erlang, one vectorised call each), beside pyworkforce's ErlangC on
the same cases, measured in the same run.

    python bench/staffing.py

pyworkforce is not a dependency of the project: the benchmark makes its own venv for it
under var/ (gitignored; `python -m venv` and `pip install pyworkforce` on the first run)
and times it in a subprocess there. Each figure is the median of several runs. No
database: the engine is pure numpy/scipy.
"""

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from staffing.erlang import agents_needed, evaluate  # noqa: E402 (after the path above)

QUEUES, INTERVALS, INTERVAL_SECONDS = 20, 96, 900
TARGET, ANSWER, MAX_OCCUPANCY, PATIENCE = 0.8, 20.0, 0.85, 120.0
RUNS, PEER_RUNS = 31, 7
PEER_VENV = ROOT / "var" / "bench-peer-venv"

# pyworkforce's ErlangC per case, timed in its own interpreter: transactions, AHT and
# answer time (its `asa`) and interval all in seconds.
PEER_SCRIPT = """
import json, statistics, sys, time
from pyworkforce.queuing import ErlangC
cases = json.load(open(sys.argv[1]))
runs, target, answer, cap = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
times = []
for _ in range(runs):
    start = time.perf_counter()
    needed = [
        ErlangC(transactions=c, aht=h, asa=answer, interval=i).required_positions(target, cap)
        ["raw_positions"]
        for c, h, i in cases
    ]
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": statistics.median(times), "agents": needed}))
"""


def cases():
    """A day per queue: sizes from 8 to 160 contacts per peak interval, a morning and an
    afternoon peak, a quiet night (never zero: pyworkforce refuses an empty interval),
    handle times from 150 to 420 s."""
    rng = np.random.default_rng(17)
    hours = (np.arange(INTERVALS) + 0.5) / 4
    shape = 0.04 + np.exp(-(((hours - 10.5) / 2.2) ** 2)) + 0.8 * np.exp(-(((hours - 15) / 2) ** 2))
    peak = np.geomspace(8, 160, QUEUES)[:, None]
    contacts = np.maximum(
        1.0, np.round(peak * shape * rng.uniform(0.85, 1.15, (QUEUES, INTERVALS)))
    )
    aht = rng.uniform(150, 420, (QUEUES, 1)) * rng.uniform(0.95, 1.05, (QUEUES, INTERVALS))
    return contacts, aht


def median_ms(function, runs=RUNS):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def staff(model, contacts, aht):
    patience = PATIENCE if model == "erlang_a" else None
    needed = agents_needed(
        model, contacts, aht, INTERVAL_SECONDS, TARGET, ANSWER, MAX_OCCUPANCY, patience
    )
    return needed, evaluate(model, needed, contacts, aht, INTERVAL_SECONDS, ANSWER, patience)


def peer_python() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(f"Making {PEER_VENV} with pyworkforce (first run only)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "pyworkforce"], check=True)
    return python


def peer(contacts, aht):
    flat = [
        [float(c), float(h), INTERVAL_SECONDS]
        for c, h in zip(contacts.ravel(), aht.ravel(), strict=True)
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(flat, file)
        file.flush()
        output = subprocess.run(
            [str(peer_python()), "-c", PEER_SCRIPT, file.name, str(PEER_RUNS), str(TARGET),
             str(ANSWER), str(MAX_OCCUPANCY)],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
    result = json.loads(output)
    return result["seconds"] * 1000, np.array(result["agents"]).reshape(contacts.shape)


def main():
    contacts, aht = cases()
    traffic = contacts * aht / INTERVAL_SECONDS
    erlang_c_ms = median_ms(lambda: staff("erlang_c", contacts, aht))
    erlang_a_ms = median_ms(lambda: staff("erlang_a", contacts, aht))
    both_ms = median_ms(
        lambda: (staff("erlang_c", contacts, aht), staff("erlang_a", contacts, aht))
    )
    needed_c, _ = staff("erlang_c", contacts, aht)
    needed_a, _ = staff("erlang_a", contacts, aht)
    heads = np.arange(1, 121)
    curve_ms = median_ms(
        lambda: (
            evaluate("erlang_c", heads, 400, 300, INTERVAL_SECONDS, ANSWER),
            evaluate("erlang_a", heads, 400, 300, INTERVAL_SECONDS, ANSWER, PATIENCE),
        )
    )
    large_ms = median_ms(
        lambda: (
            agents_needed("erlang_c", 5000, 180, 1800, TARGET, ANSWER),
            agents_needed("erlang_a", 5000, 180, 1800, TARGET, ANSWER, patience_seconds=PATIENCE),
        )
    )
    peer_ms, peer_needed = peer(contacts, aht)
    agree = int((peer_needed == needed_c).sum())

    cells = contacts.size
    print(f"{QUEUES} queues x {INTERVALS} intervals = {cells} intervals; traffic "
          f"{traffic.min():.2f}-{traffic.max():.1f} Erlangs; target {TARGET:.0%} in "
          f"{ANSWER:.0f} s, occupancy <= {MAX_OCCUPANCY:.0%}, patience {PATIENCE:.0f} s; "
          f"agents needed {needed_c.min()}-{needed_c.max()} (Erlang C), "
          f"{needed_a.min()}-{needed_a.max()} (Erlang A); "
          f"Erlang A needs {1 - needed_a.sum() / needed_c.sum():.1%} fewer agent-intervals")  # fmt: skip
    print()
    print("| step | time | reference (same run) |")
    print("|---|---:|---:|")
    print(f"| Erlang C: agents needed + their performance, {cells} intervals | "
          f"{erlang_c_ms:.1f} ms | pyworkforce `ErlangC.required_positions` per interval "
          f"{peer_ms:,.0f} ms ({peer_ms / erlang_c_ms:,.0f}x slower; same agents in "
          f"{agree}/{cells}) |")  # fmt: skip
    print(f"| Erlang A: agents needed + their performance, {cells} intervals | "
          f"{erlang_a_ms:.1f} ms | |")  # fmt: skip
    print(f"| both models, {cells} intervals | {both_ms:.1f} ms | target < 100 ms |")
    print(f"| what-if curve: 1-120 agents, both models, one interval | {curve_ms:.2f} ms | |")
    print(f"| 5,000 contacts in 30 minutes (500 Erlangs), both models | {large_ms:.1f} ms | |")


if __name__ == "__main__":
    main()
