"""The item list's rendered HTML, kept per user and browser until anything it shows changes.

Rendering the admin's list (rows, filters, pagination) costs far more than its queries, so a
plain page load is served from the same page cache as the status pages
(`tracker.views.common.cached_render`: template version, what the viewer may see, language,
time zone, local date). Unlike the status pages, an admin page is the user's own: their name,
their permissions (which actions and buttons show) and a CSRF token for its forms are in it. So
the key also holds the user, their permissions, and the browser's CSRF secret (the token in a
cached form stays valid while the secret does; signing in again rotates it), beside what the
page lists: the full address (filters, search, ordering, page), the items' change stamp, the
names of reports, themes and organizations, and the latest admin log entry (a user renamed or
regrouped in the admin).

What changes is read in one statement (`selectors.change_stamp_query` with the rest alongside): the
names and the permissions come back as one digest apiece, computed in the database, rather than
as rows. A kept page then costs the session, the user and that statement.

Never from the cache: anything but a GET, a browser without a CSRF cookie yet, a request with
messages waiting (“... was changed successfully”), and a list of no items (nothing to stamp;
cheap to render): those are rendered as usual.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Subquery
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse

from tracker import selectors
from tracker.auth_backend import permission_rows
from tracker.views.common import cacheable, cached_render, user_parts


def stamp(user) -> tuple:
    """What the page shows that may change without its address changing, in one statement:
    the items' change stamp, the latest admin log entry, the names the filters list, and the
    user's permissions (which actions and buttons the page offers). Empty when there are no
    items."""
    sql, params = _stamp_statement(user.pk, user.is_superuser)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchone() or ())


@functools.lru_cache(maxsize=1024)
def _stamp_statement(user_id: int, is_superuser: bool) -> tuple[str, tuple]:
    """stamp()'s SQL, compiled once per user and process: the ORM took longer to build it
    (about twenty expressions) than the database takes to run it. Nothing in it changes while
    the code does not, but the user's id and whether they are a superuser."""
    user = get_user_model()(pk=user_id, is_superuser=is_superuser)
    latest_log_entry = LogEntry.objects.order_by("-pk").values("pk")[:1]
    query = selectors.change_stamp_query(
        Subquery(latest_log_entry),
        *selectors.names_stamp(),
        selectors.rows_digest(permission_rows(user), "pk", "content_type_id", "codename"),
    )
    return query[:1].query.sql_with_params()


def cached_list_page(request: HttpRequest, render_page: Callable[[], HttpResponse]) -> HttpResponse:
    """The list page as `render_page()` renders it, from the cache when nothing it shows changed.

    Only a 200 from a template is kept; a redirect (e.g. for filters it could not read) or an
    error page is returned as rendered, every time.
    """
    if not cacheable(request):
        return render_page()
    rendered: list[HttpResponse] = []

    def render() -> bytes | None:
        response = render_page()
        rendered.append(response)
        if response.status_code != 200 or not isinstance(response, SimpleTemplateResponse):
            return None  # stored as "nothing": the next request renders again
        return response.render().content

    changes = stamp(request.user)
    if not changes:
        return render_page()
    content = cached_render(
        request,
        parts=(
            "admin-item-list",
            request.get_full_path(),
            request.META["CSRF_COOKIE"],
            user_parts(request.user),
        ),
        stamp=changes,
        render=render,
    )
    if rendered:  # rendered just now: the response itself (tests read its context)
        return rendered[0]
    return HttpResponse(content)
