"""The REST API under /api/v1/ (Django REST framework, schema by drf-spectacular): an interface
like the admin and the pages. It reads through releasability and selectors and changes items
through workflow.py; serializers shape data and hold no rule.

    authentication.py  personal access tokens (Bearer), beside the browser's session
    permissions.py     a read-only token reads; coordinators' resources
    throttling.py      a rate per token (or per signed-in user), in Django's cache
    problems.py        every error as RFC 9457 problem details (application/problem+json)
    pagination.py      cursors: a list continues after the last row it showed
    base.py            language (Accept-Language) and UTC times; If-Match and ETag
    serializers.py     what each resource shows
    items.py           action items, their timeline and status
    reference.py       reports, themes, organizations; the reminder log; the caller
    urls.py            the routes, the OpenAPI schema and the docs page
"""
