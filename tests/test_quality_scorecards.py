"""Scorecard versions: editing a used form makes a new version (old evaluations keep
theirs), an unused one is edited in place, in the service and through the Django admin;
which scorecard applies to a contact."""

import pytest
from django.urls import reverse

from interactions.models import Channel
from quality import versions
from quality.models import (
    Answer,
    Calibration,
    Evaluation,
    Question,
    Scorecard,
    ScorecardVersion,
    Section,
)
from tests.factories import AgentFactory, InteractionFactory, QueueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def card():
    scorecard = Scorecard.objects.create(name="Calls")
    v1 = ScorecardVersion.objects.create(scorecard=scorecard, number=1)
    opening = Section.objects.create(version=v1, title="Opening", order=1)
    Question.objects.create(section=opening, text="Greeting", weight=1, order=1)
    Question.objects.create(section=opening, text="Empathy", kind="scale", weight=2, order=2)
    close = Section.objects.create(version=v1, title="Close", order=2)
    Question.objects.create(section=close, text="Verified identity", weight=3, critical=True)
    return scorecard


def evaluate(version):
    """A submitted evaluation on `version`, every question answered yes / 5."""
    evaluation = Evaluation.objects.create(
        contact=InteractionFactory(),
        agent=AgentFactory(),
        version=version,
        status="submitted",
        points=6,
        possible=6,
    )
    Answer.objects.bulk_create(
        Answer(evaluation=evaluation, question=q, value=5 if q.kind == "scale" else 1)
        for q in Question.objects.filter(section__version=version)
    )
    return evaluation


def form_of(version):
    """(section title, order, [(question text, kind, weight, allow_na, critical, order)])."""
    return [
        (
            s.title,
            s.order,
            [
                (q.text, q.kind, q.weight, q.allow_na, q.critical, q.order)
                for q in s.questions.order_by("order", "text")
            ],
        )
        for s in version.sections.order_by("order", "title")
    ]


def test_current_version_is_the_newest(card):
    assert versions.current_version(card).number == 1
    v2 = ScorecardVersion.objects.create(scorecard=card, number=2)
    assert versions.current_version(card) == v2
    assert set(versions.current_versions()) == {v2}
    assert versions.current_version(Scorecard.objects.create(name="Empty")) is None


def test_an_unused_version_is_edited_in_place(card):
    v1 = card.versions.get()
    assert versions.editable_version(v1) == (v1, {}, {})
    assert card.versions.count() == 1


@pytest.mark.parametrize("use", ["evaluation", "calibration"])
def test_editing_a_used_version_copies_it_and_old_evaluations_keep_theirs(card, use, manager):
    v1 = card.versions.get()
    before = form_of(v1)
    if use == "evaluation":
        evaluation = evaluate(v1)
    else:
        Calibration.objects.create(contact=InteractionFactory(), version=v1)

    new, sections, questions = versions.editable_version(v1, by=manager)

    assert (new.number, new.scorecard, new.created_by) == (2, card, manager)
    assert form_of(new) == before  # a deep copy
    assert set(sections) == set(v1.sections.values_list("pk", flat=True))
    assert set(questions) == set(
        Question.objects.filter(section__version=v1).values_list("pk", flat=True)
    )
    assert not {q.pk for q in questions.values()} & set(questions)
    # The edit goes to the copy; v1 and what was scored on it stay as they were.
    greeting = Question.objects.get(section__version=v1, text="Greeting")
    Question.objects.filter(pk=questions[greeting.pk].pk).update(weight=5, allow_na=True)
    assert form_of(v1) == before
    assert versions.current_version(card) == new
    if use == "evaluation":
        evaluation.refresh_from_db()
        assert evaluation.version == v1
        assert set(evaluation.answers.values_list("question__section__version", flat=True)) == {
            v1.pk
        }


def test_a_new_scorecard_gets_version_one(manager):
    scorecard = Scorecard.objects.create(name="Chats")
    v1 = versions.first_version(scorecard, by=manager)
    assert (v1.number, v1.created_by) == (1, manager)
    assert versions.first_version(scorecard) == v1


