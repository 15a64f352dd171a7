"""Messages other apps show in our admin, named here so that our Korean catalogue carries them.

Django looks a message up in our catalogue (LOCALE_PATHS) before any app's, and
`makemessages` collects the messages named below into it, where they get their Korean:
django-simple-history ships no Korean catalogue at all, and a few of Django's own Korean
messages read wrongly (“보기위한 1%s 를(을) 선택”, “%(filter_title)s (으)로”). Nothing imports
this module; `gettext_noop` only marks the text.
"""

from django.utils.translation import gettext_noop

DJANGO_ADMIN = (
    gettext_noop(" By %(filter_title)s "),
    gettext_noop("Select %s to view"),
)

# django-import-export's Korean for this one is marked fuzzy there (so never used), and wrong.
IMPORT_EXPORT = (
    gettext_noop("Import finished: {} new, {} updated, {} deleted and {} skipped {}."),
)

SIMPLE_HISTORY = (
    gettext_noop("View history: %s"),
    gettext_noop("View %s"),
    gettext_noop("Created"),
    gettext_noop("Changed"),
    gettext_noop("Deleted"),
    gettext_noop("This object doesn't have a change history."),
    gettext_noop("Close"),
)
