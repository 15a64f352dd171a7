"""gunicorn's settings for the web process (Procfile, docker-compose; the command line adds bind,
workers and timeout): an access log of every request, without the tokens of signed links and
calendar feeds, which are credentials in the URL."""

import logging

accesslog = "-"


def on_starting(server):
    # Here, not at import: gunicorn has put the project on sys.path by now. Workers are forked
    # later and keep the filter.
    from tracker.log_redaction import RedactSecrets

    logging.getLogger("gunicorn.access").addFilter(RedactSecrets())
