"""Short, plausible transcripts and recording addresses for the demo's handled contacts.

A transcript is a template per channel (a call, a chat, an e-mail thread; social and SMS
read like a chat) with the topic's question and answer and the names filled in, its
ending by whether the contact was resolved. Cheap on purpose: the demo's 100,000-odd
contacts get theirs in well under a second. Drawn from their own `random.Random`, so the
simulated center stays the same for a seed with or without them.
"""

import random
from datetime import datetime

from django.utils import timezone

from interactions.models import Channel

# Recordings live outside the product (the PBX's recorder); the demo's are on example.com
# and do not exist: the player shows the address it would play.
RECORDING_BASE = "https://recordings.example.com/"
# Share of the handled voice calls that were recorded.
RECORDED_SHARE = 0.6

CUSTOMER_NAMES = ["Alex", "Jordan", "Morgan", "Taylor", "Casey", "Robin", "Kim", "Dana"]

# topic: (what the customer asks, what the agent answers)
TOPICS = {
    "invoice": (
        "my last invoice is higher than usual",
        "the difference is the roaming charges from the 12th; I have sent you the breakdown",
    ),
    "payment": (
        "my card payment was declined this morning",
        "the card on file expired; I have updated it and the payment went through",
    ),
    "refund": (
        "I was charged twice and would like a refund",
        "I can see the double charge; the refund is on its way, 3 to 5 working days",
    ),
    "plan change": (
        "I would like to move to a cheaper plan",
        "the Basic plan fits your usage; it starts with your next billing cycle",
    ),
    "outage": (
        "my internet has been down since last night",
        "there is a fault in your area; the technicians expect it fixed by 6 pm",
    ),
    "setup": (
        "I cannot get the new router set up",
        "let's reset it and pair it again; the light should turn green now",
    ),
    "device": (
        "my phone keeps dropping calls",
        "a settings update should fix it; I have sent it to your phone",
    ),
    "password": (
        "I am locked out of my account",
        "I have sent you a reset link; it is valid for 30 minutes",
    ),
    "new line": (
        "I would like to add a line for my daughter",
        "the new line is set up; the SIM card ships today",
    ),
    "upgrade": (
        "am I eligible for a phone upgrade?",
        "yes, from today; I have reserved the model you asked about",
    ),
    "pricing": (
        "what would the unlimited plan cost me?",
        "with your current discount it comes to 32 a month",
    ),
    "order status": (
        "where is my order?",
        "it left the warehouse yesterday and arrives tomorrow before noon",
    ),
    "account": (
        "I need to change the address on my account",
        "done: the new address is on your account from today",
    ),
    "how-to": (
        "how do I set up voicemail?",
        "dial 123 and follow the prompts; I have also sent you the guide",
    ),
    "complaint": (
        "I have been promised a callback three times and nobody called",
        "I am sorry about that; I have raised it with the team lead and noted it on your file",
    ),
    "document request": (
        "I need a copy of my contract",
        "I have sent the signed contract to your e-mail address",
    ),
    "praise": (
        "I just wanted to say your technician was great yesterday",
        "thank you, I will pass that on to him",
    ),
    "question": (
        "do you cover the new housing estate in the north?",
        "yes, coverage there started last month",
    ),
    "appointment": (
        "can I move my installation appointment?",
        "I have moved it to Thursday between 8 and 12",
    ),
    "delivery": (
        "my parcel says delivered but it is not here",
        "I have opened a claim with the courier and will send you an update",
    ),
}

UNRESOLVED = "I need to check this with a colleague; we will get back to you by tomorrow"


def _sentence(text: str) -> str:
    return f"{text[0].upper()}{text[1:]}"


def _turns(resolved: bool | None, answer: str) -> tuple[str, str, str]:
    """The agent's reply, their closing offer, the customer's last words."""
    if resolved is False:
        return UNRESOLVED, "Is that okay for you?", "Okay, I'll wait to hear from you."
    return answer, "Is there anything else I can help with?", "No, that's all. Thanks!"


def _call(agent, customer, ask, answer, resolved, talk: float) -> str:
    reply, offer, thanks = _turns(resolved, answer)
    steps = [
        (0, "Agent", f"Thank you for calling, this is {agent}. How can I help?"),
        (0.05, "Customer", f"Hi, this is {customer}. {_sentence(ask)}."),
        (0.15, "Agent", "Let me look into that. Can you confirm the account holder's name?"),
        (0.3, "Customer", f"Yes, it's {customer}."),
        (0.6, "Agent", f"Thank you. So, {reply}."),
        (0.85, "Agent", offer),
        (0.95, "Customer", thanks),
    ]
    return "\n".join(
        f"[{int(share * talk) // 60:02d}:{int(share * talk) % 60:02d}] {who}: {said}"
        for share, who, said in steps
    )


def _chat(agent, customer, ask, answer, resolved, answered: datetime, talk: float) -> str:
    reply, offer, thanks = _turns(resolved, answer)
    steps = [
        (0, agent, f"Hi {customer}, I'm {agent}. How can I help today?"),
        (0.1, customer, f"Hi! {_sentence(ask)}."),
        (0.3, agent, "Thanks, give me a moment to check."),
        (0.7, agent, f"{_sentence(reply)}."),
        (0.8, agent, offer),
        (0.95, customer, thanks),
    ]
    start = timezone.localtime(answered)
    minute = start.hour * 60 + start.minute + start.second / 60
    clocks = ((int(minute + share * talk / 60) % 1440, who, said) for share, who, said in steps)
    return "\n".join(f"[{at // 60:02d}:{at % 60:02d}] {who}: {said}" for at, who, said in clocks)


def _email(agent, customer, topic, ask, answer, resolved) -> str:
    reply, _offer, _thanks = _turns(resolved, answer)
    subject = _sentence(topic)
    return (
        f"From: {customer}\nSubject: {subject}\n\n"
        f"Hello,\n\n{_sentence(ask)}. Could you help?\n\nBest regards,\n{customer}\n\n"
        f"---\nFrom: {agent} (Customer care)\nSubject: Re: {subject}\n\n"
        f"Dear {customer},\n\nThank you for your message. {_sentence(reply)}.\n\n"
        f"Kind regards,\n{agent}"
    )


def for_contact(
    rng: random.Random,
    *,
    external_id: str,
    channel: str,
    topic: str,
    agent: str,
    resolved: bool | None,
    answered: datetime,
    talk: float,
) -> tuple[str, str]:
    """(transcript, recording address or "") of one handled contact."""
    customer = rng.choice(CUSTOMER_NAMES)
    ask, answer = TOPICS[topic]
    if channel == Channel.EMAIL:
        return _email(agent, customer, topic, ask, answer, resolved), ""
    if channel == Channel.VOICE:
        recording = f"{RECORDING_BASE}{external_id}.mp3" if rng.random() < RECORDED_SHARE else ""
        return _call(agent, customer, ask, answer, resolved, talk), recording
    return _chat(agent, customer, ask, answer, resolved, answered, talk), ""
