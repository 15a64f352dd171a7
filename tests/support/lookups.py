"""The leak matrix's lookup walk: on every admin list, every relation lookup its model offers that
reaches an action item (or a row that belongs to one), tried with the id of a row the user may
not see and with an id that does not exist. Any difference between the two answers (status,
listed rows, count, or the text of any other answer) is an existence test, and a leak.

Paths: each relation of the model, forward or reverse, and each relation one step further
(`owner__owned_items` on the item list, `user__co_owned_items` on groups and devices), kept when
they end at a model in `item_rows`. Each is tried with `__exact`, `__in` and `__gt`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Max, Model, QuerySet

from tests.support.leaks import SEES, LeakWorld
from tracker.models import (
    ActionItem,
    ReminderItem,
    StatusUpdate,
    UsedLink,
    WebhookDelivery,
    WebhookEvent,
)

OPERATORS = ("exact", "in", "gt")
# A form's token is masked afresh on every page: not a difference a user learns anything from.
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
# Who walks: the staff who may not see some item (readers and visitors never reach a list).
WALKERS = ("us-owner", "kr-owner", "us-coord", "kr-coord")


def item_rows(model: type[Model], hidden: list[ActionItem]) -> QuerySet | None:
    """Rows of `model` that belong to the `hidden` items; None for a model that holds no item."""
    if model is ActionItem:
        return ActionItem.objects.filter(pk__in=[item.pk for item in hidden])
    if model in (StatusUpdate, ReminderItem, UsedLink, WebhookEvent):
        return model.objects.filter(item__in=hidden)
    if model is WebhookDelivery:
        return model.objects.filter(event__item__in=hidden)
    if model is LogEntry:
        item_type = ContentType.objects.get_for_model(ActionItem)
        ids = [str(item.pk) for item in hidden]
        return LogEntry.objects.filter(content_type=item_type, object_id__in=ids)
    return None


def _relations(model: type[Model]) -> list:
    return [f for f in model._meta.get_fields() if f.is_relation and f.related_model is not None]


def relation_paths(model: type[Model]) -> list[tuple[str, type[Model]]]:
    """(lookup path, model it ends at) for each path of one or two relations ending at a model
    that holds items."""
    found = []
    for first in _relations(model):
        if item_rows(first.related_model, []) is not None:
            found.append((first.name, first.related_model))
        for second in _relations(first.related_model):
            if item_rows(second.related_model, []) is not None:
                found.append((f"{first.name}__{second.name}", second.related_model))
    return found


@dataclass(frozen=True)
class Probe:
    changelist: str
    lookup: str
    hidden_id: object
    missing_id: object

    def paths(self) -> tuple[str, str]:
        return (
            f"{self.changelist}?{urlencode({self.lookup: self.hidden_id})}",
            f"{self.changelist}?{urlencode({self.lookup: self.missing_id})}",
        )


def probes_for(world: LeakWorld, name: str) -> list[Probe]:
    """Every (list, lookup, hidden id, missing id) that `name` tries."""
    hidden = [item for marking, item in world.items.items() if marking not in SEES[name]]
    probes = []
    for model in admin.site._registry:
        opts = model._meta
        changelist = f"/admin/{opts.app_label}/{opts.model_name}/"
        for path, target in relation_paths(model):
            rows = item_rows(target, hidden)
            missing = (target.objects.aggregate(top=Max("pk"))["top"] or 0) + 1000
            for hidden_id in rows.values_list("pk", flat=True):
                probes += [
                    Probe(changelist, f"{path}__{operator}", hidden_id, missing)
                    for operator in OPERATORS
                ]
    return probes


def answer(response, path: str) -> tuple:
    """What a user learns from a response to `path`: a list's rows and counts, or its status
    and text (less the page's own address, which pages echo in their language switcher)."""
    try:
        changelist = response.context["cl"]
    except (TypeError, KeyError):
        changelist = None
    if changelist is not None:
        rows = [obj.pk for obj in changelist.result_list]
        return response.status_code, rows, changelist.result_count, changelist.full_result_count
    text = CSRF_TOKEN.sub("", response.content.decode("utf-8", "replace")).replace(path, "")
    return response.status_code, response.get("Location", ""), text
