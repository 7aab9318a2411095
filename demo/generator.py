"""A believable demo contact center, simulated rather than sampled.

Contacts arrive as a Poisson process whose rate follows the day (morning ramp, lunch dip,
afternoon peak), the week (Monday peak, quiet weekend) and the queue. Agents work shifts
with breaks, lunch, meetings and training; each contact goes to the skilled agent who can
take it first, so waits, abandonment (customer patience against wait), service level and
occupancy come out of the queueing itself instead of being drawn. Agent state events
follow the same timeline, so states, contacts and schedules agree.

Everything comes from one `random.Random(seed)`: the same seed and end date give the same
center.
"""

import heapq
import math
import random
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from agents.models import Agent, AgentSkill, AgentStateEvent, Skill, Team
from core.localtime import local_today
from core.roles import AGENT, MANAGER, SUPERVISOR
from demo import transcripts
from interactions.models import (
    CHANNEL_THRESHOLDS,
    Channel,
    CostEntry,
    Direction,
    Interaction,
    Queue,
    Survey,
)
from scheduling.models import ActivityKind, Shift, ShiftActivity

DEMO_SOURCE = "demo"
DEMO_PASSWORD = "demo-password"  # noqa: S105 (demo users only; printed by seed_demo)
# Rows per INSERT: large enough to amortise round trips, small enough for SQLite's
# limit on bound parameters per statement.
BATCH_SIZE = 1000
# Agents with a skill at this level or lower use it only as side work, after being
# idle this many seconds without a live contact.
SECONDARY_SKILL_LEVEL = 2
SIDE_WORK_AFTER_IDLE = 300
# An agent does not start a new contact in the last minutes of a shift.
LAST_START_BEFORE_END = 120

SKILLS = ["billing", "tech", "sales", "chat", "email", "social", "sms"]

# name, channel, skill, contacts on an average weekday for a 40-agent center, topics
QUEUES = [
    ("Billing", Channel.VOICE, "billing", 350, ["invoice", "payment", "refund", "plan change"]),
    ("Tech Support", Channel.VOICE, "tech", 265, ["outage", "setup", "device", "password"]),
    ("Sales", Channel.VOICE, "sales", 150, ["new line", "upgrade", "pricing"]),
    ("Chat Support", Channel.CHAT, "chat", 330, ["order status", "account", "how-to"]),
    ("Email", Channel.EMAIL, "email", 640, ["complaint", "document request", "account"]),
    ("Social", Channel.SOCIAL, "social", 70, ["complaint", "praise", "question"]),
    ("SMS", Channel.SMS, "sms", 40, ["appointment", "delivery"]),
]

# name, share of the agents, skills with base proficiency, queues served, shift starts
TEAMS = [
    ("Care North", 0.27, {"billing": 4, "tech": 3, "email": 2}, ["Billing", "Tech Support"]),
    (
        "Care South",
        0.27,
        {"billing": 3, "tech": 4, "chat": 3, "email": 2},
        ["Billing", "Tech Support", "Chat Support"],
    ),
    ("Sales", 0.15, {"sales": 4, "chat": 3, "email": 2}, ["Sales", "Chat Support"]),
    (
        "Digital",
        0.31,
        {"chat": 4, "email": 4, "social": 3, "sms": 3},
        ["Chat Support", "Email", "Social", "SMS"],
    ),
]

# Relative arrival rate per local hour for live channels (voice, chat, sms): a morning
# ramp, a lunch dip and a second peak in the afternoon. Zero outside 07:00-20:00.
LIVE_HOURLY_SHAPE = {
    7: 0.5,
    8: 0.9,
    9: 1.1,
    10: 1.2,
    11: 1.15,
    12: 0.95,
    13: 0.95,
    14: 1.1,
    15: 1.1,
    16: 1.0,
    17: 0.75,
    18: 0.45,
    19: 0.25,
}
# E-mail and social messages arrive around the clock, more during the day.
ASYNC_HOURLY_SHAPE = {hour: (0.25 if hour < 7 or hour >= 20 else 1.0) for hour in range(24)}
# Monday peak, tailing off over the week, quiet weekend.
WEEKDAY_FACTOR = [1.25, 1.05, 1.0, 0.97, 0.9, 0.25, 0.15]
LIVE_CHANNELS = (Channel.VOICE, Channel.CHAT, Channel.SMS)

