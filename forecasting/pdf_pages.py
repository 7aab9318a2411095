"""The forecast page as a PDF (core.pdf): its title, queue and week, its charts; the table
is the page's own CSV export (`week`)."""

from core.pdf import Page


def forecast(context) -> Page:
    selection, week = context["selection"], context["week"]
    if selection is None or "data" not in context:
        lines = context["errors"] or ["No queue picked"]
        return Page("Forecast", lines=lines, name=("forecast", week))
    data = context["data"]
    charts = [
        (title, data[key])
        for title, key in (("Contacts per day", "daily_chart"),
                           ("Contacts per 15 minutes", "intraday_chart"),
                           ("Accuracy", "accuracy_chart"), ("WAPE", "wape_chart"),
                           ("Backtests", "backtest_chart"))
        if data.get(key)
    ]  # fmt: skip
    notes = [f"{row['queue']}: {row['note']}" for row in data["notes"]]
    return Page(
        title=f"Forecast: {selection.name}",
        lines=[f"Week of {week:%-d %b %Y}", *context["errors"]],
        notes=notes,
        charts=charts,
        name=("forecast", selection.name, week),
    )
