"""`manage.py run_bots`: let computer players move, one tick a second (see games.bots)."""

import time

from django.core.management.base import BaseCommand
from django.db import connections

from games import bots, matchmaking


class Command(BaseCommand):
    help = "Make the computer players' moves: every due bot guesses once per tick."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run one tick and exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between ticks (default 1)")

    def handle(self, *args, **options):
        while True:
            moved = bots.tick()
            matchmaking.sweep()  # expiries and widened rating windows, as the server's loop does
            if options["once"]:
                self.stdout.write(f"{moved} bot move(s)")
                return
            # Hand the connection back between ticks (to the pool on PostgreSQL),
            # so an idle runner holds none and a restarted database is survived.
            connections.close_all()
            time.sleep(options["interval"])