# Handle times by channel: (talk median s, talk sigma, hold share, hold median s,
# wrap median s). Lognormal: most contacts are short, a few run long.
HANDLING = {
    Channel.VOICE: (235, 0.55, 0.3, 45, 60),
    Channel.CHAT: (420, 0.5, 0.0, 0, 40),
    Channel.EMAIL: (330, 0.6, 0.0, 0, 35),
    Channel.SOCIAL: (200, 0.5, 0.0, 0, 25),
    Channel.SMS: (150, 0.5, 0.0, 0, 20),
}
# Mean customer patience in seconds; channels missing here never abandon.
PATIENCE = {Channel.VOICE: 420, Channel.CHAT: 600, Channel.SMS: 3600}
TRANSFER_SHARE = {Channel.VOICE: 0.08, Channel.CHAT: 0.04}

# Weekday shift starts and the share of each team that starts then.
WEEKDAY_SHIFT_STARTS = [
    (time(7, 0), 0.55),
    (time(8, 0), 0.45),
    (time(9, 0), 0.2),
    (time(10, 0), 0.15),
    (time(11, 30), 0.6),
]
SHIFT_HOURS = 8.5
# On Saturday and Sunday the live channels run 09:00-17:00 and a weekend crew covers them.
WEEKEND_SHIFT_START = time(9, 0)
WEEKEND_HOURS = range(9, 17)

FIRST_NAMES = [
    "Noa",
    "Liam",
    "Maya",
    "Omar",
    "Sara",
    "David",
    "Lea",
    "Yusuf",
    "Ana",
    "Tom",
    "Ines",
    "Ravi",
    "Chloe",
    "Mateo",
    "Aisha",
    "Jonas",
    "Priya",
    "Lucas",
    "Hana",
    "Felix",
    "Zoe",
    "Amir",
    "Nina",
    "Leo",
    "Elif",
    "Sam",
    "Mia",
    "Ivan",
    "Rosa",
    "Kai",
    "Lina",
    "Hugo",
]
LAST_NAMES = [
    "Cohen",
    "Garcia",
    "Nguyen",
    "Smith",
    "Okafor",
    "Müller",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Silva",
    "Tanaka",
    "Novak",
    "Dubois",
    "Larsen",
    "Ahmed",
    "Brown",
    "Kaya",
    "Jensen",
]
SURVEY_COMMENTS = [
    "Quick and friendly, thank you.",
    "Had to explain my problem twice.",
    "Solved on the first try.",
    "Waited too long before someone answered.",
    "Very helpful agent.",
    "Still not fixed.",
    "Clear answers, good service.",
]

DEMO_USERS = [
    # username, first, last, role, team supervised (by name) or agent index
    ("admin", "Ada", "Admin", None, None),
    ("manager", "Maya", "Manager", MANAGER, None),
    ("supervisor", "Sam", "Supervisor", SUPERVISOR, "Care North"),
    ("supervisor.south", "Rosa", "Silva", SUPERVISOR, "Care South"),
    ("supervisor.sales", "Hugo", "Larsen", SUPERVISOR, "Sales"),
    ("supervisor.digital", "Elif", "Kaya", SUPERVISOR, "Digital"),
    ("agent", "Noa", "Cohen", AGENT, None),
]


@dataclass
class PlannedShift:
    start: int  # epoch seconds
    end: int
    login: int
    # (scheduled start, seconds, state) of each time away from contacts, in order
    away: list[tuple[int, int, str]]
    activities: list[tuple[str, int, int]]  # (kind, start, end) as scheduled


