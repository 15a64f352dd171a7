"""Who gets an item's escalation copy: the coordinator of its lead organization; where that
organization has none, the Coordinators group of its country (both countries' for a joint
organization). One rule, in two forms: for the sweep (`escalation_targets`) and as a queryset
filter for the pages that show items with nobody to escalate to (`nobody_to_escalate_to`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from tracker import roles
from tracker.models import ActionItem, Country


def _coordinators() -> QuerySet:
    return get_user_model().objects.filter(is_active=True, groups__name=roles.COORDINATORS)


def country_coordinators() -> dict[str, list[int]]:
    """The active members of the Coordinators group by their profile's country, one query;
    the JOINT key holds them all."""
    found: dict[str, list[int]] = defaultdict(list)
    for user_id, country in _coordinators().values_list("pk", "profile__country"):
        if country:
            found[country].append(user_id)
        found[Country.JOINT].append(user_id)
    return found


def escalation_targets(item: ActionItem, by_country: dict[str, list[int]]) -> list[int]:
    """Who hears of `item` when it is long overdue: its lead organization's coordinator, or
    else its country's coordinators. `item` carries lead_coordinator_id and lead_country."""
    if item.lead_coordinator_id is not None:
        return [item.lead_coordinator_id]
    return by_country.get(item.lead_country, [])


def nobody_to_escalate_to(items: QuerySet[ActionItem], *, today: dt.date) -> QuerySet:
    """Open items at least REMINDER_ESCALATION_DAYS overdue whose escalation would reach nobody:
    no coordinator for their lead organization and none in its country's group."""
    escalating = items.open().filter(
        due_date__lte=today - dt.timedelta(days=settings.REMINDER_ESCALATION_DAYS)
    )
    of_country = _coordinators().filter(profile__country=OuterRef("lead_organization__country"))
    joint = Q(lead_organization__country=Country.JOINT) & Exists(_coordinators())
    return escalating.filter(lead_organization__coordinator__isnull=True).exclude(
        Exists(of_country) | joint
    )
