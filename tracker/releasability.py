"""Who may see which action item: one decision for every page, export, feed, admin view, email.

A user sees an item when its marking is among the markings the user is cleared for. Everyone with
an account is cleared for "releasable to all"; the other markings are granted on the profile.
Superusers see everything (grant superuser only to people cleared for every marking). A marking the
tracker does not know counts as the most restrictive: nobody but a superuser sees it.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .models import ActionItem, Edition, Marking

# The markings each snapshot edition may hold: a report for an audience holds only items every
# member of that audience may see.
EDITION_MARKINGS: dict[str, frozenset[str]] = {
    Edition.ALL: frozenset({Marking.ALL}),
    Edition.US: frozenset({Marking.ALL, Marking.US_ONLY, Marking.US_KR}),
    Edition.KR: frozenset({Marking.ALL, Marking.KR_ONLY, Marking.US_KR}),
    Edition.US_KR: frozenset({Marking.ALL, Marking.US_KR}),
}
# A webhook endpoint's audience is one of the same editions (models.Audience has their values):
# it receives what that edition may hold.
AUDIENCE_MARKINGS = EDITION_MARKINGS


def cleared_markings(user) -> frozenset[str] | None:
    """The markings `user` may see; None means every marking (superusers)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return None
    allowed = {Marking.ALL.value}
    profile = getattr(user, "profile", None)
    if profile is not None:
        if profile.may_see_us_only:
            allowed.add(Marking.US_ONLY.value)
        if profile.may_see_kr_only:
            allowed.add(Marking.KR_ONLY.value)
        if profile.may_see_us_kr:
            allowed.add(Marking.US_KR.value)
    return frozenset(allowed)


def may_see_marking(user, marking: str) -> bool:
    allowed = cleared_markings(user)
    return allowed is None or marking in allowed


def can_see(user, item) -> bool:
    """Whether `user` may see `item` at all (anywhere: page, export, feed, admin or email)."""
    return may_see_marking(user, item.marking)


def visible_filter(user, prefix: str = "") -> Q:
    """The same decision as a queryset filter; `prefix` reaches items through a relation."""
    allowed = cleared_markings(user)
    if allowed is None:
        return Q()
    if not allowed:
        return Q(**{f"{prefix}pk__in": []})
    return Q(**{f"{prefix}marking__in": sorted(allowed)})


def visible_items(user, items: QuerySet[ActionItem] | None = None) -> QuerySet[ActionItem]:
    """The items (all of them, or those of `items`) that `user` may see: every page, export,
    feed, admin view and email starts from here or from visible_filter."""
    items = ActionItem.objects.all() if items is None else items
    return items.filter(visible_filter(user))


def edition_markings(edition: str) -> frozenset[str]:
    """The markings an edition may hold; none for an edition the tracker does not know."""
    return EDITION_MARKINGS.get(edition, frozenset())


def may_see_markings(user, markings) -> bool:
    """Whether `user` may see an item of every one of `markings` (a report holding them)."""
    allowed = cleared_markings(user)
    return allowed is None or set(markings) <= allowed


def editions_for(user) -> list[str]:
    """The editions `user` may freeze or open: those whose every marking they are cleared for."""
    return [e for e in Edition.values if may_see_markings(user, edition_markings(e))]


def audience_markings(audience: str) -> frozenset[str]:
    """The markings a webhook audience may receive (none for an audience the tracker does not
    know)."""
    return AUDIENCE_MARKINGS.get(audience, frozenset())


def may_register_audience(user, audience: str) -> bool:
    """Whether `user` may point an endpoint at `audience`: they must be cleared for every
    marking it receives (no one can send a system what they may not read themselves)."""
    markings = audience_markings(audience)
    return bool(markings) and all(may_see_marking(user, m) for m in markings)


def endpoint_may_receive(endpoint, *markings: str) -> bool:
    """Whether `endpoint` may receive an item bearing each of `markings` (the marking when the
    event happened and the one it has now): each must be in its audience's edition and still
    visible to the endpoint's owner (a revoked clearance stops the flow too)."""
    allowed = audience_markings(endpoint.audience)
    owner = endpoint.owner
    return all(m in allowed and may_see_marking(owner, m) for m in markings)


def clearance_problem(*, users, item: ActionItem) -> str | None:
    """Why some of `users` cannot own or co-own `item` (not cleared for its marking), or None."""
    blocked = [user.get_username() for user in users if not can_see(user, item)]
    if not blocked:
        return None
    return _("%(user)s may not see items marked “%(marking)s”.") % {
        "user": ", ".join(blocked),
        "marking": item.get_marking_display(),
    }


_CLEARANCE_FIELDS = {
    Marking.US_ONLY.value: "profile__may_see_us_only",
    Marking.KR_ONLY.value: "profile__may_see_kr_only",
    Marking.US_KR.value: "profile__may_see_us_kr",
}


def people_filter(marking: str) -> Q:
    """The same decision from the people's side: a filter on users for those who may see an item
    marked `marking` (active; superusers; cleared for it). For choosing whom to mention."""
    cleared = Q(is_superuser=True)
    if marking == Marking.ALL:
        cleared = Q()
    elif marking in _CLEARANCE_FIELDS:
        cleared |= Q(**{_CLEARANCE_FIELDS[marking]: True})
    return Q(is_active=True) & cleared