@dataclass
class SimAgent:
    index: int
    login: str
    team: str
    skills: dict[str, int]
    shifts: list[PlannedShift] = field(default_factory=list)
    shift_index: int = 0
    away_index: int = 0
    free_at: int = 0
    events: list[tuple[int, int, str]] = field(default_factory=list)  # (at, order, state)
    logged_in: bool = False

    def _event(self, at: int, state: str):
        self.events.append((at, len(self.events), state))

    def _close_shift(self, shift: PlannedShift, rng: random.Random):
        self._take_away_until(shift, shift.end, rng)
        if not self.logged_in:
            self._event(shift.login, "available")
        logout = max(shift.end + rng.randint(-60, 300), self.free_at)
        self._event(logout, "offline")
        self.free_at = logout
        self.shift_index += 1
        self.away_index = 0
        self.logged_in = False

    def _take_away_until(self, shift: PlannedShift, moment: int, rng: random.Random):
        """Go on every break, lunch or meeting that has begun by `moment`."""
        while self.away_index < len(shift.away) and moment >= shift.away[self.away_index][0]:
            scheduled, seconds, state = shift.away[self.away_index]
            if not self.logged_in:
                self._event(shift.login, "available")
                self.logged_in = True
            # Late when a contact runs over; a little early or late anyway.
            begin = max(scheduled + rng.randint(-60, 120), self.free_at)
            end = begin + seconds + rng.randint(0, 150)
            self._event(begin, state)
            self._event(end, "available")
            self.free_at = end
            self.away_index += 1

    def earliest_start(self, now: int, rng: random.Random) -> int | None:
        """When this agent could take a contact that arrived at `now` (None: not today).

        Arrivals are processed in time order, so moving the agent through breaks and
        shift ends that `now` has passed is just time going by.
        """
        while self.shift_index < len(self.shifts):
            shift = self.shifts[self.shift_index]
            start = max(now, self.free_at, shift.login)
            if start >= shift.end - LAST_START_BEFORE_END:
                if now >= shift.end - LAST_START_BEFORE_END or self.free_at >= shift.start:
                    self._close_shift(shift, rng)
                    continue
                return None
            self._take_away_until(shift, start, rng)
            start = max(start, self.free_at)
            if start >= shift.end - LAST_START_BEFORE_END:
                continue
            return start
        return None

    def take(self, start: int, talk_hold: int, wrap: int):
        shift = self.shifts[self.shift_index]
        if not self.logged_in:
            self._event(shift.login, "available")
            self.logged_in = True
        self._event(start, "on_contact")
        self._event(start + talk_hold, "after_contact_work")
        self.free_at = start + talk_hold + wrap
        self._event(self.free_at, "available")

    def finish(self, rng: random.Random, until: int):
        while self.shift_index < len(self.shifts) and self.shifts[self.shift_index].start < until:
            self._close_shift(self.shifts[self.shift_index], rng)

    def state_timeline(self, until: int) -> list[tuple[int, str]]:
        """Events sorted, one per instant (the last wins), repeats of a state dropped."""
        by_instant = {at: state for at, _order, state in sorted(self.events) if at < until}
        timeline, previous = [], None
        for at in sorted(by_instant):
            if by_instant[at] != previous:
                timeline.append((at, by_instant[at]))
                previous = by_instant[at]
        return timeline


@dataclass(order=True)
class Arrival:
    at: int
    seq: int
    queue: str = field(compare=False)
    customer: str = field(compare=False)
    direction: str = field(compare=False, default=Direction.INBOUND)
    follow_up: bool = field(compare=False, default=False)


def _lognormal(rng: random.Random, median: float, sigma: float) -> int:
    return max(1, round(rng.lognormvariate(math.log(median), sigma)))


