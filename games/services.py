"""The only writers of game state.

Each service is one transaction that locks the room row (so two requests
cannot interleave and share a version), checks the state, applies the rules,
bumps `Room.version` once per event and records that event for the live layer.
They raise games.exceptions.GameError subclasses; the doors map them.
"""

import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from config import rows as sql
from games import events, metrics, ratings, rows, rules, selectors, solver, visibility, wire
from games.exceptions import GameError, InvalidMove, RoomNotFound, WrongState
from games.models import ChatMessage, Guess, Player, Room

NAME_MAX_LENGTH = 60
CHAT_MAX_LENGTH = 500
# What the rules read and change of a player (rules.PlayerState).
_SEAT_FIELDS = ("role", "status", "guesses_used", "solved_in", "place", "won")


@dataclass(frozen=True)
class GuessResult:
    number: int
    guess: list[int]
    exact: int
    misplaced: int
    solved: bool
    remaining: int
    version: int | None  # None only for a guess stored before guesses kept their version


# --- helpers -----------------------------------------------------------------


def _lock_room(room_code: str) -> Room:
    """Fetch the room and lock its row until the transaction ends. Raises RoomNotFound."""
    try:
        return Room.objects.select_for_update().get(code=rules.normalize_room_code(room_code))
    except Room.DoesNotExist:
        raise RoomNotFound("No such room.") from None


def _lock_room_and_players(room_code: str) -> tuple[Room, list[Player]]:
    """The room and its players (with their users) in one statement, all their rows locked.

    `FOR UPDATE OF room, player`, in that order: the room row first, as every
    other writer locks it (`_lock_room`) before it writes players, so this
    cannot deadlock with them. The player rows are locked too, not only read:
    on PostgreSQL a statement that waited for the room's lock re-reads only
    the rows it locks, and would see the players as they were before the
    wait (a stale `guesses_used` or `status`). SQLite ignores the clause: its
    IMMEDIATE transactions have the whole database to themselves.
    Raises RoomNotFound.
    """
    code = rules.normalize_room_code(room_code)
    room, players = rows.lock_room_and_players(code)
    if room is None:
        # No such room, or one with nobody in it (left while waiting).
        return _lock_room(code), []
    return room, players


def _lock_room_then_players(room_code: str) -> tuple[Room, list[Player]]:
    """The room, its row locked, then its players (with their users) read after the lock.

    Two statements, not `_lock_room_and_players`'s one: a statement that
    waited for the room's lock does not see the players inserted meanwhile
    (a join that committed first), and a join, start or leave must count
    them. Only a guess may use the one statement: nobody joins a running game.
    Raises RoomNotFound.
    """
    room = _lock_room(room_code)
    return room, list(room.players.select_related("user"))


def _player_or_none(room: Room, user: User) -> Player | None:
    return Player.objects.select_related("user").filter(room=room, user=user).first()


def _checked(
    room: Room, players: list[Player], user: User, action: str, *, rematch: str | None = None
) -> tuple[rules.Game, Player | None]:
    """The room as the rules see it and the user's seat, once `action` is allowed. Raises GameError."""
    game = visibility.game_of(room, players, rematch=rematch)
    me = visibility.player_of(players, user)
    rules.check(game, action, me.pk if me else None, guest=getattr(user, "is_guest", False))
    return game, me


def _require_status(room: Room, *statuses: str) -> None:
    if (refused := rules.status_refusal(room.status, *statuses)) is not None:
        raise refused


def _snapshot(players: Iterable[Player]) -> list[dict]:
    """The players as events carry them."""
    return [wire.player_data(p) for p in players]


def _validate_name(name: str | None, *, default: str) -> str:
    if name is None:
        return default
    if not isinstance(name, str) or not name.strip():
        raise InvalidMove("A room name must have 1 to 60 characters.", field="name")
    name = name.strip()
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidMove("A room name must have 1 to 60 characters.", field="name")
    return name


def _new_room_code() -> str:
    # 31**6 ≈ 887 million codes: a clash is rare, and retried.
    for _ in range(20):
        code = rules.draw_room_code()
        if not Room.objects.filter(code=code).exists():
            return code
    raise RuntimeError("Could not draw a free room code.")  # pragma: no cover


def _apply(player: Player, seat: rules.PlayerState) -> dict[str, object]:
    """Give the player the seat's state; the fields that changed, with their new values."""
    changed: dict[str, object] = {}
    for name in _SEAT_FIELDS:
        value = getattr(seat, name)
        if getattr(player, name) != value:
            setattr(player, name, value)
            changed[name] = value
    return changed


