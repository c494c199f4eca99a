"""Brute-force oracles the tests check the rules and the solver against (not app code)."""

from collections.abc import Iterable, Sequence

from games.rules import Feedback, score


def consistent_codes(
    candidates: Iterable[tuple[int, ...]],
    history: Iterable[tuple[Sequence[int], Feedback]],
) -> list[tuple[int, ...]]:
    """The candidates that would have produced every feedback in history as the secret."""
    past = [(guess, tuple(feedback)) for guess, feedback in history]
    return [code for code in candidates if all(score(code, guess) == fb for guess, fb in past)]