class DemoCenter:
    def __init__(self, *, days: int, agent_count: int, seed: int, end: date, now: datetime):
        self.days = days
        self.agent_count = agent_count
        self.rng = random.Random(seed)
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.first_day = end - timedelta(days=days - 1)
        self.end = end
        # Schedules run to the end of next week, seen from the day after the last day with
        # contacts at the latest (a demo ending yesterday is planned from today), so
        # supervisors always have a week to plan.
        plan_from = min(max(end, now.astimezone(self.zone).date()), end + timedelta(days=1))
        self.schedule_until = plan_from + timedelta(days=13 - plan_from.weekday())
        self.cutoff = min(
            int(now.timestamp()),
            int(self._local(end + timedelta(days=1), time(0)).timestamp()),
        )
        self.queue_info = {
            name: (channel, skill, volume, topics)
            for name, channel, skill, volume, topics in QUEUES
        }
        self.scale = agent_count / 40
        self.seq = 0
        self.customers = max(500, int(30000 * self.scale))

    def _local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone)

    def _epoch(self, day: date, at: time) -> int:
        return int(self._local(day, at).timestamp())

    # -- people -------------------------------------------------------------------------
    def plan_agents(self) -> list[SimAgent]:
        rng = self.rng
        agents, index = [], 0
        counts = self._team_sizes()
        for (team, _share, skills, _queues), size in zip(TEAMS, counts, strict=True):
            for _ in range(size):
                proficiency = {
                    skill: base
                    if base <= SECONDARY_SKILL_LEVEL
                    else min(5, base + rng.choice([-1, 0, 0, 1]))
                    for skill, base in skills.items()
                }
                agents.append(
                    SimAgent(index=index, login=f"A{index + 1:03d}", team=team, skills=proficiency)
                )
                index += 1
        self.shift_starts = self._shift_starts(agents)
        for agent in agents:
            agent.shifts = self._plan_shifts(agent)
        return agents

    def _shift_starts(self, agents: list[SimAgent]) -> dict[int, time]:
        """Give each team's agents start times in the shares of WEEKDAY_SHIFT_STARTS.

        The shares were fitted by hand to LIVE_HOURLY_SHAPE: each hour's staff, counted
        from the shifts that cover it, follows its demand, except at midday, where the
        early and the late shifts overlap (and take their lunch).
        """
        starts = {}
        for team, *_ in TEAMS:
            members = [agent for agent in agents if agent.team == team]
            total = sum(share for _start, share in WEEKDAY_SHIFT_STARTS)
            taken = dict.fromkeys(range(len(WEEKDAY_SHIFT_STARTS)), 0)
            for position, agent in enumerate(members, start=1):
                # The start furthest behind its share so far (largest remainder).
                choice = max(
                    taken, key=lambda k: WEEKDAY_SHIFT_STARTS[k][1] / total * position - taken[k]
                )
                taken[choice] += 1
                starts[agent.index] = WEEKDAY_SHIFT_STARTS[choice][0]
        return starts

    def _team_sizes(self) -> list[int]:
        sizes = [
            max(1, round(self.agent_count * share)) for _name, share, _skills, _queues in TEAMS
        ]
        sizes[0] += self.agent_count - sum(sizes)
        return sizes

    def _plan_shifts(self, agent: SimAgent) -> list[PlannedShift]:
        rng = self.rng
        start_at = self.shift_starts[agent.index]
        # Most agents work Monday to Friday; every other one covers a weekend day instead of
        # a weekday, so the weekend is staffed lightly.
        if agent.index % 2:
            weekend_day = 5 if agent.index % 4 == 1 else 6
            days_off = {rng.choice([0, 1, 2, 3, 4]), 11 - weekend_day}
        else:
            days_off = {5, 6}
        shifts = []
        day = self.first_day
        while day <= self.schedule_until:
            if day.weekday() not in days_off and rng.random() > 0.03:  # 3 % sick days
                weekend = day.weekday() >= 5
                shifts.append(
                    self._plan_shift(agent, day, WEEKEND_SHIFT_START if weekend else start_at)
                )
            day += timedelta(days=1)
        return shifts

    def _plan_shift(self, agent: SimAgent, day: date, start_at: time) -> PlannedShift:
        rng = self.rng
        start = self._epoch(day, start_at)
        end = start + int(SHIFT_HOURS * 3600)
        # Breaks are staggered by a quarter hour across agents, so a team never leaves
        # its queues all at once.
        stagger = (agent.index % 4) * 15 * 60
        away = [
            (start + 105 * 60 + stagger, 15 * 60, "break"),
            (start + 210 * 60 + stagger, 30 * 60, "lunch"),
            (start + 360 * 60 + stagger, 15 * 60, "break"),
        ]
        team_index = [name for name, *_ in TEAMS].index(agent.team)
        if day.weekday() == 2 and team_index % 2 == 0:
            away.append((start + 3600, 30 * 60, "meeting"))  # weekly team huddle
        if rng.random() < 0.05:
            away.append((start + 5 * 3600, 45 * 60, "training"))
        away.sort()
        activities, cursor = [], start
        for begin, seconds, state in away:
            if begin > cursor:
                activities.append((ActivityKind.WORK, cursor, begin))
            activities.append((state, begin, begin + seconds))
            cursor = begin + seconds
        activities.append((ActivityKind.WORK, cursor, end))
        login = start + rng.randint(-240, 120)
        return PlannedShift(start=start, end=end, login=login, away=away, activities=activities)

    # -- contacts -----------------------------------------------------------------------
    def arrivals(self) -> list[Arrival]:
        rng = self.rng
        result = []
        day = self.first_day
        while day <= self.end:
            weekday = WEEKDAY_FACTOR[day.weekday()]
            for name, channel, _skill, volume, _topics in QUEUES:
                shape = LIVE_HOURLY_SHAPE if channel in LIVE_CHANNELS else ASYNC_HOURLY_SHAPE
                total_shape = sum(shape.values()) * 4
                for hour, weight in shape.items():
                    if (
                        day.weekday() >= 5
                        and channel in LIVE_CHANNELS
                        and hour not in WEEKEND_HOURS
                    ):
                        continue
                    for quarter in range(4):
                        start = self._epoch(day, time(hour, quarter * 15))
                        rate = volume * self.scale * weekday * weight / total_shape
                        for _ in range(_poisson(rng, rate)):
                            at = start + rng.randrange(900)
                            if at < self.cutoff:
                                result.append(self._arrival(at, name))
            day += timedelta(days=1)
        return result

    def _arrival(self, at: int, queue: str, customer: str | None = None, **kwargs) -> Arrival:
        self.seq += 1
        if customer is None:
            channel = self.queue_info[queue][0]
            unknown = channel == Channel.VOICE and self.rng.random() < 0.08
            customer = "" if unknown else f"C{self.rng.randrange(self.customers):06d}"
        return Arrival(at=at, seq=self.seq, queue=queue, customer=customer, **kwargs)

    def simulate(self, agents: list[SimAgent]) -> list[dict]:
        """Route every arrival to the skilled agent who can take it first.

        Live contacts (voice, chat, SMS) go out as they arrive. E-mail and social
        messages wait in a backlog that agents work whenever they are idle between live
        contacts, as blended centers do, so the backlog fills quiet hours.
        """
        rng = self.rng
        by_skill: dict[str, list[SimAgent]] = {}
        for agent in agents:
            for skill in agent.skills:
                by_skill.setdefault(skill, []).append(agent)
        pending = self.arrivals()
        heapq.heapify(pending)
        backlogs: dict[str, deque] = {}
        contacts, previous = [], 0
        while pending:
            arrival = heapq.heappop(pending)
            if arrival.at >= self.cutoff:
                break  # a repeat or callback planned for after the demo's end
            self._work_backlogs(backlogs, by_skill, previous, arrival.at, pending)
            previous = arrival.at
            channel, skill, _volume, topics = self.queue_info[arrival.queue]
            contact = self._contact(arrival, channel, topics)
            contacts.append(contact)
            if channel not in LIVE_CHANNELS and arrival.direction == Direction.INBOUND:
                backlogs.setdefault(arrival.queue, deque()).append((arrival, contact))
                continue
            best, best_key = self._first_free(by_skill.get(skill, []), arrival.at)
            patience = self._patience(channel, arrival.direction)
            if best is None or best_key[0] - arrival.at > patience:
                self._leave_queue(contact, arrival, patience, pending)
            else:
                self._handle(contact, arrival, best, best_key[0], channel, pending)
        self._work_backlogs(backlogs, by_skill, previous, self.cutoff, pending)
        for agent in agents:
            agent.finish(rng, self.cutoff)
        return contacts

    def _first_free(self, candidates: list[SimAgent], now: int):
        best, best_key = None, None
        for agent in candidates:
            start = agent.earliest_start(now, self.rng)
            if start is not None:
                key = (start, agent.free_at, agent.index)
                if best_key is None or key < best_key:
                    best, best_key = agent, key
        return best, best_key

    def _work_backlogs(self, backlogs, by_skill, since: int, until: int, pending):
        """Idle agents take the oldest waiting messages they can start before `until`."""
        # The most urgent channel first: social's threshold is an hour, e-mail's a day.
        by_urgency = sorted(
            backlogs, key=lambda queue: CHANNEL_THRESHOLDS[self.queue_info[queue][0]]
        )
        for queue in by_urgency:
            backlog = backlogs[queue]
            channel, skill, _volume, _topics = self.queue_info[queue]
            while backlog:
                arrival, contact = backlog[0]
                best, best_start = None, until
                for agent in by_skill.get(skill, []):
                    start = agent.earliest_start(max(since, arrival.at), self.rng)
                    if start is None:
                        continue
                    if agent.skills[skill] <= SECONDARY_SKILL_LEVEL:
                        # A message is side work: first wait a while for a live contact.
                        start = max(start, agent.free_at + SIDE_WORK_AFTER_IDLE)
                    if start < best_start:
                        best, best_start = agent, start
                if best is None:
                    break
                backlog.popleft()
                self._handle(contact, arrival, best, best_start, channel, pending)

    def _contact(self, arrival: Arrival, channel: str, topics: list[str]) -> dict:
        return {
            "external_id": f"D{arrival.seq:07d}",
            "channel": channel,
            "direction": arrival.direction,
            "queue": arrival.queue,
            "customer": arrival.customer,
            "arrived_at": arrival.at,
            "answered_at": None,
            "ended_at": None,
            "talk_seconds": 0,
            "hold_seconds": 0,
            "wrap_seconds": 0,
            "transferred": False,
            "resolved": None,
            "callback_requested": False,
            "topic": self.rng.choice(topics),
            "agent": None,
            "team": None,
            "csat": None,
            "nps": None,
            "survey": None,
        }

    def _during_opening_hours(self, at: int) -> int:
        """Customers call back while the center is open: move a night-time moment to morning."""
        local = datetime.fromtimestamp(at, tz=self.zone)
        if 9 <= local.hour < 19:
            return at
        day = local.date() + timedelta(days=1 if local.hour >= 19 else 0)
        return self._epoch(day, time(9)) + self.rng.randrange(6 * 3600)

    def _patience(self, channel: str, direction: str) -> float:
        if direction == Direction.OUTBOUND or channel not in PATIENCE:
            return math.inf
        if self.rng.random() < 0.04:  # hang up at once: a misdial or a change of mind
            return self.rng.uniform(0, 6)
        return self.rng.expovariate(1 / PATIENCE[channel])

    def _leave_queue(self, contact: dict, arrival: Arrival, patience: float, pending: list):
        gave_up = arrival.at + (round(patience) if patience != math.inf else 4 * 3600)
        if gave_up < self.cutoff:
            contact["ended_at"] = gave_up
            if contact["channel"] == Channel.VOICE and patience > 60 and self.rng.random() < 0.2:
                contact["callback_requested"] = True
                callback_at = gave_up + self.rng.randint(600, 2400)
                heapq.heappush(
                    pending,
                    self._arrival(
                        callback_at,
                        arrival.queue,
                        arrival.customer,
                        direction=Direction.OUTBOUND,
                    ),
                )
        if contact["csat"] is None and self.rng.random() < 0.03:
            contact["csat"] = self.rng.choice([1, 1, 2, 3])  # angry after giving up

    def _handle(
        self,
        contact: dict,
        arrival: Arrival,
        agent: SimAgent,
        start: int,
        channel: str,
        pending: list,
    ):
        rng = self.rng
        talk_median, sigma, hold_share, hold_median, wrap_median = HANDLING[channel]
        # Experts are quicker: proficiency 5 takes about 85 % of the time of a 2.
        skill = self.queue_info[arrival.queue][1]
        speed = 1.15 - 0.05 * agent.skills[skill] + (agent.index % 7 - 3) * 0.03
        talk = _lognormal(rng, talk_median * speed, sigma)
        hold = _lognormal(rng, hold_median, 0.6) if rng.random() < hold_share else 0
        wrap = _lognormal(rng, wrap_median * speed, 0.5)
        contact["agent"] = agent.login
        contact["team"] = agent.team
        if start >= self.cutoff:
            return  # still waiting now
        contact["answered_at"] = start
        agent.take(start, talk + hold, wrap)
        ended = start + talk + hold
        if ended + wrap > self.cutoff:
            return  # on the line now
        contact.update(ended_at=ended, talk_seconds=talk, hold_seconds=hold, wrap_seconds=wrap)
        if arrival.direction == Direction.OUTBOUND:
            return
        contact["transferred"] = rng.random() < TRANSFER_SHARE.get(channel, 0.0)
        draw = rng.random()
        contact["resolved"] = None if draw < 0.08 else draw >= 0.2
        if contact["resolved"] is False and arrival.customer and rng.random() < 0.6:
            again = self._during_opening_hours(ended + rng.randint(1800, 3 * 86400))
            heapq.heappush(pending, self._arrival(again, arrival.queue, arrival.customer))
        self._survey(contact, ended)

    def _survey(self, contact: dict, ended: int):
        rng = self.rng
        if rng.random() >= 0.25:
            return
        unhappy = contact["resolved"] is False or contact["transferred"]
        csat_weights = [12, 10, 15, 33, 30] if unhappy else [3, 3, 9, 33, 52]
        contact["csat"] = rng.choices([1, 2, 3, 4, 5], weights=csat_weights)[0]
        if rng.random() < 0.8:
            nps_weights = (
                [3, 2, 2, 3, 3, 4, 6, 14, 16, 22, 25] if not unhappy else [8] * 7 + [10, 10, 8, 8]
            )
            contact["nps"] = rng.choices(range(11), weights=nps_weights)[0]
        if rng.random() < 0.4:
            contact["survey"] = (rng.choice(SURVEY_COMMENTS), ended + rng.randint(600, 86400))


