"""Personal access tokens for the API: stored hashed, with a scope and an expiry."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TokenScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Read and write")


class ApiToken(models.Model):
    """One personal access token. The secret itself is shown once and never stored: only its
    SHA-256 (the secret is 256 random bits, so a fast hash loses nothing to guessing)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(max_length=100, verbose_name=_("name"))
    # The first characters of the token, shown in the list so its owner can tell tokens apart.
    prefix = models.CharField(max_length=16, verbose_name=_("starts with"))
    token_hash = models.CharField(max_length=64, unique=True, verbose_name=_("hash"))
    scope = models.CharField(
        max_length=8,
        choices=TokenScope.choices,
        default=TokenScope.READ,
        verbose_name=_("access"),
    )
    created_at = models.DateTimeField(verbose_name=_("created"))
    expires_at = models.DateTimeField(verbose_name=_("expires"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=TokenScope.values), name="api_token_valid_scope"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
