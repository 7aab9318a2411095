from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs"

    def ready(self):
        # kpis listens to interactions (never the other way round, DESIGN.md): a queue's
        # changed thresholds re-roll its past days.
        from core import xlsx
        from interactions.signals import queue_thresholds_changed
        from kpis import definitions, rerolls
        from kpis.rollup import changes
        from quality.signals import evaluation_changed

        queue_thresholds_changed.connect(
            rerolls.on_queue_thresholds_changed, dispatch_uid="kpis.rerolls.queue_thresholds"
        )
        # And to quality: a changed evaluation re-rolls its contact's day.
        evaluation_changed.connect(
            changes.on_evaluation_changed, dispatch_uid="kpis.rollup.evaluation_changed"
        )
        # Excel exports format a KPI's column by its unit (percent, seconds, ...).
        xlsx.COLUMN_UNITS.update({kpi.key: kpi.unit for kpi in definitions.KPIS})