def _poisson(rng: random.Random, rate: float) -> int:
    """Knuth's method: fine for the small per-interval rates used here."""
    if rate <= 0:
        return 0
    limit, count, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _aware(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC)


def demo_data_present() -> bool:
    return Interaction.objects.exists() or Agent.objects.exists() or Team.objects.exists()


@transaction.atomic
def seed_demo(
    *,
    days: int = 30,
    agent_count: int = 40,
    seed: int = 0,
    end: date | None = None,
    now: datetime | None = None,
) -> dict:
    """Build the demo center and return what it made. The database must hold no center yet."""
    now = now or timezone.now()
    end = end or local_today(now)
    center = DemoCenter(days=days, agent_count=agent_count, seed=seed, end=end, now=now)
    sim_agents = center.plan_agents()
    contacts = center.simulate(sim_agents)

    skills = {
        name: Skill.objects.create(name=name, description=f"Handles {name} contacts.")
        for name in SKILLS
    }
    queues = {
        name: Queue.objects.create(name=name, channel=channel, required_skill=skills[skill])
        for name, channel, skill, _volume, _topics in QUEUES
    }
    teams = {}
    for name, _share, _skills, served in TEAMS:
        teams[name] = Team.objects.create(name=name)
        teams[name].queues.set([queues[queue] for queue in served])
    users = _create_users(teams)

    rng = center.rng
    agents = Agent.objects.bulk_create(
        [
            Agent(
                login=sim.login,
                display_name=f"{FIRST_NAMES[sim.index % len(FIRST_NAMES)]} {LAST_NAMES[(sim.index * 7) % len(LAST_NAMES)]}",
                team=teams[sim.team],
                hourly_cost=Decimal(rng.randint(1800, 3200)) / 100,
            )
            for sim in sim_agents
        ]
    )
    agent_by_login = {agent.login: agent for agent in agents}
    first_agent = agents[0]
    first_agent.user = users["agent"]
    first_agent.display_name = "Noa Cohen"
    first_agent.save(update_fields=["user", "display_name"])
    AgentSkill.objects.bulk_create(
        [
            AgentSkill(agent=agent_by_login[sim.login], skill=skills[skill], proficiency=level)
            for sim in sim_agents
            for skill, level in sim.skills.items()
        ]
    )

    _store_schedules(sim_agents, agent_by_login)
    _store_states(sim_agents, agent_by_login, center.cutoff)
    # Transcripts draw from their own generator: the center is the same with or without them.
    transcript_rng = random.Random(f"transcripts-{seed}")
    _store_contacts(contacts, queues, agent_by_login, teams, transcript_rng)
    _store_costs(center, sim_agents, agent_by_login, teams)
    return {
        "contacts": len(contacts),
        "agents": len(agents),
        "teams": len(teams),
        "queues": len(queues),
        "first_day": center.first_day,
        "last_day": center.end,
        "users": [username for username, *_ in DEMO_USERS],
    }


