from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from tracker.demo import setup_demo
from tracker.models import Snapshot, Source
from tracker.seeding import default_paths, load_paths


class Command(BaseCommand):
    help = "Load the seed files once and create the demo accounts; prints how to sign in."

    def handle(self, *args, **options):
        now = timezone.now()
        if not Source.objects.exists():
            result = load_paths(default_paths(Path(settings.BASE_DIR) / "seeds"), now=now)
            self.stdout.write(f"Seed data: {result.summary()}")
        accounts = setup_demo(now=now)
        self.stdout.write("")
        self.stdout.write("Demo accounts (username / password / role):")
        for spec, _created in accounts:
            role = "superuser" if spec.superuser else spec.role
            where = f"{spec.time_zone} ({spec.language})"
            self.stdout.write(f"  {spec.username:16} {spec.password:24} {role:13} {where}")
        self.stdout.write("")
        self.stdout.write(
            f"Open {settings.SITE_URL}/ (status pages) and {settings.SITE_URL}/admin/"
        )
        report = Snapshot.objects.order_by("number").first()
        if report is not None:
            page = f"{settings.SITE_URL}/snapshots/{report.number}/"
            self.stdout.write(f"A status report frozen at the DTICC meeting: {page}")
            self.stdout.write(f"  and what changed since: {page}compare/?with=now")