def test_scorecard_for_prefers_queue_then_channel_then_catch_all():
    billing = QueueFactory(name="Billing", channel=Channel.VOICE)
    sales = QueueFactory(name="Sales", channel=Channel.VOICE)
    contact = InteractionFactory(channel=Channel.VOICE, queue=billing)
    chat = InteractionFactory(channel=Channel.CHAT, queue=sales)

    def make(name, channels=(), queues=(), active=True, version=True):
        scorecard = Scorecard.objects.create(name=name, channels=list(channels), active=active)
        scorecard.queues.set(queues)
        if version:
            ScorecardVersion.objects.create(scorecard=scorecard, number=1)
        return scorecard

    assert versions.scorecard_for(contact) is None
    anything = make("Anything")
    assert versions.scorecard_for(contact) == anything
    make("Chats only", channels=[Channel.CHAT])
    assert versions.scorecard_for(contact) == anything
    voice = make("Voice", channels=[Channel.VOICE, Channel.EMAIL])
    assert versions.scorecard_for(contact) == voice
    make("Sales", queues=[sales])
    make("Billing chats", channels=[Channel.CHAT], queues=[billing])
    make("Billing draft", queues=[billing], version=False)  # no version yet
    make("Billing old", queues=[billing], active=False)
    assert versions.scorecard_for(contact) == voice
    billing_card = make("Billing", queues=[billing, sales])
    assert versions.scorecard_for(contact) == billing_card
    # The chat in Sales: "Billing" (queue) and "Sales" (queue) tie on rank; name decides.
    assert versions.scorecard_for(chat) == billing_card
    # A contact without a queue: only channel and catch-all forms apply.
    assert versions.scorecard_for(
        InteractionFactory(channel=Channel.CHAT, queue=None, direction="outbound")
    ).name == ("Chats only")


# The Django admin, as a manager with the admin would use it.


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def management(prefix, total, initial):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def section_post(section, edit=None, add=None, delete=()):
    """The section's change form as posted: its questions, `edit` {text: {field: value}}
    applied, `add` a new question's fields, `delete` texts ticked for deletion."""
    questions = list(section.questions.order_by("pk"))
    data = {"title": section.title, "order": section.order}
    data |= management("questions", len(questions) + (1 if add else 0), len(questions))
    rows = [
        {
            "id": q.pk,
            "section": section.pk,
            "order": q.order,
            "text": q.text,
            "kind": q.kind,
            "weight": q.weight,
            "allow_na": q.allow_na,
            "critical": q.critical,
            "help_text": q.help_text,
            "DELETE": q.text in delete,
        }
        | (edit or {}).get(q.text, {})
        for q in questions
    ]
    if add:
        rows.append({"section": section.pk, "order": 9, "kind": "yes_no", "weight": 1} | add)
    for i, row in enumerate(rows):
        for field, value in row.items():
            if value is True:
                data[f"questions-{i}-{field}"] = "on"
            elif value is not False:
                data[f"questions-{i}-{field}"] = value
    return data


def test_admin_edit_of_a_used_version_makes_a_new_version(admin_client, card):
    v1 = card.versions.get()
    evaluation = evaluate(v1)
    before = form_of(v1)
    opening = v1.sections.get(title="Opening")
    data = section_post(
        opening,
        edit={"Greeting": {"weight": 4, "allow_na": True}},
        add={"text": "Offered callback"},
        delete=("Empathy",),
    ) | {"title": "Opening the call", "_continue": "1"}

    response = admin_client.post(
        reverse("admin:quality_section_change", args=[opening.pk]), data, follow=True
    )

    assert response.status_code == 200
    v2 = versions.current_version(card)
    assert v2.number == 2
    assert "saved as a new version, v2" in response.content.decode()
    # Redirected to the copy of the section, in v2.
    assert response.redirect_chain[-1][0] == reverse(
        "admin:quality_section_change", args=[v2.sections.get(title="Opening the call").pk]
    )
    assert form_of(v2) == [
        (
            "Opening the call",
            1,
            [
                ("Greeting", "yes_no", 4.0, True, False, 1),
                ("Offered callback", "yes_no", 1.0, False, False, 9),
            ],
        ),
        ("Close", 2, [("Verified identity", "yes_no", 3.0, False, True, 0)]),
    ]
    assert form_of(v1) == before
    evaluation.refresh_from_db()
    assert evaluation.version == v1
    assert evaluation.answers.count() == 3


