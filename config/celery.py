"""The Celery application: Redis broker, tasks discovered in each app's tasks.py."""

import os
import warnings

from celery import Celery

# Celery 5.7 calls redis-py 8's deprecated setex; harmless, and fixed upstream in time.
warnings.filterwarnings("ignore", message=".*setex.*", category=DeprecationWarning)
if os.environ.get("TRACKER_DEV_STACK"):
    # `make run` in a development container runs as root: a warning nobody there can act on.
    warnings.filterwarnings("ignore", message=".*superuser privileges.*")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
