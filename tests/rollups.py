"""Every rollup table's rows, comparable across runs: the incremental-equals-rebuild tests
(test_kpi_incremental, test_state_rollup, test_kpi_rebuild) share this one snapshot."""

from kpis.rollup.rebuild import TABLES


def snapshot() -> dict:
    """Each rollup table's rows without their ids, sorted: two rollups of the same data
    compare equal whatever order or ids they wrote in."""
    return {
        model.__name__: sorted(
            (
                tuple(sorted((k, v) for k, v in row.items() if k != "id"))
                for row in model.objects.values()
            ),
            key=repr,
        )  # fmt: skip
        for model in TABLES
    }
