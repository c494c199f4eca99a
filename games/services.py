"""The only writers of game state.

Each service is one transaction that locks the room row (so two requests
cannot interleave and share a version), checks the state, applies the rules,
bumps `Room.version` once per event and records that event for the live layer.
They raise games.exceptions.GameError subclasses; the doors map them.
"""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from config import rows as sql
from games import events, metrics, rows, rules, selectors, solver, wire
from games.exceptions import GameError, InvalidMove, NotAllowed, RoomNotFound, WrongState
from games.models import ChatMessage, Guess, Player, Room

NAME_MAX_LENGTH = 60
CHAT_MAX_LENGTH = 500
MIN_PLAYERS_TO_START = {Room.Mode.SOLO: 1, Room.Mode.COOP: 2, Room.Mode.RACE: 2, Room.Mode.DUEL: 2}


@dataclass(frozen=True)
class GuessResult:
    number: int
    guess: list[int]
    exact: int
    misplaced: int
    solved: bool
    remaining: int
    version: int


# --- helpers -----------------------------------------------------------------


def _lock_room(room_code: str) -> Room:
    """Fetch the room and lock its row until the transaction ends."""
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


def _player_or_none(room: Room, user) -> Player | None:
    return Player.objects.select_related("user").filter(room=room, user=user).first()


def _not_a_player(room: Room) -> GameError:
    """What an outsider is told: a private room does not exist for them."""
    if room.private:
        return RoomNotFound("No such room.")
    return NotAllowed("You are not a player in this room.")


def _player_or_403(room: Room, user) -> Player:
    player = _player_or_none(room, user)
    if player is None:
        raise _not_a_player(room)
    return player


def _require_status(room: Room, *statuses: str) -> None:
    if room.status in statuses:
        return
    messages = {
        Room.Status.WAITING: "The game has not started yet.",
        Room.Status.PLAYING: "The game has already started.",
        Room.Status.FINISHED: "The game is finished.",
        Room.Status.ABANDONED: "The room was abandoned.",
    }
    raise WrongState(messages[room.status])


def _players_snapshot(room: Room) -> list[dict]:
    return [wire.player_data(p) for p in room.players.select_related("user")]


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


def _finish(room: Room, *, winner=None, status: str = Room.Status.FINISHED) -> dict:
    """End the game: one `game_finished` event carrying the secret and winner."""
    room.status = status
    room.finished_at = timezone.now()
    room.winner = winner
    event = events.record(
        room,
        "game_finished",
        status=status,
        winner=winner.username if winner else None,
        secret=room.secret,
        players=_players_snapshot(room),
    )
    # Only what this function changed: the callers saved their own changes.
    room.save(update_fields=["status", "finished_at", "winner", "version"])
    return event


def _start(room: Room) -> None:
    if room.secret is None:
        room.secret = list(rules.draw_secret(room.game_settings))
    room.status = Room.Status.PLAYING
    room.started_at = timezone.now()
    room.players.update(status=Player.Status.PLAYING)
    events.record(
        room, "game_started", started_at=wire.timestamp(room.started_at), players=_players_snapshot(room)
    )
    room.save()


# --- rooms -------------------------------------------------------------------


def room_create(
    *,
    user,
    mode: str,
    name: str | None = None,
    private: bool = False,
    code_length: int = 4,
    colors: int = 6,
    max_guesses: int = 10,
    allow_duplicates: bool = True,
    max_players: int | None = None,
    rematch_of: Room | None = None,
    daily_secret: list[int] | None = None,
) -> Room:
    """Create a room owned by `user` (its first player); solo rooms start at once. Raises InvalidMove.

    `daily_secret` makes a daily challenge room (games.daily) with the day's secret; others draw their own.
    """
    game_settings, max_players = rules.validate_settings(
        mode=mode,
        code_length=code_length,
        colors=colors,
        max_guesses=max_guesses,
        allow_duplicates=allow_duplicates,
        max_players=max_players,
    )
    if not isinstance(private, bool):
        raise InvalidMove("private must be true or false.", field="private")
    name = _validate_name(name, default=f"{user.username}'s {mode}")
    with transaction.atomic():
        room = Room.objects.create(
            code=_new_room_code(),
            name=name,
            mode=mode,
            private=private,
            owner=user,
            code_length=game_settings.code_length,
            colors=game_settings.colors,
            max_guesses=game_settings.max_guesses,
            allow_duplicates=game_settings.allow_duplicates,
            max_players=max_players,
            rematch_of=rematch_of,
            secret=daily_secret,
            is_daily=daily_secret is not None,
        )
        role = Player.Role.CODEMAKER if mode == Room.Mode.DUEL else Player.Role.PLAYER
        Player.objects.create(room=room, user=user, role=role)
        if mode == Room.Mode.SOLO:
            _start(room)
        events.lobby_notify(room, "room_created")
    return room


