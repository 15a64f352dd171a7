"""Run the reminder sweep and send the digests here, without Celery, one line per recipient."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tracker import delivery
from tracker.models import Reminder
from tracker.reminders.sweep import plan_digests, sweep
from tracker.tasks import batches


def parse_now(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"--now {value!r} is not an ISO-8601 time, e.g. 2026-03-09T13:30:00+00:00"
        ) from exc
    if parsed.tzinfo is None:
        raise CommandError(
            f"--now {value!r} has no time zone; add one, e.g. {value}+00:00 or {value}Z"
        )
    return parsed.astimezone(dt.UTC)


def _who(user) -> str:
    return f"{user.get_username()} <{user.email or '-'}>"


def _status(outcome: delivery.Outcome) -> str:
    if outcome.state == "sent":
        return "sent"
    if outcome.state in ("failed", "pending"):
        later = " (will be retried)" if outcome.state == "pending" else ""
        return f"failed{later}: {outcome.detail}"
    return f"skipped: {outcome.detail}"


class Command(BaseCommand):
    help = (
        "Claim the reminder digests due now (or at --now) and send them here, without Celery. "
        "Prints one line per recipient: who, how many items, sent/skipped/failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Show who is due; claim and send nothing."
        )
        parser.add_argument(
            "--now", help="Act as if it were this time (ISO-8601 with a time zone)."
        )

    def handle(self, *args, dry_run: bool, now: str | None, **options) -> None:
        when = parse_now(now) if now else timezone.now()
        if dry_run:
            for plan in plan_digests(now=when):
                self.stdout.write(
                    f"{_who(plan.recipient)}: {len(plan.entries)} item(s), {len(plan.news)} news: "
                    "skipped (dry run)"
                )
            return
        ids = sweep(now=when).to_send
        for chunk in batches(ids):  # as the workers do: one connection a batch
            batch = delivery.deliver_batch(reminder_ids=chunk, now=when)
            for reminder_id in chunk:
                self.stdout.write(self._line(reminder_id, batch.outcomes[reminder_id]))

    def _line(self, reminder_id: int, outcome: delivery.Outcome) -> str:
        reminder = Reminder.objects.select_related("recipient").get(pk=reminder_id)
        count = outcome.items or reminder.entries.count()
        return f"{_who(reminder.recipient)}: {count} item(s): {_status(outcome)}"