def _apply_all(players: list[Player], seats: Iterable[rules.PlayerState]) -> dict[int, dict[str, object]]:
    """Give every player their seat's state; the changed fields by player id."""
    by_id = {p.pk: p for p in players}
    changes = {seat.id: _apply(by_id[seat.id], seat) for seat in seats}
    return {pk: fields for pk, fields in changes.items() if fields}


def _write_players(players: list[Player], changes: dict[int, dict[str, object]]) -> None:
    """One UPDATE per distinct change: a team that changes alike is written at once."""
    by_id = {p.pk: p for p in players}
    groups: dict[tuple, list[int]] = {}
    for pk, fields in changes.items():
        groups.setdefault(tuple(sorted(fields.items())), []).append(pk)
    for key, pks in groups.items():
        if len(pks) == 1:
            sql.update(by_id[pks[0]], [name for name, _ in key])
        else:
            Player.objects.filter(pk__in=pks).update(**dict(key))


def _finish_event(room: Room, game: rules.Game, players: list[Player]) -> dict:
    """Close the room as the rules ended it: one `game_finished` event carrying the secret and winner."""
    by_id = {p.pk: p for p in players}
    winner = by_id[game.winner].user if game.winner is not None else None
    return _finish(room, winner=winner, players=players)


def _finish(
    room: Room,
    *,
    winner: User | None = None,
    status: str = Room.Status.FINISHED,
    players: list[Player] | None = None,
) -> dict:
    """End the game: one `game_finished` event carrying the secret and winner; the caller saves the room."""
    room.status = status
    room.finished_at = timezone.now()
    room.winner = winner
    if players is None:
        players = list(room.players.select_related("user"))
    if status == Room.Status.FINISHED:
        ratings.rate_room(room, players)  # a rated room: every player once, in this transaction
    return events.record(
        room,
        "game_finished",
        status=status,
        winner=winner.username if winner else None,
        secret=room.secret,
        players=_snapshot(players),
    )


def _start(room: Room, players: list[Player]) -> None:
    """Start the game the rules allow to start: its secret drawn, every player playing."""
    game = rules.started(visibility.game_of(room, players))
    _write_players(players, _apply_all(players, game.players))
    if room.secret is None:
        room.secret = list(rules.draw_secret(room.game_settings))
    room.status = Room.Status.PLAYING
    room.started_at = timezone.now()
    events.record(
        room, "game_started", started_at=wire.timestamp(room.started_at), players=_snapshot(players)
    )
    room.save()


# --- rooms -------------------------------------------------------------------


def room_create(
    *,
    user: User,
    mode: str,
    name: str | None = None,
    private: bool = False,
    max_players: int | None = None,
    rematch_of: Room | None = None,
    daily_secret: list[int] | None = None,
    rated: bool = False,
    **settings: Any,
) -> Room:
    """Create a room owned by `user` (its first player); solo rooms start at once. Raises InvalidMove.

    `settings` are code_length, colors, max_guesses, allow_duplicates (each
    defaulted and checked by rules.validate_settings); `daily_secret` makes a
    daily challenge room (games.daily) with the day's secret; others draw their own.
    """
    game_settings, max_players = rules.validate_settings(mode=mode, max_players=max_players, **settings)
    if not isinstance(private, bool):
        raise InvalidMove("private must be true or false.", field="private")
    ratings.check_rated(rated, mode=mode, guest=user.is_guest)
    fields = {
        "code": _new_room_code(),
        "name": _validate_name(name, default=f"{user.username}'s {mode}"),
        "mode": mode,
        "private": private,
        "owner": user,
        "max_players": max_players,
        "rematch_of": rematch_of,
        "secret": daily_secret,
        "is_daily": daily_secret is not None,
        "rated": rated,
    }
    with transaction.atomic():
        room = Room.objects.create(**fields, **asdict(game_settings))
        _open(room, user)
    return room


def _open(room: Room, owner: User) -> None:
    """Seat the owner (a duel's codemaker) and tell the lobby; a solo game starts at once."""
    role = Player.Role.CODEMAKER if room.mode == Room.Mode.DUEL else Player.Role.PLAYER
    player = Player.objects.create(room=room, user=owner, role=role)
    if room.mode == Room.Mode.SOLO:
        _start(room, [player])
    events.lobby_notify(room, "room_created")