def quick_play(*, user, **settings) -> Room:
    """Create and start a solo room in one call. Raises InvalidMove."""
    return room_create(user=user, mode=Room.Mode.SOLO, **settings)


def room_join(*, room_code: str, user) -> Room:
    """Join a waiting room. Raises RoomNotFound, WrongState (started, full, already joined)."""
    with transaction.atomic():
        room = _lock_room(room_code)
        if _player_or_none(room, user) is not None:
            raise WrongState("You have already joined this room.")
        _require_status(room, Room.Status.WAITING)
        if room.players.count() >= room.max_players:
            raise WrongState("The room is full.")
        role = Player.Role.CODEBREAKER if room.mode == Room.Mode.DUEL else Player.Role.PLAYER
        try:
            with transaction.atomic():
                player = Player.objects.create(room=room, user=user, role=role)
        except IntegrityError:  # pragma: no cover - the row lock makes this unreachable
            raise WrongState("You have already joined this room.") from None
        events.record(room, "player_joined", player=wire.player_data(player))
        room.save()
    return room


def bot_add(*, room_code: str, user, difficulty: str) -> Player:
    """The owner adds a computer player to a waiting race. Raises InvalidMove, NotAllowed, RoomNotFound, WrongState."""
    if difficulty not in rules.BOT_DIFFICULTIES:
        raise InvalidMove("difficulty must be easy or hard.", field="difficulty")
    with transaction.atomic():
        room = _lock_room(room_code)
        _player_or_403(room, user)
        if room.owner_id != user.id:
            raise NotAllowed("Only the room's owner can add a computer player.")
        if room.mode != Room.Mode.RACE:
            raise NotAllowed("Bots play races only.")
        bot = _bot_user_create(difficulty)
        # The same join as a person's: its checks (waiting, not full) and its
        # player_joined event. A refused join rolls the bot user back with
        # this transaction; the row lock above is this transaction's own.
        room_join(room_code=room.code, user=bot)
        return Player.objects.select_related("room", "user").get(room=room, user=bot)


def _bot_user_create(difficulty: str):
    users = get_user_model()
    for _ in range(20):
        username = f"bot-{difficulty}-{secrets.token_hex(3)}"
        if not users.objects.filter(username=username).exists():
            bot = users(username=username, bot_difficulty=difficulty)
            # No password can match: a bot never signs in, by cookie or token.
            bot.set_unusable_password()
            bot.save()
            return bot
    raise RuntimeError("Could not draw a free bot name.")  # pragma: no cover


def room_leave(*, room_code: str, user) -> Room:
    """Leave: removed while waiting, a forfeit while playing. Raises RoomNotFound, NotAllowed, WrongState."""
    with transaction.atomic():
        room = _lock_room(room_code)
        player = _player_or_403(room, user)
        if room.is_over:
            _require_status(room, Room.Status.WAITING, Room.Status.PLAYING)
        if room.status == Room.Status.WAITING:
            _leave_waiting_room(room, player)
        elif player.status == Player.Status.PLAYING:
            _forfeit(room, player)
        # A player who already solved, ran out or left has nothing to give up:
        # leaving again changes nothing and is not an error.
    return room


