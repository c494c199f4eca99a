"""What a board shows one viewer: the data behind the room page's partials.

One source of truth for the browser: the page view, its HTMX responses and
the HTML socket all render templates/games/partials/* from `board_context()`,
which starts from `room_state()`, the same per-viewer serialisation the JSON
socket and REST send.
"""

from dataclasses import dataclass, field

from games import kept, selectors, visibility
from games.api import serializers as s
from games.models import Player, Room

# Okabe–Ito's colour-blind-safe palette, then two more; every peg also shows
# its number and a symbol, so colour is never the only cue.
PALETTE = [
    ("#E69F00", "orange", "●"),
    ("#56B4E9", "sky blue", "■"),
    ("#009E73", "green", "▲"),
    ("#F0E442", "yellow", "◆"),
    ("#0072B2", "blue", "★"),
    ("#D55E00", "vermilion", "✚"),
    ("#CC79A7", "pink", "♥"),
    ("#999999", "grey", "☀"),
    ("#6A3D9A", "purple", "☾"),
    ("#000000", "black", "✖"),
]


def colours(count: int) -> list[dict]:
    return [
        {"index": i, "number": i + 1, "hex": hex_, "name": name, "symbol": symbol}
        for i, (hex_, name, symbol) in enumerate(PALETTE[:count])
    ]


@dataclass(frozen=True)
class RoomSnapshot:
    """A room with everything its board shows, read once, for any number of viewers."""

    room: Room
    guesses: list
    chat: list[dict]
    # state_for's answers, by kind of viewer (visibility.viewer_kind); shared, so callers must not change them.
    views: dict = field(default_factory=dict, compare=False, repr=False)


# Snapshots by games.kept.key: a room's board is the same until its next event.
_kept_snapshots: kept.Kept[RoomSnapshot] = kept.Kept(1024)


def room_snapshot(room_code: str) -> RoomSnapshot | None:
    """Read the room (with players and rematches), its guesses and recent chat: five queries; None if no such room.

    Kept for room_snapshot_current (games/kept.py).
    """
    return _read_snapshot(room_code, kept.generation())


def room_snapshot_current(room_code: str) -> RoomSnapshot | None:
    """The room as it is now: one query (its version) when this process has read it at that version, else
    room_snapshot's five. None if no such room."""
    generation = kept.generation()
    if generation is not None:
        current = selectors.room_key(room_code=room_code)
        if current is None:
            return None
        snapshot = _kept_snapshots.get(kept.key(current, generation))
        if snapshot is not None:
            return snapshot
    return _read_snapshot(room_code, generation)


def _read_snapshot(room_code: str, generation: int | None) -> RoomSnapshot | None:
    # `generation` is read before the room: a rename committed in between bumps it after, so a
    # snapshot with the old name is never kept under the new generation.
    room = selectors.room_get(room_code=room_code)
    if room is None:
        return None
    snapshot = RoomSnapshot(
        room=room,
        guesses=selectors.guess_list(room=room),
        chat=selectors.chat_recent(room=room),
    )
    if generation is not None:
        _kept_snapshots.put(kept.key(room, generation), snapshot)
    return snapshot


def state_for(snapshot: RoomSnapshot, user) -> dict | None:
    """The snapshot as this viewer may see it, without a query; None if they may not see the room."""
    room = snapshot.room
    if not visibility.can_see_room(room, user):
        return None
    key = visibility.viewer_kind(room, user)
    state = snapshot.views.get(key)
    if state is None:
        context = {"user": user, "room": room}
        state = {
            "type": "room.state",
            "version": room.version,
            "room": s.RoomSerializer(room, context=context).data,
            "guesses": s.GuessSerializer(snapshot.guesses, many=True, context=context).data,
            "chat": snapshot.chat,
        }
        snapshot.views[key] = state
    return state


def room_state(room_code: str, user) -> dict | None:
    """The room as this viewer may see it: SPEC §4's `room.state` message."""
    snapshot = room_snapshot_current(room_code)
    return state_for(snapshot, user) if snapshot is not None else None