def quick_play(*, user: User, **settings: Any) -> Room:
    """Create and start a solo room in one call. Raises InvalidMove."""
    return room_create(user=user, mode=Room.Mode.SOLO, **settings)


def room_join(*, room_code: str, user: User) -> Room:
    """Join a waiting room. Raises RoomNotFound, WrongState (started, full, already joined)."""
    with transaction.atomic():
        room, players = _lock_room_then_players(room_code)
        _checked(room, players, user, "join")
        role = Player.Role.CODEBREAKER if room.mode == Room.Mode.DUEL else Player.Role.PLAYER
        try:
            with transaction.atomic():
                player = Player.objects.create(room=room, user=user, role=role)
        except IntegrityError:  # pragma: no cover - the row lock makes this unreachable
            raise WrongState("You have already joined this room.") from None
        events.record(room, "player_joined", player=wire.player_data(player))
        room.save()
    return room


def bot_add(*, room_code: str, user: User, difficulty: str) -> Player:
    """The owner adds a computer player to a waiting race. Raises InvalidMove, NotAllowed, RoomNotFound, WrongState."""
    if difficulty not in rules.BOT_DIFFICULTIES:
        raise InvalidMove("difficulty must be easy or hard.", field="difficulty")
    with transaction.atomic():
        room, players = _lock_room_then_players(room_code)
        _checked(room, players, user, "add_bot")
        bot = _bot_user_create(difficulty)
        # The same join as a person's, with its player_joined event. A refused
        # join rolls the bot user back with this transaction; the row lock
        # above is this transaction's own.
        room_join(room_code=room.code, user=bot)
        return Player.objects.select_related("room", "user").get(room=room, user=bot)


def _bot_user_create(difficulty: str) -> User:
    for _ in range(20):
        username = f"bot-{difficulty}-{secrets.token_hex(3)}"
        if not User.objects.filter(username=username).exists():
            bot = User(username=username, bot_difficulty=difficulty)
            # No password can match: a bot never signs in, by cookie or token.
            bot.set_unusable_password()
            bot.save()
            return bot
    raise RuntimeError("Could not draw a free bot name.")  # pragma: no cover


def room_leave(*, room_code: str, user: User) -> Room:
    """Leave: removed while waiting, a forfeit while playing. Raises RoomNotFound, NotAllowed, WrongState."""
    with transaction.atomic():
        room, players = _lock_room_then_players(room_code)
        game, me = _checked(room, players, user, "leave")
        assert me is not None  # checked: only a player may leave
        result = rules.outcome(game, rules.Left(me.pk))
        # A player who already solved, ran out or left has nothing to give up:
        # leaving again changes nothing and is not an error.
        if result.removed is not None:
            _leave_waiting_room(room, players, me, result)
        elif result.changed:
            _forfeit(room, players, me, result)
    return room


def _leave_waiting_room(room: Room, players: list[Player], leaver: Player, result: rules.Outcome) -> None:
    leaver.delete()
    remaining = [p for p in players if p.pk != leaver.pk]
    _write_players(remaining, _apply_all(remaining, result.game.players))
    room.status = result.game.status
    if room.is_over:
        room.finished_at = timezone.now()
    heir = next((p for p in remaining if p.pk == result.game.owner), None)
    if heir is not None:
        room.owner = heir.user
    if result.secret_cleared:
        room.secret = None
    _record_left(room, leaver, remaining)
    room.save()


def _record_left(room: Room, leaver: Player, players: list[Player]) -> None:
    """The `player_left` event: who left, the owner and status now, and the players as they stand."""
    events.record(
        room,
        "player_left",
        username=leaver.user.username,
        owner=room.owner.username,
        status=room.status,
        players=_snapshot(players),
    )


def _forfeit(room: Room, players: list[Player], leaver: Player, result: rules.Outcome) -> None:
    changes = _apply_all(players, result.moved)
    _record_left(room, leaver, players)
    for pk, fields in _apply_all(players, result.game.players).items():
        changes.setdefault(pk, {}).update(fields)
    if result.finished:
        _finish_event(room, result.game, players)
    _write_players(players, changes)
    room.save()


def room_start(*, room_code: str, user: User) -> Room:
    """Start a waiting room (owner only). Raises RoomNotFound, NotAllowed, WrongState."""
    with transaction.atomic():
        room, players = _lock_room_then_players(room_code)
        _checked(room, players, user, "start")
        _start(room, players)
    return room