def _leave_waiting_room(room: Room, player: Player) -> None:
    username = player.user.username
    player.delete()
    remaining = list(room.players.select_related("user").order_by("joined_at", "id"))
    if not remaining:
        room.status = Room.Status.ABANDONED
        room.finished_at = timezone.now()
    elif room.owner_id == player.user_id:
        new_owner = remaining[0]
        room.owner = new_owner.user
        if room.mode == Room.Mode.DUEL:
            # The codemaker is whoever owns the duel; a secret set by the one
            # who left goes with them.
            new_owner.role = Player.Role.CODEMAKER
            new_owner.save(update_fields=["role"])
            room.secret = None
    events.record(
        room,
        "player_left",
        username=username,
        owner=room.owner.username,
        status=room.status,
        players=[wire.player_data(p) for p in remaining],
    )
    room.save()


def _forfeit(room: Room, player: Player) -> None:
    player.status = Player.Status.LEFT
    player.save(update_fields=["status"])
    events.record(
        room,
        "player_left",
        username=player.user.username,
        owner=room.owner.username,
        status=room.status,
        players=_players_snapshot(room),
    )
    room.save()
    if room.mode == Room.Mode.DUEL:
        # The other side wins a duel that one side walks away from.
        other = room.players.exclude(pk=player.pk).select_related("user").first()
        if other is not None:
            _award(other, place=1)
            player.place = 2
            player.save(update_fields=["place"])
        _finish(room, winner=other.user if other else None)
    elif not room.players.filter(status=Player.Status.PLAYING).exists():
        _finish(room, winner=room.winner)


def _award(player: Player, *, place: int) -> None:
    player.place = place
    player.won = place == 1
    player.save(update_fields=["place", "won"])


def room_start(*, room_code: str, user) -> Room:
    """Start a waiting room (owner only). Raises RoomNotFound, NotAllowed, WrongState."""
    with transaction.atomic():
        room = _lock_room(room_code)
        _player_or_403(room, user)
        if room.owner_id != user.id:
            raise NotAllowed("Only the room's owner can start the game.")
        _require_status(room, Room.Status.WAITING)
        needed = MIN_PLAYERS_TO_START[room.mode]
        if room.players.count() < needed:
            raise WrongState(f"A {room.mode} game needs at least {needed} players.")
        if room.mode == Room.Mode.DUEL and room.secret is None:
            raise WrongState("The codemaker has not set the secret yet.")
        _start(room)
    return room


def room_set_secret(*, room_code: str, user, secret: list[int]) -> Room:
    """The duel codemaker sets the secret, once, before the start. Raises InvalidMove, NotAllowed, WrongState."""
    with transaction.atomic():
        room = _lock_room(room_code)
        player = _player_or_403(room, user)
        if room.mode != Room.Mode.DUEL or player.role != Player.Role.CODEMAKER:
            raise NotAllowed("Only a duel's codemaker sets the secret.")
        _require_status(room, Room.Status.WAITING)
        if room.secret is not None:
            raise WrongState("The secret is already set.")
        room.secret = list(rules.validate_code(secret, room.game_settings, field="secret"))
        events.record(room, "secret_set")
        room.save()
    return room


def room_delete(*, room_code: str, user) -> None:
    """Delete a waiting room (owner only). Raises RoomNotFound, NotAllowed, WrongState."""
    with transaction.atomic():
        room = _lock_room(room_code)
        _player_or_403(room, user)
        if room.owner_id != user.id:
            raise NotAllowed("Only the room's owner can delete it.")
        _require_status(room, Room.Status.WAITING)
        events.record(room, "room_deleted")
        room.delete()


def room_rematch(*, room_code: str, user) -> Room:
    """A new room with the same settings, owned by the caller. Raises RoomNotFound, NotAllowed, WrongState."""
    with transaction.atomic():
        old = _lock_room(room_code)
        _player_or_403(old, user)
        _require_status(old, Room.Status.FINISHED)
        existing = old.rematches.first()
        if existing is not None:
            raise WrongState(f"A rematch already exists: room {existing.code}.", code="rematch_exists")
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