def _create_users(teams: dict[str, Team]) -> dict:
    user_model = get_user_model()
    groups = {
        name: Group.objects.get_or_create(name=name)[0] for name in (MANAGER, SUPERVISOR, AGENT)
    }
    users = {}
    for username, first, last, role, team in DEMO_USERS:
        user, _created = user_model.objects.get_or_create(username=username)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@example.com"
        user.is_staff = user.is_superuser = role is None
        user.set_password(DEMO_PASSWORD)
        user.save()
        if role:
            user.groups.set([groups[role]])
        if team:
            teams[team].supervisors.add(user)
        users[username] = user
    return users


def _store_schedules(sim_agents, agent_by_login):
    shifts, plans = [], []
    for sim in sim_agents:
        for plan in sim.shifts:
            shifts.append(
                Shift(
                    agent=agent_by_login[sim.login],
                    team_id=agent_by_login[sim.login].team_id,
                    start=_aware(plan.start),
                    end=_aware(plan.end),
                )
            )
            plans.append(plan)
    Shift.objects.bulk_create(shifts, batch_size=BATCH_SIZE)
    ShiftActivity.objects.bulk_create(
        [
            ShiftActivity(shift=shift, kind=kind, start=_aware(begin), end=_aware(finish))
            for shift, plan in zip(shifts, plans, strict=True)
            for kind, begin, finish in plan.activities
        ],
        batch_size=BATCH_SIZE,
    )


