"""Print a one-time two-factor enrolment link for a staff account (the first superuser's way in:
there is nobody yet to issue one in the admin, and email may not be set up)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tracker import enrolment


class Command(BaseCommand):
    help = "Print a one-time link with which a staff account sets up its authenticator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            url = enrolment.issue_link(user=user, by=None, now=timezone.now())
        except enrolment.EnrolmentRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        self.stdout.write(url)
