from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs"

    def ready(self):
        # kpis listens to interactions (never the other way round, DESIGN.md): a queue's
        # changed thresholds re-roll its past days.
        from interactions.signals import queue_thresholds_changed
        from kpis import rerolls

        queue_thresholds_changed.connect(
            rerolls.on_queue_thresholds_changed, dispatch_uid="kpis.rerolls.queue_thresholds"
        )