def guess_submit(*, room_code: str, user, guess: list[int], request_id: str | None = None) -> GuessResult:
    """Score a guess and record it; a repeated request_id returns the first result.

    Raises InvalidMove, NotAllowed, RoomNotFound, WrongState.
    """
    if request_id is not None and not (isinstance(request_id, str) and 1 <= len(request_id) <= 64):
        raise InvalidMove("request_id must be a string of 1 to 64 characters.", field="request_id")
    # The idempotency key is not looked up before the move: the unique
    # (player, request_id) catches a retry of an applied move when its insert
    # conflicts, and only a refused or conflicting move pays for the lookup.
    try:
        with transaction.atomic():
            room, players = _lock_room_and_players(room_code)
            player = next((p for p in players if p.user_id == user.id), None)
            if player is None:
                raise _not_a_player(room)
            try:
                code = _guess_check(room, player, guess)
            except GameError:
                # A retry of a move that was applied, and perhaps ended the
                # game or used the last guess: the first result, not a refusal.
                earlier = _guess_earlier(player, request_id)
                if earlier is None:
                    raise
                return _guess_replay(earlier, room, guess)
            return _guess_record(room, players, player, code, request_id=request_id)
    except IntegrityError:
        # The transaction is rolled back; a conflict on the key means the
        # same move committed first. Any other conflict is a bug: re-raised.
        earlier = _guess_earlier(player, request_id)
        if earlier is None:
            raise
        return _guess_replay(earlier, room, guess)


def _guess_check(room: Room, player: Player, guess: list[int]) -> tuple[int, ...]:
    """May this player guess now, and is the guess a valid code? Raises NotAllowed, WrongState, InvalidMove."""
    if player.role == Player.Role.CODEMAKER:
        raise NotAllowed("The codemaker watches; only the codebreaker guesses.")
    _require_status(room, Room.Status.PLAYING)
    if player.status == Player.Status.SOLVED:
        raise WrongState("You have already solved this code.")
    if player.status == Player.Status.OUT:
        raise WrongState("You have no guesses left.")
    if player.status == Player.Status.LEFT:
        raise WrongState("You have left this game.")
    return rules.validate_code(guess, room.game_settings)


def _guess_earlier(player: Player, request_id: str | None) -> Guess | None:
    if request_id is None:
        return None
    return Guess.objects.filter(player=player, request_id=request_id).first()


def _guess_replay(earlier: Guess, room: Room, guess: list[int]) -> GuessResult:
    """The first result of a retried move; the same key with another guess is a 400. Raises InvalidMove."""
    if earlier.guess != guess:
        raise InvalidMove("This request_id was used for another guess.", field="request_id")
    return _result_of(earlier, room)


