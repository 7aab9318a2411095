"""The KPI registry: every KPI of ../shared/spec/kpis.md, defined once.

Each KPI is a function of components summed over a period and a scope; a ratio whose
denominator is 0 is None (null), never 0. The API, the pages, targets and docs/kpis.md
all read this module; a test keeps docs/kpis.md in step with it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from interactions.outcomes import repeat_window

# The contacts' own components: each an aggregate of interactions.outcomes.
OUTCOME_COMPONENTS = (
    "offered",
    "answered",
    "answered_in_sl",
    "abandoned",
    "short_abandoned",
    "callbacks",
    "wait_answered_sum",
    "wait_abandoned_sum",
    "wait_max",
    "handled",
    "talk_sum",
    "hold_sum",
    "wrap_sum",
    "transferred",
    "fcr_eligible",
    "fcr_resolved",
    "csat_responses",
    "csat_positive",
    "nps_responses",
    "promoters",
    "detractors",
    "outbound_handled",
)
# The quality evaluations of the contacts (quality.models.Evaluation, submitted and later,
# calibrations left out), counted on the evaluated contact's interval, queue, team, agent
# and channel: the points and possible points they scored (a critical fail scored 0
# points), how many there were and how many failed a critical question.
QUALITY_COMPONENTS = ("qa_points", "qa_possible", "qa_evaluations", "qa_critical_fails")
# Every component stored on the contact rollups.
CONTACT_COMPONENTS = (*OUTCOME_COMPONENTS, *QUALITY_COMPONENTS)
# Components that combine by MAX instead of SUM.
MAX_COMPONENTS = ("wait_max",)
STATE_COMPONENTS = (
    "staffed_seconds",
    "available_seconds",
    "on_contact_seconds",
    "acw_seconds",
    "break_seconds",
    "other_seconds",
    "scheduled_seconds",
    "adherent_seconds",
)
# Not stored: the cost entries pro-rated to the period (kpis.selectors).
COST_COMPONENTS = ("period_cost",)

HIGHER, LOWER, BAND = "higher", "lower", "band"
QUEUE = "queue"
# Channels answered while the customer waits, and those answered later: a wait in seconds
# and one in hours do not average into anything (the overview shows them apart).
REAL_TIME_CHANNELS = ("voice", "chat")
DEFERRED_CHANNELS = ("email", "social", "sms")


def _repeat_window_days() -> int:
    return repeat_window().days


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: str  # count, percent, seconds, currency, per_hour
    direction: str | None  # higher / lower is better, band: a target range, None: volume
    components: tuple[str, ...]
    formula: str
    description: str
    compute: Callable[[dict], float | int | None]
    # The KPI needs day granularity or coarser (costs are entered by day).
    daily_only: bool = False
    # The contacts behind the number (an outcome of interactions.outcomes): the drill-down
    # lists exactly these, and their count is the KPI's denominator (its count for a
    # volume). `counted` names the numerator's contacts among them.
    contacts: str | None = None
    counted: str | None = None
    # KPIs that no contact list explains: the view that does (agent states, schedules,
    # costs or quality evaluations, see kpis.views.kpi_explain).
    explained_by: str | None = None
    # QUEUE: the number belongs to a queue (unanswered contacts have no team or agent,
    # so a team's or an agent's value would be incomplete): not applicable below a queue.
    level: str = "any"
    # The value may still change for a while after its period ends (FCR: a repeat inside
    # the window turns a resolved contact into a repeat).
    settles_after_days: Callable[[], int] | None = None


def ratio(numerator, denominator, scale=1.0):
    if not denominator:
        return None
    return scale * numerator / denominator


def _count(name):
    return lambda c: c[name]


KPIS: tuple[Kpi, ...] = (
    Kpi("offered", "Offered", "count", None, ("offered",), "Σ offered",
        "Inbound contacts that arrived in the period, whatever happened to them.",
        _count("offered"), contacts="offered", level=QUEUE),
    Kpi("answered", "Answered", "count", None, ("answered",), "Σ answered",
        "Offered contacts an agent accepted.", _count("answered"), contacts="answered"),
    Kpi("abandoned", "Abandoned", "count", None, ("abandoned",), "Σ abandoned",
        "Offered contacts that ended unanswered without asking for a callback.",
        _count("abandoned"), contacts="abandoned", level=QUEUE),
    Kpi("handled", "Handled", "count", None, ("handled",), "Σ handled",
        "Answered contacts that have ended.", _count("handled"), contacts="handled"),
    Kpi("callbacks", "Callbacks", "count", None, ("callbacks",), "Σ callbacks",
        "Offered contacts that left the queue asking to be called back.", _count("callbacks"),
        contacts="callback", level=QUEUE),
    Kpi("service_level", "Service level", "percent", HIGHER,
        ("answered_in_sl", "answered", "abandoned", "short_abandoned"),
        "100 × Σ answered_in_sl / (Σ answered + Σ abandoned − Σ short_abandoned)",
        "Share of contacts answered within the queue's threshold T (e.g. 20 s for voice). "
        "Short abandons (callers who hung up within S seconds) are left out.",
        lambda c: ratio(c["answered_in_sl"], c["answered"] + c["abandoned"] - c["short_abandoned"], 100),
        contacts="sl_counted", counted="answered_in_sl", level=QUEUE),
    Kpi("asa", "Average speed of answer", "seconds", LOWER, ("wait_answered_sum", "answered"),
        "Σ wait_answered_sum / Σ answered",
        "How long answered contacts waited in the queue, on average.",
        lambda c: ratio(c["wait_answered_sum"], c["answered"]), contacts="answered"),
    Kpi("max_wait", "Longest wait", "seconds", LOWER, ("wait_max",), "max of wait_max",
        "The longest wait of an answered contact; empty when none was answered.",
        lambda c: c["wait_max"] if c["answered"] else None, contacts="answered"),
    Kpi("abandonment_rate", "Abandonment rate", "percent", LOWER, ("abandoned", "offered"),
        "100 × Σ abandoned / Σ offered",
        "Share of offered contacts that gave up before an agent answered.",
        lambda c: ratio(c["abandoned"], c["offered"], 100), contacts="offered", counted="abandoned",
        level=QUEUE),
    Kpi("aht", "Average handle time", "seconds", LOWER,
        ("talk_sum", "hold_sum", "wrap_sum", "handled"),
        "(Σ talk_sum + Σ hold_sum + Σ wrap_sum) / Σ handled",
        "Talk, hold and after-contact work per handled contact.",
        lambda c: ratio(c["talk_sum"] + c["hold_sum"] + c["wrap_sum"], c["handled"]), contacts="handled"),
    Kpi("transfer_rate", "Transfer rate", "percent", LOWER, ("transferred", "handled"),
        "100 × Σ transferred / Σ handled",
        "Share of handled contacts the agent passed on to another queue or agent.",
        lambda c: ratio(c["transferred"], c["handled"], 100), contacts="handled", counted="transferred"),
    Kpi("fcr", "First contact resolution", "percent", HIGHER, ("fcr_resolved", "fcr_eligible"),
        "100 × Σ fcr_resolved / Σ fcr_eligible",
        "Share of handled contacts resolved the first time: not marked unresolved, and the "
        "same customer did not come back within the repeat window (7 days).",
        lambda c: ratio(c["fcr_resolved"], c["fcr_eligible"], 100), contacts="fcr_eligible",
        counted="fcr_resolved", settles_after_days=_repeat_window_days),
    Kpi("csat", "Customer satisfaction", "percent", HIGHER, ("csat_positive", "csat_responses"),
        "100 × Σ csat_positive / Σ csat_responses",
        "Share of survey answers of 4 or 5 on the 1-5 scale.",
        lambda c: ratio(c["csat_positive"], c["csat_responses"], 100), contacts="csat_answered",
        counted="csat_positive"),
    Kpi("nps", "Net promoter score", "score", HIGHER,
        ("promoters", "detractors", "nps_responses"),
        "100 × (Σ promoters − Σ detractors) / Σ nps_responses",
        "Promoters (9-10) minus detractors (0-6), per 100 answers; from -100 to 100.",
        lambda c: ratio(c["promoters"] - c["detractors"], c["nps_responses"], 100),
        contacts="nps_answered", counted="promoter"),
    Kpi("cost_per_contact", "Cost per contact", "currency", LOWER, ("period_cost", "handled"),
        "period cost / Σ handled",
        "What the period cost (cost entries pro-rated by day) per handled contact.",
        lambda c: ratio(c["period_cost"], c["handled"]), daily_only=True, explained_by="costs"),
    Kpi("occupancy", "Occupancy", "percent", BAND,
        ("on_contact_seconds", "acw_seconds", "available_seconds"),
        "100 × (on_contact + acw) / (on_contact + acw + available)",
        "Share of the agents' ready time spent on contacts and their follow-up work.",
        lambda c: ratio(c["on_contact_seconds"] + c["acw_seconds"],
                        c["on_contact_seconds"] + c["acw_seconds"] + c["available_seconds"], 100),
        explained_by="states"),
    Kpi("utilization", "Utilization", "percent", HIGHER,
        ("on_contact_seconds", "acw_seconds", "staffed_seconds"),
        "100 × (on_contact + acw) / staffed",
        "Share of logged-in time spent on contacts and their follow-up work.",
        lambda c: ratio(c["on_contact_seconds"] + c["acw_seconds"], c["staffed_seconds"], 100),
        explained_by="states"),
    Kpi("adherence", "Schedule adherence", "percent", HIGHER,
        ("adherent_seconds", "scheduled_seconds"),
        "100 × adherent / scheduled",
        "Share of scheduled time the agents spent in a state matching the schedule.",
        lambda c: ratio(c["adherent_seconds"], c["scheduled_seconds"], 100), explained_by="schedule"),
    Kpi("contacts_per_hour", "Contacts per hour", "per_hour", HIGHER,
        ("handled", "outbound_handled", "staffed_seconds"),
        "(Σ handled + Σ outbound_handled) / (staffed_seconds / 3600)",
        "Contacts handled, inbound and outbound, per logged-in hour.",
        lambda c: ratio(c["handled"] + c["outbound_handled"], c["staffed_seconds"], 3600),
        explained_by="states"),
    Kpi("quality_score", "Quality score", "percent", HIGHER, ("qa_points", "qa_possible"),
        "100 × Σ qa_points / Σ qa_possible",
        "Weighted points the contacts' quality evaluations scored, out of the points they "
        "could score (N/A answers left out of both; a failed critical question scores 0). "
        "Counted on the day of the contact evaluated; drafts and calibrations are not.",
        lambda c: ratio(c["qa_points"], c["qa_possible"], 100), explained_by="evaluations"),
    Kpi("critical_fail_rate", "Critical fail rate", "percent", LOWER,
        ("qa_critical_fails", "qa_evaluations"),
        "100 × Σ qa_critical_fails / Σ qa_evaluations",
        "Share of the contacts' quality evaluations that failed a critical question.",
        lambda c: ratio(c["qa_critical_fails"], c["qa_evaluations"], 100),
        explained_by="evaluations"),
)  # fmt: skip

BY_KEY = {kpi.key: kpi for kpi in KPIS}


def docs_table() -> str:
    """The Markdown table of docs/kpis.md, generated from the registry."""
    lines = ["| key | KPI | formula | unit | better |", "|---|---|---|---|---|"]
    for kpi in KPIS:
        better = {HIGHER: "higher", LOWER: "lower", BAND: "target band"}.get(kpi.direction, "-")
        lines.append(f"| `{kpi.key}` | {kpi.label} | {kpi.formula} | {kpi.unit} | {better} |")
    return "\n".join(lines)