def _store_states(sim_agents, agent_by_login, cutoff):
    AgentStateEvent.objects.bulk_create(
        [
            AgentStateEvent(
                agent=agent_by_login[sim.login],
                team_id=agent_by_login[sim.login].team_id,
                state=state,
                at=_aware(at),
            )
            for sim in sim_agents
            for at, state in sim.state_timeline(cutoff)
        ],
        batch_size=BATCH_SIZE,
    )


def _store_contacts(contacts, queues, agent_by_login, teams, transcript_rng: random.Random):
    """The contacts, their surveys, and a transcript for every handled one (a recording
    for some of the calls)."""
    first_names = {login: agent.display_name.split()[0] for login, agent in agent_by_login.items()}
    rows = []
    for contact in contacts:
        agent = agent_by_login.get(contact["agent"]) if contact["answered_at"] is not None else None
        transcript, recording_url = (
            transcripts.for_contact(
                transcript_rng,
                external_id=contact["external_id"],
                channel=contact["channel"],
                topic=contact["topic"],
                agent=first_names[agent.login],
                resolved=contact["resolved"],
                answered=_aware(contact["answered_at"]),
                talk=contact["talk_seconds"],
            )
            if agent is not None and contact["ended_at"] is not None
            else ("", "")
        )
        rows.append(
            Interaction(
                source=DEMO_SOURCE,
                external_id=contact["external_id"],
                channel=contact["channel"],
                direction=contact["direction"],
                queue=queues[contact["queue"]],
                agent=agent,
                team=teams[contact["team"]] if agent else None,
                customer=contact["customer"],
                arrived_at=_aware(contact["arrived_at"]),
                answered_at=_aware(contact["answered_at"]),
                ended_at=_aware(contact["ended_at"]),
                talk_seconds=contact["talk_seconds"],
                hold_seconds=contact["hold_seconds"],
                wrap_seconds=contact["wrap_seconds"],
                transferred=contact["transferred"],
                resolved=contact["resolved"],
                callback_requested=contact["callback_requested"],
                topic=contact["topic"],
                csat=contact["csat"],
                nps=contact["nps"],
                recording_url=recording_url,
                transcript=transcript,
            )
        )
    Interaction.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    Survey.objects.bulk_create(
        [
            Survey(
                interaction=row,
                csat=contact["csat"],
                nps=contact["nps"],
                comment=comment,
                answered_at=_aware(answered),
            )
            for row, contact in zip(rows, contacts, strict=True)
            if contact["survey"]
            for comment, answered in [contact["survey"]]
        ],
        batch_size=BATCH_SIZE,
    )


