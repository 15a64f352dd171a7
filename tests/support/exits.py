"""Every URL pattern of the tracker, walked from the resolver and filled with real objects.

`routes()` lists each pattern (the admin site's, i18n and the tracker's included); `paths(route,
objects)` fills its parameters from the kind of object the pattern names. A pattern this module
does not know raises `Unfilled`, so a new page (or a newly registered admin model) fails the
security tests until someone says what to put in its URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib import admin
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern


class Unfilled(LookupError):
    """A URL pattern (or an admin model) the security tests do not know how to fill."""


@dataclass(frozen=True)
class Route:
    route: str  # the whole pattern text, e.g. "admin/tracker/actionitem/<path:object_id>/change/"
    name: str | None  # with its namespace, e.g. "admin:tracker_actionitem_change"
    params: tuple[str, ...]


def _params(pattern) -> tuple[str, ...]:
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters)
    if isinstance(pattern, RegexPattern):
        named = sorted(pattern.regex.groupindex.items(), key=lambda kv: kv[1])
        if named:
            return tuple(name for name, _index in named)
        return tuple(str(i) for i in range(pattern.regex.groups))
    raise Unfilled(f"unknown kind of pattern: {pattern!r}")


def routes() -> list[Route]:
    """Every URL pattern the project answers, with its qualified name."""
    found: list[Route] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            text = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, text, inner)
            elif isinstance(entry, URLPattern):
                name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
                found.append(Route(text, name, _params(entry.pattern)))

    walk(get_resolver(), "", "")
    return found


@dataclass
class Objects:
    """What fills the URLs for one requesting user.

    `pks`: for each model registered in the admin, the primary keys to open (a model missing here
    is Unfilled). `versions`: (object pk, history id) pairs for simple-history's version pages.
    `link_tokens` and `calendar_tokens`: the signed-link and feed tokens this user tries.
    """

    item_keys: list[str]
    pks: dict[type[Model], list[object]]
    versions: dict[type[Model], list[tuple[object, object]]] = field(default_factory=dict)
    link_tokens: list[str] = field(default_factory=list)
    calendar_tokens: list[str] = field(default_factory=list)
    enrolment_tokens: list[str] = field(default_factory=lambda: ["no-such-link"])
    content_types: list[tuple[int, object]] = field(default_factory=list)
    # The API's: reports and organizations by key; the user's own API tokens (and others').
    report_keys: list[str] = field(default_factory=lambda: ["no-such-report"])
    organization_keys: list[str] = field(default_factory=lambda: ["no-such-org"])
    token_ids: list[int] = field(default_factory=lambda: [0])
    providers: list[str] = field(default_factory=lambda: ["no-such-provider"])
    meeting_pks: list[int] = field(default_factory=lambda: [0])
    snapshot_numbers: list[int] = field(default_factory=lambda: [0])
    # (item key, comment id) and (item key, evidence id) pairs, crossed with other items' too.
    comments: list[tuple[str, int]] = field(default_factory=lambda: [("no-such-item", 1)])
    evidence: list[tuple[str, int]] = field(default_factory=lambda: [("no-such-item", 1)])
    unsubscribe_tokens: list[str] = field(default_factory=lambda: ["no-such-token"])

    def of(self, model: type[Model]) -> list[object]:
        if model not in self.pks:
            raise Unfilled(f"no objects given for the admin model {model._meta.label}")
        return self.pks[model]


NO_PARAMS = [()]
# Tracker pages by name: what each parameter holds.
_PAGES_WITHOUT_PARAMS = {
    "healthz",
    "login",
    "logout",
    "set_language",
    "tracker:dashboard",
    "tracker:item_list",
    "tracker:item_export",
    "tracker:my_items",
    "tracker:calendar",
    "tracker:calendar_reset",
    "tracker:meeting_list",
    "tracker:snapshot_list",
    "tracker:snapshot_freeze",
    "tracker:settings",
    "admin:index",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:two_factor",
    "tracker:api_tokens",
    "api:schema",
    "api:docs",
    "api:me",
    "api:report-list",
    "api:theme-list",
    "api:organization-list",
    "api:item-list",
    "api:reminder-list",
}
_ITEM_PAGES = {
    "tracker:item_detail",
    "tracker:item_update",
    "tracker:item_status",
    "tracker:item_snooze",
    "tracker:item_on_track",
    "api:item-detail",
    "api:item-timeline",
    "api:item-status",
}
_MEETING_PAGES = {
    "tracker:meeting_detail",
    "tracker:meeting_hold",
    "tracker:meeting_postpone",
    "tracker:meeting_outcome",
    "tracker:meeting_new_item",
    "tracker:meeting_freeze",
}
_SNAPSHOT_PAGES = {
    "tracker:snapshot_detail",
    "tracker:snapshot_compare",
    "tracker:snapshot_pdf",
    "tracker:snapshot_csv",
    "tracker:snapshot_xlsx",
    "tracker:item_comment",
    "tracker:item_people",
    "tracker:item_watch",
    "tracker:item_evidence",
    "tracker:item_claim",
    "tracker:item_review",
}
# Views of a registered model's admin, by the suffix of their URL name.
_MODEL_VIEWS_WITHOUT_PARAMS = {"changelist", "add", "import", "export", "process_import"}
_MODEL_VIEWS_OF_ONE_OBJECT = {
    "change",
    "history",
    "delete",
    "post_update",
    "reassign",
    "config",  # django-otp: a device's settings
    "qrcode",
    "password_change",  # the user admin's password form
}


def _named_args(objects: Objects) -> dict[str, list[tuple]]:
    """URL name -> the argument tuples to reverse it with."""
    from tracker.models import Reminder, Theme

    args: dict[str, list[tuple]] = {name: NO_PARAMS for name in _PAGES_WITHOUT_PARAMS}
    args.update({name: [(key,) for key in objects.item_keys] for name in _ITEM_PAGES})
    args.update({name: [(pk,) for pk in objects.meeting_pks] for name in _MEETING_PAGES})
    args.update({name: [(n,) for n in objects.snapshot_numbers] for name in _SNAPSHOT_PAGES})
    args["tracker:reminder-link"] = [(t,) for t in objects.link_tokens]
    args["tracker:calendar_feed"] = [(t,) for t in objects.calendar_tokens]
    args["tracker:comment_edit"] = list(objects.comments)
    args["tracker:evidence_file"] = list(objects.evidence)
    args["tracker:unsubscribe"] = [(t,) for t in objects.unsubscribe_tokens]
    args["admin:two_factor_enrol"] = [(t,) for t in objects.enrolment_tokens]
    args["admin:view_on_site"] = list(objects.content_types)
    args["tracker:api_token_revoke"] = [(pk,) for pk in objects.token_ids]
    args["api:report-detail"] = [(key,) for key in objects.report_keys]
    args["api:organization-detail"] = [(key,) for key in objects.organization_keys]
    args["api:theme-detail"] = [(pk,) for pk in objects.pks.get(Theme, [0])]
    args["api:reminder-detail"] = [(pk,) for pk in objects.pks.get(Reminder, [0])]
    args["api:not-found"] = [("items/%C2%84/",), ("themes/null,null/",), ("no-such-thing",)]
    args["oidc_login"] = args["oidc_callback"] = [(name,) for name in objects.providers]
    labels = sorted({model._meta.app_label for model in admin.site._registry})
    args["admin:app_list"] = [(label,) for label in labels]
    for model in admin.site._registry:
        if model not in objects.pks:
            continue  # its URLs stay unfilled, and are reported so
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}_"
        for suffix in _MODEL_VIEWS_WITHOUT_PARAMS:
            args[base + suffix] = NO_PARAMS
        for suffix in _MODEL_VIEWS_OF_ONE_OBJECT:
            args[base + suffix] = [(pk,) for pk in objects.pks[model]]
        args[base + "simple_history"] = list(objects.versions.get(model, []))
    return args


_OBJECT_REDIRECT = re.compile(r"^admin/(\w+)/(\w+)/<path:object_id>/$")
_CATCH_ALL = "admin/(?P<url>.*)$"


def _unnamed_paths(route: Route, objects: Objects, item_pks: list[object]) -> list[str]:
    """Patterns without a name: the admin's old object URL (a redirect) and its catch-all."""
    if route.route == _CATCH_ALL:
        return ["/admin/no-such-page/", *[f"/admin/tracker/actionitem/{pk}" for pk in item_pks]]
    match = _OBJECT_REDIRECT.match(route.route)
    if match:
        for model in admin.site._registry:
            if (model._meta.app_label, model._meta.model_name) == match.groups():
                return [f"/admin/{match[1]}/{match[2]}/{pk}/" for pk in objects.of(model)]
    raise Unfilled(f"no filler for the unnamed pattern {route.route!r}")


def paths(route: Route, objects: Objects, named: dict[str, list[tuple]] | None = None) -> list[str]:
    """Concrete paths for `route`; raises Unfilled for a pattern this module does not know."""
    if route.name is None:
        from tracker.models import ActionItem

        return _unnamed_paths(route, objects, objects.pks.get(ActionItem, []))
    named = named if named is not None else _named_args(objects)
    if route.name not in named:
        raise Unfilled(f"no filler for {route.name!r} ({route.route!r})")
    return [reverse(route.name, args=list(args)) for args in named[route.name]]


def every_path(objects: Objects) -> tuple[list[str], list[str]]:
    """(every concrete path, the patterns that could not be filled)."""
    named = _named_args(objects)
    found, unfilled = [], []
    for route in routes():
        try:
            found.extend(paths(route, objects, named))
        except Unfilled as missing:
            unfilled.append(str(missing))
    return found, unfilled