def _guess_record(
    room: Room, players: list[Player], player: Player, code: tuple[int, ...], *, request_id: str | None
) -> GuessResult:
    """Write the checked guess, its `guess` event and the player's and room's new state."""
    number = (room.guesses_made if room.shared_board else player.guesses_used) + 1
    if number > room.max_guesses:  # pragma: no cover - the game ends when the budget is spent
        raise WrongState("No guesses left.")
    feedback = rules.score(room.secret, code)
    solved = rules.is_solved(feedback, room.game_settings)
    remaining = room.max_guesses - number

    # Inserted first: a retried key conflicts before anything else is written.
    # Its version is the one events.record gives the `guess` event below.
    stored = sql.insert(
        Guess(
            room=room,
            player=player,
            number=number,
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
    player.guesses_used += 1
    player_fields = ["guesses_used"]
    if solved:
        player.status = Player.Status.SOLVED
        player.solved_in = number
        player.solved_at = timezone.now()
        player_fields += ["status", "solved_in", "solved_at"]
    elif remaining == 0 and not room.shared_board:
        player.status = Player.Status.OUT
        player_fields.append("status")

    event = events.record(
        room,
        "guess",
        username=player.user.username,
        number=number,
        guess=list(code),
        exact=feedback.exact,
        misplaced=feedback.misplaced,
        solved=solved,
        remaining=remaining,
        player=wire.player_data(player),
    )
    assert event["version"] == stored.version
    room.guesses_made += 1
    room_fields = ["version", "guesses_made"]
    if room.mode == Room.Mode.RACE and solved:
        # Placed in the order they solve. After the event: its player
        # snapshot is the guess's, before the place is awarded.
        place = sum(1 for p in players if p.place is not None) + 1
        player.place = place
        player.won = place == 1
        player_fields += ["place", "won"]
        if place == 1:
            room.winner = player.user
            room_fields.append("winner")
    sql.update(player, player_fields)
    sql.update(room, room_fields)
    _after_guess(room, players, player, solved=solved, remaining=remaining)
    return _result_of(stored, room)


def _after_guess(room: Room, players: list[Player], player: Player, *, solved: bool, remaining: int) -> None:
    """Apply the mode's ending rules after a recorded guess (a race's places are awarded already)."""
    mode = room.mode
    if mode == Room.Mode.RACE:
        # The players were read under the lock and `player` is up to date:
        # no query is needed to know whether anyone still plays.
        if not any(p.status == Player.Status.PLAYING for p in players):
            _finish(room, winner=room.winner)
        return

    if not solved and remaining > 0:
        return
    others = room.players.exclude(pk=player.pk).exclude(status=Player.Status.LEFT)
    if mode == Room.Mode.COOP:
        # One shared board: the team wins or loses together.
        if solved:
            others.update(status=Player.Status.SOLVED, solved_in=player.solved_in, won=True)
            player.won = True
            player.save(update_fields=["won"])
            _finish(room, winner=player.user)
        else:
            room.players.filter(status=Player.Status.PLAYING).update(status=Player.Status.OUT)
            _finish(room)
        return
    if mode == Room.Mode.DUEL:
        codemaker = others.select_related("user").first()
        if solved:
            _award(player, place=1)
            if codemaker:
                _award(codemaker, place=2)
            _finish(room, winner=player.user)
        else:
            player.status = Player.Status.OUT
            player.save(update_fields=["status"])
            _award(player, place=2)
            if codemaker:
                _award(codemaker, place=1)
            _finish(room, winner=codemaker.user if codemaker else None)
        return
    # solo
    if solved:
        _award(player, place=1)
        _finish(room, winner=player.user)
    else:
        player.status = Player.Status.OUT
        player.save(update_fields=["status"])
        _finish(room)


# --- chat --------------------------------------------------------------------


def chat_post(*, room_code: str, user, text: str) -> ChatMessage:
    """Store a chat line and tell the room. Raises InvalidMove, RoomNotFound.

    Anyone who may see the room may talk in it: players and the signed-in
    spectators of a public room, but not guests (SPEC §7: chat is for
    accounts, which can be held to account). Rate limiting is the door's job.
    """
    if getattr(user, "is_guest", False):
        raise NotAllowed("Guests cannot chat: keep your account (choose a name and password) to chat.")
    if not isinstance(text, str) or not text.strip():
        raise InvalidMove("A chat message must have 1 to 500 characters.", field="text")
    text = text.strip()
    if len(text) > CHAT_MAX_LENGTH:
        raise InvalidMove("A chat message must have 1 to 500 characters.", field="text")
    with transaction.atomic():
        room = _lock_room(room_code)
        if room.private and _player_or_none(room, user) is None:
            raise RoomNotFound("No such room.")
        message = ChatMessage.objects.create(room=room, user=user, text=text)
        events.record(room, "chat", **wire.chat_line(message))
        room.save()
    return message


# --- hints -------------------------------------------------------------------


def hint_request(*, room_code: str, user) -> solver.Hint:
    """The solver's view of a solo game: codes still possible and a next guess.

    Marks the room as hinted, so its win is counted apart in stats. That is
    a note on the record, not a change of the game: no version, no event.
    Raises RoomNotFound, NotAllowed (not a player; not solo), WrongState.
    """
    with transaction.atomic():
        room = _lock_room(room_code)
        player = _player_or_403(room, user)
        if room.mode != Room.Mode.SOLO:
            raise NotAllowed("Hints are for solo games only.")
        if room.is_daily:
            raise NotAllowed("No hints in the daily challenge: everyone plays it on their own.")
        _require_status(room, Room.Status.PLAYING)
        if player.status != Player.Status.PLAYING:
            raise WrongState("You have finished this game.")
        history = selectors.board_history(room.guesses.all())
        # Solo: nobody else waits on this row lock while the solver thinks
        # (bounded well under a second, see docs/solver.md).
        hint = solver.Solver(room.game_settings).hint(history)
        if not room.hints_used:
            room.hints_used = True
            room.save(update_fields=["hints_used"])
    return hint
