from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self):
        # scheduling listens to agents (never the other way round): an agent's history tab
        # lists their shifts and time off, and a moved agent's coming shifts follow them.
        from agents import selectors as agent_selectors
        from agents.signals import agent_moved
        from scheduling import selectors, services

        agent_selectors.history_source(selectors.shift_history)
        agent_selectors.history_source(selectors.time_off_history)
        agent_moved.connect(
            services.coming_shifts_follow, dispatch_uid="scheduling.coming_shifts_follow"
        )