def _store_costs(center: DemoCenter, sim_agents, agent_by_login, teams):
    """Monthly cost entries: each team's paid hours at its agents' rates, plus the center's."""
    entries = []
    month = center.first_day.replace(day=1)
    while month <= center.end:
        next_month = (month + timedelta(days=32)).replace(day=1)
        last = next_month - timedelta(days=1)
        start_epoch, end_epoch = center._epoch(month, time(0)), center._epoch(next_month, time(0))
        for team_name, team in teams.items():
            amount = sum(
                (
                    Decimal(plan.end - plan.start) / 3600 * agent_by_login[sim.login].hourly_cost
                    for sim in sim_agents
                    if sim.team == team_name
                    for plan in sim.shifts
                    if start_epoch <= plan.start < end_epoch
                ),
                Decimal(0),
            )
            entries.append(
                CostEntry(
                    description=f"{team_name} wages {month:%B %Y}",
                    team=team,
                    amount=amount.quantize(Decimal("0.01")),
                    start_date=month,
                    end_date=last,
                )
            )
        entries += [
            CostEntry(description=f"{label} {month:%B %Y}", amount=_scaled(base, center.scale),
                      start_date=month, end_date=last)
            for label, base in (("Telephony and licences", 4500), ("Facilities", 6000))
        ]  # fmt: skip
        month = next_month
    CostEntry.objects.bulk_create(entries)


def _scaled(amount: int, scale: float) -> Decimal:
    return (Decimal(amount) * Decimal(str(scale))).quantize(Decimal("0.01"))
