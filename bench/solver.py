"""Solver benchmark: `.venv/bin/python bench/solver.py [--secrets 5 --repeat 3]`.

Times `Solver.hint` (Knuth, the hint endpoint's default) at several points of
a game, and prints Markdown tables for docs/solver.md. A game's history is the
solver's own play against a random secret, as a player who follows the hints
would have. Each row times `--repeat` hints for each of `--secrets` secrets:
the median and the maximum over them. The first table's "cold" column is the
very first hint for that board in this process, which also builds the cached
code space and opening guess. Then `solver.analyse` of whole random games
(the analysis endpoint's work, SPEC §9). Pure Python, no Django, no database.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from games import rules, solver  # noqa: E402

BOARDS = [
    # (pegs, colours, repeats allowed, guesses already played)
    (4, 6, True, (0, 1, 2, 3)),
    (4, 6, False, (0, 1, 2, 3)),
    (5, 8, True, (0, 1, 2, 3)),
    (6, 9, True, (0, 1, 2, 3)),
    (6, 9, False, (0, 1, 2, 3)),
    (8, 10, True, (0, 1, 2, 3, 5)),
    (8, 10, False, (0, 1, 2, 3, 5)),
]


def timed(func):
    start = time.perf_counter()
    result = func()
    return result, time.perf_counter() - start


def bench_hints(secrets: int, repeat: int) -> list[str]:
    rows = [
        "| board | guesses played | codes left (median) | exact | median | max | cold |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for length, colors, duplicates, points in BOARDS:
        settings = rules.GameSettings(code_length=length, colors=colors, allow_duplicates=duplicates)
        board = f"{length}×{colors}" + ("" if duplicates else " no repeats")
        sv = solver.Solver(settings)
        _, cold = timed(lambda sv=sv: sv.hint([]))
        games = []
        for _ in range(secrets):
            secret = rules.draw_secret(settings)
            history = []
            for _ in range(max(points)):
                guess = sv.suggest(history)
                history.append((guess, rules.score(secret, guess)))
                if guess == secret:
                    break
            games.append(history)
        for played in points:
            samples, left, exact = [], [], []
            for history in games:
                if len(history) < played or (played and history[played - 1][1].exact == length):
                    continue  # solved before this point
                for _ in range(repeat):
                    hint, seconds = timed(lambda sv=sv, h=history[:played]: sv.hint(h))
                    samples.append(seconds)
                    left.append(hint.possible)
                    exact.append(hint.exact)
            if not samples:
                continue
            exactness = "yes" if all(exact) else ("no" if not any(exact) else "some")
            cold_cell = f"{cold * 1e3:.1f} ms" if played == 0 else ""
            rows.append(
                f"| {board} | {played} | {statistics.median(left):.0f} | {exactness} "
                f"| {statistics.median(samples) * 1e3:.1f} ms | {max(samples) * 1e3:.1f} ms | {cold_cell} |"
            )
    return rows


def random_game(settings: rules.GameSettings, rng: random.Random) -> list:
    """Ten guesses drawn at random (until one cracks it): the slowest kind of game to analyse,
    since its consistent sets stay large for longer than a solver's or a person's."""
    secret = tuple(rng.randrange(settings.colors) for _ in range(settings.code_length))
    history = []
    for _ in range(settings.max_guesses):
        if settings.allow_duplicates:
            guess = tuple(rng.randrange(settings.colors) for _ in range(settings.code_length))
        else:
            guess = tuple(rng.sample(range(settings.colors), settings.code_length))
        history.append((guess, rules.score(secret, guess)))
        if guess == secret:
            break
    return history


def bench_analysis(games: int) -> list[str]:
    """`solver.analyse` of whole games (GET /rooms/{code}/analysis/ before its cache), caches cleared per game."""
    rows = [
        "| board | games | guesses (median) | rows exact | median | max |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rng = random.Random(2026)
    for length, colors in [(4, 6), (5, 8), (6, 9)]:
        settings = rules.GameSettings(code_length=length, colors=colors, max_guesses=10)
        solver.analyse(settings, [])  # builds the code space, as the first hint would
        samples, sizes, exact, total = [], [], 0, 0
        for _ in range(games):
            history = random_game(settings, rng)
            solver._minimax_exact.cache_clear()
            verdicts, seconds = timed(lambda h=history, st=settings: solver.analyse(st, h))
            samples.append(seconds)
            sizes.append(len(history))
            exact += sum(v.exact_counts for v in verdicts)
            total += len(verdicts)
        rows.append(
            f"| {length}×{colors} | {games} | {statistics.median(sizes):.0f} | {exact}/{total} "
            f"| {statistics.median(samples) * 1e3:.0f} ms | {max(samples) * 1e3:.0f} ms |"
        )
    return rows


def bench_play_all() -> list[str]:
    rows = [
        "| board | strategy | total | average | max | time |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for length, colors, duplicates in [(4, 6, True), (4, 6, False), (3, 4, True), (4, 5, True)]:
        settings = rules.GameSettings(code_length=length, colors=colors, allow_duplicates=duplicates)
        board = f"{length}×{colors}" + ("" if duplicates else " no repeats")
        for strategy in solver.Strategy:
            counts, seconds = timed(lambda s=settings, st=strategy: solver.distribution(s, st))
            codes = sum(counts.values())
            total = sum(guesses * n for guesses, n in counts.items())
            rows.append(
                f"| {board} | {strategy.value} | {total} | {total / codes:.3f} | {max(counts)} | {seconds:.2f} s |"
            )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-play-all", action="store_true")
    parser.add_argument("--games", type=int, default=20, help="games per board for the analysis table")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; {args.secrets} secrets × {args.repeat} repeats per row")
    print()
    print("\n".join(bench_hints(args.secrets, args.repeat)))
    print()
    print("\n".join(bench_analysis(args.games)))
    if not args.skip_play_all:
        print()
        print("\n".join(bench_play_all()))


if __name__ == "__main__":
    main()
