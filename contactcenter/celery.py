"""The Celery application: configured once from Django settings (CELERY_ namespace)."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")

app = Celery("contactcenter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The file-system broker needs its folders before the first message is written.
for key in ("data_folder_in", "data_folder_out", "control_folder"):
    folder = (app.conf.broker_transport_options or {}).get(key)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
