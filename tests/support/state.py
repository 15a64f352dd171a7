"""The whole database as plain rows, to show that a refused request changed nothing."""

from __future__ import annotations

from django.apps import apps

# Sessions and sign-in attempts change on every sign-in, whatever the page then refuses.
NOT_COMPARED = {"sessions", "axes"}


def database_state() -> dict[str, list[tuple]]:
    """Every row of every table (many-to-many tables and history included), by model."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label in NOT_COMPARED:
            continue
        rows = model._default_manager.order_by("pk").values_list()
        state[model._meta.label] = list(rows)
    return state
