"""What the policy reads of the database, for the sweep and for delivery alike: the items with the
fields the rules and the digest use, who holds which role on them, and when each recipient was
last reminded of each. A constant number of queries, whatever the number of items."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import F, Max, QuerySet

from tracker.models import (
    ActionItem,
    Country,
    PersonalSnooze,
    ReminderItem,
    ReminderState,
    Status,
    StatusUpdate,
    UpdateKind,
)

from .escalation import country_coordinators, escalation_targets
from .policy import ITEM_KINDS, REVIEWER, Holding, roles_on

# What the rules and the digest read of an item; the long texts (summaries, excerpts) stay out.
ITEM_FIELDS = (
    "key",
    "title_en",
    "title_ko",
    "status",
    "marking",
    "due_date",
    "cadence_days",
    "last_update_at",
    "next_follow_up_at",
    "snoozed_until",
    "owner_id",
)


def load_items(items: QuerySet) -> dict[int, ActionItem]:
    """`items` by id, each with the fields above and its lead organization's coordinator id
    and country (whom its escalation goes to)."""
    loaded = (
        items.order_by()
        .only(*ITEM_FIELDS)
        .annotate(
            lead_coordinator_id=F("lead_organization__coordinator_id"),
            lead_country=F("lead_organization__country"),
        )
    )
    return {item.pk: item for item in loaded}


def _mark_claimants(loaded: dict[int, ActionItem]) -> list[ActionItem]:
    """The claimed items among `loaded`, each given claimant_id and claimant_country (who made
    its latest claim), with one query."""
    claimed = {pk: i for pk, i in loaded.items() if i.status == Status.IMPLEMENTATION_CLAIMED}
    if not claimed:
        return []
    claims = (
        StatusUpdate.objects.filter(item_id__in=list(claimed), kind=UpdateKind.CLAIM)
        .order_by("created_at", "id")
        .values_list("item_id", "author_id", "author__profile__country")
    )
    for item in claimed.values():
        item.claimant_id = item.claimant_country = None
    for item_id, author_id, country in claims:  # the latest claim comes last
        claimed[item_id].claimant_id, claimed[item_id].claimant_country = author_id, country
    return list(claimed.values())


def _reviewers(item: ActionItem, coordinators: list[int]) -> list[int]:
    """Who hears of `item`'s claim: every member of the Coordinators group but the claimant.
    Whether each may see and accept it is the policy's question."""
    return [pk for pk in coordinators if pk != item.claimant_id]


def holdings_of(items: QuerySet, loaded: dict[int, ActionItem]) -> dict[int, list[Holding]]:
    """Each user's holdings among `loaded` (the rows of `items`): owners, co-owners and those
    their escalation goes to, and the reviewers of claimed items, read with three queries
    (co-owner links, coordinators, claimants)."""
    co_owners: dict[int, list[int]] = defaultdict(list)
    links = ActionItem.co_owners.through.objects.filter(actionitem__in=items.values("pk"))
    for item_id, user_id in links.values_list("actionitem_id", "user_id"):
        co_owners[item_id].append(user_id)
    by_country = country_coordinators()
    held: dict[int, list[Holding]] = defaultdict(list)
    for item in loaded.values():
        roles = roles_on(
            owner_id=item.owner_id,
            co_owner_ids=co_owners.get(item.pk, ()),
            coordinator_ids=escalation_targets(item, by_country),
        )
        for user_id, role in roles.items():
            held[user_id].append(Holding(item=item, role=role))
    for item in _mark_claimants(loaded):
        for user_id in _reviewers(item, by_country.get(Country.JOINT, [])):
            held[user_id].append(Holding(item=item, role=REVIEWER))
    return held


def last_reminded(
    items: QuerySet, *, leaving_out: tuple[int, ...] = (), kinds: tuple[str, ...] = ITEM_KINDS
) -> dict[int, dict[int, dt.date]]:
    """recipient id -> {item id: the local day of the latest digest to them that carried it in
    one of the sections `kinds`}, for `items`. Failed and skipped digests never reached anyone,
    so they do not count; nor do the digests in `leaving_out` (a digest being sent does not
    count as its own last)."""
    carried = (
        ReminderItem.objects.filter(item__in=items.values("pk"), kind__in=kinds)
        .exclude(reminder__state__in=(ReminderState.FAILED, ReminderState.SKIPPED))
        .exclude(reminder_id__in=leaving_out)
        .order_by()
        .values_list("reminder__recipient_id", "item_id")
        .annotate(day=Max("reminder__local_date"))
    )
    days: dict[int, dict[int, dt.date]] = defaultdict(dict)
    for recipient_id, item_id, day in carried:
        days[recipient_id][item_id] = day
    return days


def personal_snoozes(items: QuerySet, *, now: dt.datetime) -> dict[int, frozenset[int]]:
    """recipient id -> the ids of the items among `items` they snoozed for themselves, still
    running at `now`."""
    found: dict[int, set[int]] = defaultdict(set)
    running = PersonalSnooze.objects.filter(item__in=items.values("pk"), until__gt=now)
    for user_id, item_id in running.values_list("user_id", "item_id"):
        found[user_id].add(item_id)
    return {user_id: frozenset(ids) for user_id, ids in found.items()}
