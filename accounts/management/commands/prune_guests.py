"""`manage.py prune_guests --days 30`: remove idle guests (run it daily, from cron or a timer)."""

from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = (
        "Delete guest accounts idle for --days (no sign-in, room or guess), with the rooms only they played. "
        "A guest who shared a room with another person is anonymised instead, so that game stays whole."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days", type=int, default=30, help="Idle for at least this many days (default 30)."
        )

    def handle(self, *args, **options):
        if options["days"] < 1:
            raise CommandError("--days must be at least 1.")
        deleted, anonymised = services.guests_prune(days=options["days"])
        self.stdout.write(f"{deleted} guest(s) deleted, {anonymised} anonymised")
