"""The registry is the single definition: docs/kpis.md shows exactly what it holds."""

from pathlib import Path

from kpis import definitions

DOCS = Path(__file__).resolve().parent.parent / "docs" / "kpis.md"
SPEC_KEYS = {
    "offered", "answered", "abandoned", "handled", "callbacks", "service_level", "asa",
    "max_wait", "abandonment_rate", "aht", "transfer_rate", "fcr", "csat", "nps",
    "cost_per_contact", "occupancy", "utilization", "adherence", "contacts_per_hour",
    "quality_score", "critical_fail_rate",
}  # fmt: skip


def test_every_kpi_of_the_spec_is_in_the_registry_once():
    keys = [kpi.key for kpi in definitions.KPIS]
    assert len(keys) == len(set(keys))
    assert set(keys) == SPEC_KEYS


def test_docs_table_matches_the_registry():
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("-->\n", text.index("<!-- registry table")) + 4
    end = text.index("\n<!-- end of registry table -->")
    assert text[start:end] == definitions.docs_table(), (
        "docs/kpis.md is out of date: paste kpis.definitions.docs_table() between the markers"
    )


def test_every_kpi_names_components_that_exist():
    known = {*definitions.CONTACT_COMPONENTS, *definitions.STATE_COMPONENTS,
             *definitions.COST_COMPONENTS}  # fmt: skip
    for kpi in definitions.KPIS:
        assert set(kpi.components) <= known, kpi.key
        assert kpi.direction in (None, definitions.HIGHER, definitions.LOWER, definitions.BAND)
        zeros = dict.fromkeys(known, 0)
        zeros["wait_max"] = None
        zeros["period_cost"] = 0
        value = kpi.compute(zeros)
        assert value in (0, None), (kpi.key, value)
