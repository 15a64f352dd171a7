"""Settings for the benchmark server only: the product's settings plus a trivial view's URL.

The trivial view is the floor the pages are compared with; it is no part of the product, so it
lives in bench.urls, which only this settings module names.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