def room_set_secret(*, room_code: str, user: User, secret: list[int]) -> Room:
    """The duel codemaker sets the secret, once, before the start. Raises InvalidMove, NotAllowed, WrongState."""
    with transaction.atomic():
        room, players = _lock_room_then_players(room_code)
        _checked(room, players, user, "set_secret")
        room.secret = list(rules.validate_code(secret, room.game_settings, field="secret"))
        events.record(room, "secret_set")
        room.save()
    return room


def room_delete(*, room_code: str, user: User) -> None:
    """Delete a waiting room (owner only). Raises RoomNotFound, NotAllowed, WrongState."""
    with transaction.atomic():
        room, players = _lock_room_then_players(room_code)
        _checked(room, players, user, "delete")
        events.record(room, "room_deleted")
        room.delete()


def room_rematch(*, room_code: str, user: User) -> Room:
    """A new room with the same settings, owned by the caller. Raises RoomNotFound, NotAllowed, WrongState."""
    with transaction.atomic():
        old, players = _lock_room_then_players(room_code)
        existing = old.rematches.first()
        _checked(old, players, user, "rematch", rematch=existing.code if existing else None)
        room = room_create(
            user=user,
            mode=old.mode,
            name=old.name,
            private=old.private,
            code_length=old.code_length,
            colors=old.colors,
            max_guesses=old.max_guesses,
            allow_duplicates=old.allow_duplicates,
            max_players=old.max_players,
            rematch_of=old,
        )
        events.record(old, "rematch", code=room.code, owner=user.username)
        old.save()
    return room


def room_abandon(*, room_code: str) -> Room:
    """Staff: end a stuck room now, whatever its state. Raises RoomNotFound, WrongState."""
    with transaction.atomic():
        room = _lock_room(room_code)
        if room.is_over:
            _require_status(room, Room.Status.WAITING, Room.Status.PLAYING)
        _finish(room, status=Room.Status.ABANDONED)
        room.save(update_fields=["status", "finished_at", "winner", "version"])
    return room


# --- guesses -----------------------------------------------------------------


def _result_of(guess: Guess, room: Room) -> GuessResult:
    return GuessResult(
        number=guess.number,
        guess=list(guess.guess),
        exact=guess.exact,
        misplaced=guess.misplaced,
        solved=guess.exact == room.code_length,
        remaining=room.max_guesses - guess.number,
        version=guess.version,
    )


def guess_submit(
    *, room_code: str, user: User, guess: list[int], request_id: str | None = None
) -> GuessResult:
    """Score a guess and record it; a repeated request_id returns the first result.

    Raises InvalidMove, NotAllowed, RoomNotFound, WrongState.
    """
    if request_id is not None and not (isinstance(request_id, str) and 1 <= len(request_id) <= 64):
        raise InvalidMove("request_id must be a string of 1 to 64 characters.", field="request_id")
    # The idempotency key is not looked up before the move: the unique
    # (player, request_id) catches a retry of an applied move when its insert
    # conflicts, and only a refused or conflicting move pays for the lookup.
    player: Player | None = None
    try:
        with transaction.atomic():
            room, players = _lock_room_and_players(room_code)
            game = visibility.game_of(room, players)
            player = visibility.player_of(players, user)
            try:
                rules.check(game, "guess", player.pk if player else None)
                code = rules.validate_code(guess, room.game_settings)
            except GameError:
                # A retry of a move that was applied, and perhaps ended the
                # game or used the last guess: the first result, not a refusal.
                earlier = _guess_earlier(player, request_id)
                if earlier is None:
                    raise
                return _guess_replay(earlier, room, guess)
            assert player is not None  # checked: only a player may guess
            return _guess_record(room, players, player, game, code, request_id=request_id)
    except IntegrityError:
        # The transaction is rolled back; a conflict on the key means the
        # same move committed first. Any other conflict is a bug: re-raised.
        earlier = _guess_earlier(player, request_id)
        if earlier is None:
            raise
        return _guess_replay(earlier, room, guess)


def _guess_earlier(player: Player | None, request_id: str | None) -> Guess | None:
    if player is None or request_id is None:
        return None
    return Guess.objects.filter(player=player, request_id=request_id).first()


def _guess_replay(earlier: Guess, room: Room, guess: list[int]) -> GuessResult:
    """The first result of a retried move; the same key with another guess is a 400. Raises InvalidMove."""
    if earlier.guess != guess:
        raise InvalidMove("This request_id was used for another guess.", field="request_id")
    return _result_of(earlier, room)


