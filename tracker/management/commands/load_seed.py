from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracker.seeding import SeedErrors, default_paths, load_paths


class Command(BaseCommand):
    help = "Validate seed files (default: every file in seeds/) and upsert their action items."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="YAML seed files")

    def handle(self, *args, paths, **options):
        paths = paths or default_paths(Path(settings.BASE_DIR) / "seeds")
        if not paths:
            raise CommandError("No seed files given and none found in seeds/.")
        try:
            result = load_paths(paths, now=timezone.now())
        except SeedErrors as errors:
            for problem in errors.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{len(errors.problems)} problem(s) found; nothing was written."
            ) from None
        self.stdout.write(result.summary())
