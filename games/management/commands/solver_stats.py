"""`manage.py solver_stats`: how many guesses a solver strategy needs, over every code of a space."""

import time

from django.core.management.base import BaseCommand, CommandError

from games import rules, solver
from games.exceptions import InvalidMove

# Playing every code walks the strategy's whole decision tree; past this many
# codes that takes minutes (and the space is no longer one enumerable block).
STATS_LIMIT = 10_000


class Command(BaseCommand):
    help = "Play a solver strategy against every code of a space and print how many guesses each needed."

    def add_arguments(self, parser):
        parser.add_argument("--length", type=int, default=4, help="pegs per code (2-8, default 4)")
        parser.add_argument("--colors", type=int, default=6, help="colours (2-10, default 6)")
        parser.add_argument(
            "--strategy",
            choices=[strategy.value for strategy in solver.Strategy],
            default=solver.Strategy.KNUTH.value,
            help="how the next guess is chosen (default knuth)",
        )
        parser.add_argument("--no-duplicates", action="store_true", help="codes may not repeat a colour")

    def handle(self, *args, **options):
        try:
            settings, _ = rules.validate_settings(
                mode="solo",
                code_length=options["length"],
                colors=options["colors"],
                allow_duplicates=not options["no_duplicates"],
            )
        except InvalidMove as exc:
            raise CommandError(f"{exc.field}: {exc.detail}") from exc
        size = rules.code_space_size(settings)
        if size > STATS_LIMIT:
            raise CommandError(f"{size} codes: play-all statistics are limited to {STATS_LIMIT} codes.")
        strategy = solver.Strategy(options["strategy"])

        start = time.perf_counter()
        counts = solver.distribution(settings, strategy)
        elapsed = time.perf_counter() - start

        total = sum(guesses * codes for guesses, codes in counts.items())
        repeats = "repeats allowed" if settings.allow_duplicates else "no repeats"
        lines = [
            f"Strategy {strategy.value}, {settings.code_length} pegs × {settings.colors} colours, "
            f"{repeats}: {size} codes",
            "",
            "| guesses | codes |",
            "|---:|---:|",
            *(f"| {guesses} | {codes} |" for guesses, codes in counts.items()),
            "",
            f"total {total} guesses, average {total / size:.3f}, max {max(counts)} ({elapsed:.1f} s)",
        ]
        self.stdout.write("\n".join(lines))