def _guess_record(
    room: Room,
    players: list[Player],
    player: Player,
    game: rules.Game,
    code: tuple[int, ...],
    *,
    request_id: str | None,
) -> GuessResult:
    """Write the checked guess, its `guess` event and what the rules say it did to the players and room."""
    if room.secret is None:  # pragma: no cover - a game is started with its secret
        raise WrongState("This game has no secret yet.")
    feedback = rules.score(room.secret, code)
    result = rules.outcome(game, rules.Guessed(player.pk, feedback))
    # Inserted first: a retried key conflicts before anything else is written.
    # Its version is the one events.record gives the `guess` event below.
    stored = sql.insert(
        Guess(
            room=room,
            player=player,
            number=result.number,
            shared_board=room.shared_board,
            guess=list(code),
            exact=feedback.exact,
            misplaced=feedback.misplaced,
            request_id=request_id,
            version=room.version + 1,
        )
    )
    mode = room.mode
    transaction.on_commit(lambda: metrics.GUESSES.labels(mode).inc())
    changes = _apply_all(players, result.moved)
    if result.solved:
        player.solved_at = timezone.now()
        changes[player.pk]["solved_at"] = player.solved_at
    _record_guess(room, player, code, feedback, result)
    assert room.version == stored.version
    _guess_settle(room, players, result, changes)
    return _result_of(stored, room)


def _guess_settle(
    room: Room, players: list[Player], result: rules.Outcome, changes: dict[int, dict[str, object]]
) -> None:
    """After the guess's event (its player snapshot is the guess's own): places, a team's result, the end."""
    for pk, fields in _apply_all(players, result.game.players).items():
        changes.setdefault(pk, {}).update(fields)
    room.guesses_made = result.game.guesses_made
    room_fields = ["version", "guesses_made"]
    if result.game.winner is not None and room.winner_id is None:
        # A race's first solver, while the others play on.
        room.winner = next(p.user for p in players if p.pk == result.game.winner)
        room_fields.append("winner")
    if result.finished:
        _finish_event(room, result.game, players)
        room_fields = ["version", "guesses_made", "status", "finished_at", "winner"]
    _write_players(players, changes)
    sql.update(room, room_fields)


def _record_guess(
    room: Room, player: Player, code: tuple[int, ...], feedback: rules.Feedback, result: rules.Outcome
) -> None:
    events.record(
        room,
        "guess",
        username=player.user.username,
        number=result.number,
        guess=list(code),
        exact=feedback.exact,
        misplaced=feedback.misplaced,
        solved=result.solved,
        remaining=result.remaining,
        player=wire.player_data(player),
    )


# --- chat --------------------------------------------------------------------


def chat_post(*, room_code: str, user: User, text: str) -> ChatMessage:
    """Store a chat line and tell the room. Raises InvalidMove, RoomNotFound.

    Anyone who may see the room may talk in it: players and the signed-in
    spectators of a public room, but not guests (SPEC §7: chat is for
    accounts, which can be held to account). Rate limiting is the door's job.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidMove("A chat message must have 1 to 500 characters.", field="text")
    text = text.strip()
    if len(text) > CHAT_MAX_LENGTH:
        raise InvalidMove("A chat message must have 1 to 500 characters.", field="text")
    with transaction.atomic():
        room = _lock_room(room_code)
        # Only a private room asks who you are: its players are read for it alone.
        seat = _player_or_none(room, user) if room.private else None
        _checked(room, [seat] if seat else [], user, "chat")
        message = ChatMessage.objects.create(room=room, user=user, text=text)
        events.record(room, "chat", **wire.chat_line(message))
        room.save()
    return message


# --- hints -------------------------------------------------------------------


def hint_request(*, room_code: str, user: User) -> solver.Hint:
    """The solver's view of a solo game: codes still possible and a next guess.

    Marks the room as hinted, so its win is counted apart in stats. That is
    a note on the record, not a change of the game: no version, no event.
    Raises RoomNotFound, NotAllowed (not a player; not solo), WrongState.
    """
    with transaction.atomic():
        room, players = _lock_room_then_players(room_code)
        _checked(room, players, user, "hint")
        history = selectors.board_history(room.guesses.all())
        # Solo: nobody else waits on this row lock while the solver thinks
        # (bounded well under a second, see docs/solver.md).
        hint = solver.Solver(room.game_settings).hint(history)
        if not room.hints_used:
            room.hints_used = True
            room.save(update_fields=["hints_used"])
    return hint
