"""The admin, where coordinators work. One module a responsibility:

(the site itself, with two-factor sign-in for staff and the lookups its lists accept, is
tracker/admin_site.py, two_factor.py and admin_lookups.py, outside this package: the site must
exist before the registrations here run)
guards.py                ids that cannot be ones: version pages, autocomplete widgets
items.py                 action items: list, item page, import/export (imports.py)
item_page.py             provenance, timeline, field history and reminders on the item page
actions.py, forms.py     bulk actions with their confirmation pages; the admin's forms
filters.py               list filters
reminders.py             the reminder log
reference.py             reports, themes, organizations, users
meetings.py              forums, meetings and their agendas
webhooks.py              webhook endpoints and the delivery log, with replay
"""

from . import items, meetings, reference, reminders, webhooks  # noqa: F401  (registers the model admins)
