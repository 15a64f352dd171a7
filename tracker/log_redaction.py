"""Log filters: the secret parts of URLs never reach a log.

A signed reminder link (/r/<token>/), a digest's unsubscribe address (/u/<token>/), a calendar
feed (/calendar/<token>.ics) and a two-factor enrolment link (/admin/two-factor/enrol/<token>/)
carry their credential in the path, and Django
logs the path of every 4xx answer (django.request, django.security.csrf), as gunicorn's access
log does for every request. `RedactSecrets` replaces the token with "[redacted]" in the message
and its arguments. No Django import: gunicorn's config loads this module before Django is set up.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
_LINK = re.compile(r"/r/[^/\s?#\"']+")
_UNSUBSCRIBE = re.compile(r"/u/[^/\s?#\"']+")
_FEED = re.compile(r"/calendar/[^/\s?#\"']+\.ics")
_ENROL = re.compile(r"/two-factor/enrol/[^/\s?#\"']+")


def redact(text: str) -> str:
    text = _LINK.sub(f"/r/{REDACTED}", text)
    text = _UNSUBSCRIBE.sub(f"/u/{REDACTED}", text)
    text = _FEED.sub(f"/calendar/{REDACTED}.ics", text)
    return _ENROL.sub(f"/two-factor/enrol/{REDACTED}", text)


def _redact_value(value):
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Rewrites the record's message and arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(value) for value in record.args)
        return True
