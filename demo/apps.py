from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo center: generator, live feed and `seed_demo`. The one app allowed to import
    every other one; nothing imports it back (settings' beat schedule names its task)."""

    name = "demo"
    verbose_name = "Demo"
