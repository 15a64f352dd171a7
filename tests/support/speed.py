"""Opt-in speed-ups for test modules: import the fixture into a module to use it there."""

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """make_user hashes a password per user; the production hasher takes ~0.3 s each time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
