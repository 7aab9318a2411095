"""The schedule CSV import (docs/scheduling.md, docs/reliability.md "Schedule imports")."""

import pytest

from scheduling import services
from scheduling.models import Shift

pytestmark = pytest.mark.django_db

NUL_FILE = (
    b"agent,date,start,end,activities,note\n"
    b"A-1,2026-03-02,08:00,16:00,,bad \x00 note\n"
    b"A-1,2026-03-03,08:00,16:00,lunch 12:00-12:30,good\n"
)


def test_a_nul_byte_rejects_its_row_and_keeps_the_good_one(agent_a, supervisor_a):
    report = services.schedule_import(data=NUL_FILE, agents=[agent_a], by=supervisor_a)
    assert [(row.line, row.status) for row in report.rows] == [(2, "rejected"), (3, "created")]
    assert "NUL byte" in " ".join(report.rows[0].errors)
    assert list(Shift.objects.values_list("note", flat=True)) == ["good"]
