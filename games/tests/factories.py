"""Test data: rooms in any mode and state, their players and guesses.

Everything is made through the real services (as HackSoft's
`tests/factories.py`), so the rows, events and versions are the ones a game
would have. The secret is read from the database only to steer a guess; a
test asserts what a client is shown, never the row.

    make_room(alice)                                  # a waiting race
    make_room(alice, "duel", "playing", join=[bob])   # alice the codemaker, secret DUEL_SECRET
    make_room(alice, "race", "finished", join=[bob], wrong_guesses=1)
    make_room(alice, "quick", secret=[0, 1, 2, 3])    # quick play with a known secret
"""

import random
from collections.abc import Iterable

from django.db import transaction

from games import services
from games.models import Player, Room

MODES = ("solo", "quick", "coop", "race", "duel")
STATUSES = ("waiting", "playing", "finished", "abandoned")
# The secret a duel's codemaker sets when the test names none.
DUEL_SECRET = [0, 1, 2, 3]


def fresh(room: Room | str) -> Room:
    """The room as the database has it now, from a room or its code."""
    if isinstance(room, Room):
        return Room.objects.get(pk=room.pk)
    return Room.objects.get(code=room)


def _with_secret(room: Room | str) -> Room:
    # A secret never changes once set, so a loaded one is read without a query
    # (query-count tests build their guess inside the counted block).
    if isinstance(room, Room) and room.secret is not None:
        return room
    room = fresh(room)
    assert room.secret is not None, f"room {room.code} has no secret yet"
    return room


def secret_of(room: Room | str) -> list[int]:
    """The room's secret, only to steer a guess (the API must not show it early)."""
    return list(_with_secret(room).secret)


def wrong_guess(room: Room | str, *, shift: int = 1, rng: random.Random | None = None) -> list[int]:
    """A valid guess that is not the secret, so it cannot end a game by luck.

    Every peg moves `shift` colours on: the pegs stay distinct when the
    secret's are, so the guess is valid with or without repeats, and
    different shifts give different guesses. With `rng`, a random code that
    is not the secret instead (for rooms that allow repeats).
    """
    room = _with_secret(room)
    if rng is not None:
        assert room.allow_duplicates, "a random code may repeat a colour"
        while True:
            code = [rng.randrange(room.colors) for _ in range(room.code_length)]
            if code != room.secret:
                return code
    assert shift % room.colors, f"a shift of {shift} gives the secret back with {room.colors} colours"
    return [(peg + shift) % room.colors for peg in room.secret]


def add_players(room: Room | str, *users) -> None:
    """Each of `users` joins the waiting room."""
    code = room.code if isinstance(room, Room) else room
    for user in users:
        services.room_join(room_code=code, user=user)


def submit_guess(room: Room | str, user, code: list[int] | None = None, *, request_id: str | None = None):
    """`user` guesses `code` (a wrong guess when None); the services' GuessResult."""
    room_code = room.code if isinstance(room, Room) else room
    if code is None:
        code = wrong_guess(room)
    return services.guess_submit(room_code=room_code, user=user, guess=code, request_id=request_id)


def solve(room: Room | str, user):
    """`user` guesses the secret; the services' GuessResult."""
    return submit_guess(room, user, secret_of(room))


def guessers(room: Room) -> list:
    """Who may guess once the room plays: everyone but a duel's codemaker, in join order."""
    players = room.players.select_related("user").order_by("joined_at", "id")
    return [p.user for p in players if p.role != Player.Role.CODEMAKER]


def make_room(
    owner,
    mode: str = "race",
    status: str | None = None,
    *,
    join: Iterable = (),
    bots: Iterable[str] = (),
    secret: list[int] | None = None,
    wrong_guesses: int = 0,
    **settings,
) -> Room:
    """A room of `mode` in `status`, as the database has it at the end.

    `owner` creates it ("quick" is quick play: a solo room started at once)
    and each of `join` joins, then the owner adds a computer player of each
    difficulty in `bots`; with no `status`, the room is left as it was
    made (waiting, or playing for solo and quick). `secret` is the code to guess: a duel's
    codemaker sets it (DUEL_SECRET when none is named and the game starts);
    in other modes it is written where the services would draw one, before
    any guess. Once playing, each guesser makes `wrong_guesses` wrong
    guesses; "finished" then has the guessers solve in turn until the game
    ends, and "abandoned" is staff ending the room. `settings` go to
    room_create (name, private, code_length, colors, max_guesses,
    allow_duplicates, max_players).
    """
    assert mode in MODES, mode
    if status is None:
        status = "playing" if mode in ("solo", "quick") else "waiting"
    assert status in STATUSES, status
    if mode == "quick":
        room = services.quick_play(user=owner, **settings)
    else:
        room = services.room_create(user=owner, mode=mode, **settings)
    if room.mode == Room.Mode.DUEL:
        if secret is None and status != "waiting":
            secret = DUEL_SECRET
        if secret is not None:
            services.room_set_secret(room_code=room.code, user=owner, secret=secret)
    elif secret is not None:
        with transaction.atomic():
            Room.objects.filter(pk=room.pk).update(secret=list(secret))
    add_players(room, *join)
    for difficulty in bots:
        services.bot_add(room_code=room.code, user=owner, difficulty=difficulty)
    if status == "waiting":
        assert room.mode != Room.Mode.SOLO, "a solo room starts as it is made"
        return fresh(room)
    if room.mode != Room.Mode.SOLO:
        services.room_start(room_code=room.code, user=owner)
    room = fresh(room)
    players = guessers(room)
    for _ in range(wrong_guesses):
        for user in players:
            submit_guess(room, user)
    if status == "finished":
        for user in players:
            if fresh(room).status == Room.Status.PLAYING:
                solve(room, user)
    elif status == "abandoned":
        services.room_abandon(room_code=room.code)
    room = fresh(room)
    assert room.status == status, (room.status, status)
    return room
