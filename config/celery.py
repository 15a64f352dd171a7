"""The Celery application: configured from Django settings under the CELERY_ namespace."""

import logging
import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _warm_up_before_forking(**_kwargs) -> None:
    """Warm the digest machinery once in the worker's main process: prefork children inherit it."""
    _warm_up()


@worker_process_init.connect
def _warm_up_child(**_kwargs) -> None:
    """Each child again (instant when inherited; needed when the parent could not)."""
    _warm_up()


def _warm_up() -> None:
    from django.apps import apps

    if not apps.ready:
        return
    try:
        from tracker import emails

        emails.warm_up()
    except Exception:  # a worker that cannot warm up still works: its first digest pays instead
        logging.getLogger(__name__).exception("Could not warm up the digest templates")
