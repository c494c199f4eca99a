"""The worked example on /how-to-play/: a real secret, real guesses, feedback from `rules.score`.

The rows are the same dicts the board's partials render (games/boards.py),
so the example looks like the board you play on, and its feedback cannot
disagree with the rules.
"""

from games import boards, rules

CODE_LENGTH = 4
COLOURS = 6
MAX_GUESSES = 10
SECRET = [3, 0, 4, 0]
# Each guess with what its feedback tells you.
GUESSES = [
    (
        [0, 0, 1, 1],
        "One orange sits in its place (the second peg) and the other orange is in the code "
        "somewhere else. Sky blue scores nothing: it is not in the code at all.",
    ),
    (
        [0, 2, 0, 3],
        "Nothing is in its place, yet three pegs belong: both oranges and the yellow. "
        "Green is out. So the oranges are not first or third, and yellow is not fourth.",
    ),
    (
        [3, 0, 0, 4],
        "Two exact, two misplaced. Rows 1 and 2 say orange is second and yellow is not "
        "fourth, so yellow first and orange second are the exact ones; the other orange and "
        "the blue belong, so they swap into the last two places.",
    ),
    ([3, 0, 4, 0], "Four exact: solved in 4 of 10 guesses."),
]


def example() -> dict:
    """The example board's context: settings, the secret's pegs, and its rows with their notes."""
    palette = boards.colours(COLOURS)
    settings = {
        "code_length": CODE_LENGTH,
        "colors": COLOURS,
        "max_guesses": MAX_GUESSES,
        "allow_duplicates": True,
        "max_players": 1,
    }
    rows = []
    for number, (guess, note) in enumerate(GUESSES, start=1):
        feedback = rules.score(SECRET, guess)
        rows.append(
            {
                "number": number,
                "username": "you",
                "guess": guess,
                "exact": feedback.exact,
                "misplaced": feedback.misplaced,
                "pegs": [palette[c] for c in guess],
                "note": note,
            }
        )
    return {
        "room": {"mode": "solo", "status": "finished", "settings": settings},
        "settings": settings,
        "palette": palette,
        "secret_pegs": [palette[c] for c in SECRET],
        "board": {"title": "Example board", "owner": "you", "rows": rows, "mine": True},
    }