def test_admin_edit_of_an_unused_version_edits_in_place(admin_client, card):
    v1 = card.versions.get()
    opening = v1.sections.get(title="Opening")
    data = section_post(opening, edit={"Greeting": {"weight": 4}})
    response = admin_client.post(reverse("admin:quality_section_change", args=[opening.pk]), data)
    assert response.status_code == 302
    assert card.versions.count() == 1
    assert v1.sections.get(title="Opening").questions.get(text="Greeting").weight == 4


def test_admin_adding_a_section_to_a_used_version_makes_a_new_version(admin_client, card):
    v1 = card.versions.get()
    evaluate(v1)
    sections = list(v1.sections.order_by("pk"))
    data = management("sections", len(sections) + 1, len(sections))
    for i, s in enumerate(sections):
        data |= {f"sections-{i}-id": s.pk, f"sections-{i}-version": v1.pk}
        data |= {f"sections-{i}-title": s.title, f"sections-{i}-order": s.order}
    n = len(sections)
    data |= {f"sections-{n}-version": v1.pk, f"sections-{n}-title": "Wrap-up"}
    data |= {f"sections-{n}-order": 3}

    response = admin_client.post(
        reverse("admin:quality_scorecardversion_change", args=[v1.pk]), data, follow=True
    )

    assert "saved as a new version, v2" in response.content.decode()
    v2 = versions.current_version(card)
    assert [s.title for s in v2.sections.order_by("order")] == ["Opening", "Close", "Wrap-up"]
    assert v2.sections.get(title="Opening").questions.count() == 2
    assert [s.title for s in v1.sections.order_by("order")] == ["Opening", "Close"]


def test_admin_nothing_changed_on_a_used_version_makes_no_version(admin_client, card):
    v1 = card.versions.get()
    evaluate(v1)
    opening = v1.sections.get(title="Opening")
    response = admin_client.post(
        reverse("admin:quality_section_change", args=[opening.pk]), section_post(opening)
    )
    assert response.status_code == 302
    assert card.versions.count() == 1


def test_admin_old_versions_are_read_only(admin_client, card):
    v1 = card.versions.get()
    evaluate(v1)
    versions.copy_version(v1)
    opening = v1.sections.get(title="Opening")
    before = form_of(v1)
    page = admin_client.get(reverse("admin:quality_section_change", args=[opening.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    response = admin_client.post(
        reverse("admin:quality_section_change", args=[opening.pk]),
        section_post(opening, edit={"Greeting": {"weight": 9}}),
    )
    assert response.status_code == 403
    assert form_of(v1) == before
    assert card.versions.count() == 2
    # A used version cannot be deleted.
    delete = admin_client.post(
        reverse("admin:quality_scorecardversion_delete", args=[v1.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert card.versions.count() == 2


def test_admin_new_scorecard_gets_a_first_version_and_pages_load(admin_client, card):
    response = admin_client.post(
        reverse("admin:quality_scorecard_add"),
        {
            "name": "Chats",
            "description": "",
            "active": "on",
            "channels": ["chat", "sms"],
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302
    chats = Scorecard.objects.get(name="Chats")
    assert chats.channels == ["chat", "sms"]
    assert list(chats.versions.values_list("number", flat=True)) == [1]
    for url in (
        reverse("admin:quality_scorecard_changelist"),
        reverse("admin:quality_scorecard_change", args=[card.pk]),
        reverse("admin:quality_scorecardversion_change", args=[card.versions.get().pk]),
        reverse("admin:quality_section_add"),
    ):
        assert admin_client.get(url).status_code == 200, url