def board_context(state: dict, user) -> dict:
    """Everything the board partials need, derived from a `room.state` for `user`."""
    room = state["room"]
    settings = room["settings"]
    palette = colours(settings["colors"])
    username = getattr(user, "username", None) if getattr(user, "is_authenticated", False) else None
    players = room["players"]
    me = next((p for p in players if p["username"] == username), None)
    status = room["status"]
    is_owner = username is not None and room["owner"] == username
    shared = room["mode"] != Room.Mode.RACE

    def with_pegs(guess: dict) -> dict:
        pegs = None if guess["guess"] is None else [palette[c] for c in guess["guess"]]
        return {
            **guess,
            "pegs": pegs,
            "keys": key_pegs(guess["exact"], guess["misplaced"], settings["code_length"]),
        }

    rows = [with_pegs(g) for g in state["guesses"]]
    if shared:
        boards = [
            {
                "title": "Shared board" if room["mode"] == Room.Mode.COOP else "Board",
                "owner": None,
                "rows": rows,
                "mine": me is not None,
                "to_come": _rows_to_come(len(rows), settings["max_guesses"], status == Room.Status.PLAYING),
            }
        ]
    else:
        # Your own board first, then each rival's (colours hidden while the race runs).
        order = sorted(players, key=lambda p: p["username"] != username)
        boards = [
            {
                "title": "Your board" if p["username"] == username else p["username"],
                "owner": p["username"],
                "rows": [r for r in rows if r["username"] == p["username"]],
                "mine": p["username"] == username,
                # Your own board shows the rows to come; a rival's shows only their moves.
                "to_come": _rows_to_come(
                    p["guesses_used"],
                    settings["max_guesses"],
                    p["username"] == username and p["status"] == Player.Status.PLAYING,
                ),
            }
            for p in order
        ]
    used = len(rows) if shared else (me["guesses_used"] if me else 0)
    actions = set(room["actions"])
    return {
        "state": state,
        "room": room,
        "settings": settings,
        "palette": palette,
        "pegs": range(settings["code_length"]),
        "slots": code_slots(settings["code_length"]),
        "players": players,
        "boards": boards,
        "me": me,
        "secret_pegs": [palette[c] for c in room["secret"]] if room["secret"] else None,
        "remaining": settings["max_guesses"] - used,
        "is_owner": is_owner,
        # What the page offers is what the services would accept (rules.allowed_actions).
        "can_join": "join" in actions,
        "can_start": "start" in actions,
        "can_add_bot": "add_bot" in actions,
        "can_leave": "leave" in actions,
        "can_delete": "delete" in actions,
        "can_guess": "guess" in actions,
        "can_set_secret": "set_secret" in actions,
        "can_rematch": "rematch" in actions,
        "can_chat": "chat" in actions,
        "can_hint": "hint" in actions,
        # After a rematch, its players are shown the way to it instead.
        "rematch_link": room["rematch"] if me is not None else None,
        "is_over": status in (Room.Status.FINISHED, Room.Status.ABANDONED),
        "finish": finish_summary(room, me, len(rows)),
    }


def analysis_context(data: dict, settings: dict) -> list[dict]:
    """The solver's analysis (games.analysis) as the board shows it: pegs and one sentence per guess."""
    palette = colours(settings["colors"])
    players = []
    for player in data["players"]:
        rows = [
            {
                **row,
                "pegs": [palette[c] for c in row["guess"]],
                "sentence": _verdict(row, settings["code_length"]),
            }
            for row in player["guesses"]
        ]
        if rows:
            players.append({"username": player["username"], "rows": rows})
    return players


def _verdict(row: dict, code_length: int) -> str:
    """ "Left 12 codes of 27; the best guess could have left at most 3." (SPEC §9)."""
    if row["exact"] == code_length:
        return "Cracked it."
    about = "" if row["exact_counts"] else "about "
    after = row["possible_after"]
    return (
        f"Left {about}{after} code{'' if after == 1 else 's'} of {about}{row['possible_before']}; "
        f"the best guess could have left at most {about}{row['best_worst_case']}."
    )


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def finish_summary(room: dict, me: dict | None, board_guesses: int) -> str | None:
    """How a finished game went for this player, in words: "Solved in 6 of 10", "2nd of 3", a duel from each side."""
    if room["status"] != Room.Status.FINISHED or me is None:
        return None
    budget, won = room["settings"]["max_guesses"], room["winner"] == me["username"]
    if room["mode"] == Room.Mode.DUEL:
        if me["role"] == Player.Role.CODEMAKER:
            return (
                f"Your code held: not cracked in {budget}"
                if won
                else f"Your code was cracked in {board_guesses}"
            )
        return (
            f"You cracked it in {board_guesses} of {budget}" if won else "You did not crack it: the code held"
        )
    if room["mode"] == Room.Mode.RACE:
        if me["status"] == Player.Status.SOLVED and me["place"]:
            place = f"{ordinal(me['place'])} of {len(room['players'])}"
            return f"{place}: solved in {me['guesses_used']} of {budget}"
        return "You left the race" if me["status"] == Player.Status.LEFT else "Out of guesses"
    if room["winner"]:
        return f"Solved in {board_guesses} of {budget}"
    return "Out of guesses"


def code_slots(code_length: int, picked: list[int | None] | None = None) -> list[dict]:
    """The move form's pegs: index, number, and the colour already picked (None: empty).

    A refused move re-renders the form with what was posted, so the player
    fixes the guess instead of picking it again.
    """
    picked = picked or []
    return [
        {"index": i, "number": i + 1, "value": picked[i] if i < len(picked) else None}
        for i in range(code_length)
    ]


def key_pegs(exact: int, misplaced: int, code_length: int) -> list[str]:
    """The feedback as key pegs, in Mastermind's order: exact (filled), misplaced (hollow), then empty."""
    return ["hit"] * exact + ["near"] * misplaced + ["none"] * (code_length - exact - misplaced)


def _rows_to_come(used: int, budget: int, playing: bool) -> range:
    """The numbers of the rows a board still has (empty holes): none once its player has finished."""
    return range(used + 1, budget + 1) if playing else range(0)
