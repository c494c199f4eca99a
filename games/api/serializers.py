"""Room, player and guess serialisation, per viewer (see games.visibility)."""

from datetime import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from games import rules, visibility
from games.api.fields import StrictBooleanField, StrictIntegerField, StrictSerializer
from games.models import ChatMessage, Guess, Player, Room

CODE_FIELD_HELP = "A code: a list of colour indices, each an integer in 0..colors-1."


def _viewer(serializer) -> object:
    request = serializer.context.get("request")
    return serializer.context.get("user") or (request.user if request else None)


# --- wire shapes on the hot paths --------------------------------------------
#
# Plain functions, each the one definition of a shape that a socket frame or
# an event carries as well as (for a player) REST. Not DRF serializers: they
# run inside the services' transactions (a player snapshot on every move, a
# lobby summary on every join) and for every line of a room's chat, where a
# serializer's per-instance field binding costs more than the whole dict.

_DATETIME = serializers.DateTimeField()

PLAYER_FIELDS = ["username", "status", "role", "guesses_used", "solved_at", "place"]
CHAT_LINE_FIELDS = ["id", "username", "text", "created_at"]
LOBBY_ROOM_FIELDS = ["code", "name", "mode", "status", "owner", "player_count", "max_players", "joinable"]


def timestamp(value: datetime | None) -> str | None:
    """A datetime as every door writes it: DRF's ISO 8601, UTC as "Z", so REST and events agree."""
    return None if value is None else _DATETIME.to_representation(value)


def player_data(player: Player) -> dict:
    """A player (PLAYER_FIELDS): REST's and room.state's `players`, and every event that carries players.

    A plain function because services._guess_record builds one on every move;
    PlayerSerializer renders through it, so the REST schema and the events
    cannot drift apart. Reads player.user: select it with the player.
    """
    return {
        "username": player.user.username,
        "status": player.status,
        "role": player.role,
        "guesses_used": player.guesses_used,
        "solved_at": timestamp(player.solved_at),
        "place": player.place,
    }


def chat_line(message: ChatMessage) -> dict:
    """A chat line (CHAT_LINE_FIELDS): the `chat` event and room.state's `chat` list.

    A plain function: no REST door serves chat, and a room's state renders
    up to 50 lines for every viewer it is built for. Reads message.user.
    """
    return {
        "id": message.pk,
        "username": message.user.username,
        "text": message.text,
        "created_at": timestamp(message.created_at),
    }


def lobby_room(room: Room, *, player_count: int) -> dict:
    """A room in the lobby (LOBBY_ROOM_FIELDS): lobby.state's `rooms` and every lobby_update's `room`.

    A plain function: the lobby is a socket door only (REST lists rooms with
    RoomSerializer), and events.lobby_notify runs inside the joining
    transaction. Reads room.owner; the caller counts the players once.
    """
    return {
        "code": room.code,
        "name": room.name,
        "mode": room.mode,
        "status": room.status,
        "owner": room.owner.username,
        "player_count": player_count,
        "max_players": room.max_players,
        "joinable": room.status == Room.Status.WAITING and player_count < room.max_players,
    }


# --- output ------------------------------------------------------------------


class RoomSettingsSerializer(serializers.Serializer):
    code_length = serializers.IntegerField()
    colors = serializers.IntegerField()
    max_guesses = serializers.IntegerField()
    allow_duplicates = serializers.BooleanField()
    max_players = serializers.IntegerField()


class PlayerSerializer(serializers.ModelSerializer):
    """The schema of player_data, which renders it: one shape for REST, socket states and events."""

    username = serializers.CharField(source="user.username")

    class Meta:
        model = Player
        fields = PLAYER_FIELDS
        read_only_fields = fields  # output only: always present, so required in the schema

    def to_representation(self, instance: Player) -> dict:
        return player_data(instance)


class RoomSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username")
    settings = RoomSettingsSerializer(source="*")
    players = PlayerSerializer(many=True)
    winner = serializers.SerializerMethodField()
    secret = serializers.SerializerMethodField(
        help_text="null until the game is over (a duel's codemaker sees it)."
    )
    rematch = serializers.SerializerMethodField(
        help_text="The code of this room's rematch, once a player asked for one."
    )
    actions = serializers.SerializerMethodField(
        help_text="What you may do in this room now, each a request that would succeed: join, add_bot, "
        "set_secret, start, guess, hint, chat, rematch, leave (a leave that would change nothing is "
        "accepted but not listed), delete. As of this read: a room event may change it."
    )

    class Meta:
        model = Room
        fields = [
            "code",
            "name",
            "mode",
            "status",
            "private",
            "owner",
            "version",
            "settings",
            "players",
            "winner",
            "secret",
            "rematch",
            "actions",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields  # output only: always present, so required in the schema

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_winner(self, room: Room) -> str | None:
        return room.winner.username if room.winner else None

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(), allow_null=True))
    def get_secret(self, room: Room) -> list[int] | None:
        return visibility.visible_secret(room, _viewer(self))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_rematch(self, room: Room) -> str | None:
        rematch = next(iter(room.rematches.all()), None)
        return rematch.code if rematch else None

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(rules.ACTIONS))))
    def get_actions(self, room: Room) -> list[str]:
        return visibility.actions(room, _viewer(self))


class GuessSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="player.user.username")
    guess = serializers.SerializerMethodField(help_text="null for a race rival's guess while the game runs.")

    class Meta:
        model = Guess
        fields = ["number", "username", "guess", "exact", "misplaced", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(), allow_null=True))
    def get_guess(self, guess: Guess) -> list[int] | None:
        room = self.context["room"]
        if visibility.can_see_colours(room, guesser_user_id=guess.player.user_id, user=_viewer(self)):
            return guess.guess
        return None


class GuessResultSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    guess = serializers.ListField(child=serializers.IntegerField())
    exact = serializers.IntegerField()
    misplaced = serializers.IntegerField()
    solved = serializers.BooleanField()
    remaining = serializers.IntegerField(help_text="Guesses left on this board.")
    version = serializers.IntegerField(help_text="The room version this guess produced.")


class HintSerializer(serializers.Serializer):
    possible = serializers.IntegerField(help_text="Codes still consistent with the feedback so far.")
    exact = serializers.BooleanField(
        help_text="false when the space is too large to count within the time budget: `possible` is then an estimate."
    )
    suggestion = serializers.ListField(
        child=serializers.IntegerField(), help_text="A best next guess (Knuth's minimax)."
    )


class LeaderboardRowSerializer(serializers.Serializer):
    username = serializers.CharField()
    wins = serializers.IntegerField(help_text="Wins without the solver's hints.")
    hinted_wins = serializers.IntegerField(help_text="Solo wins in games where hints were used.")
    games = serializers.IntegerField()
    avg_guesses = serializers.FloatField(allow_null=True, help_text="Average guesses to solve.")


# --- input -------------------------------------------------------------------


def _setting(name: str, **kwargs) -> StrictIntegerField:
    low, high = rules.LIMITS[name]
    return StrictIntegerField(required=False, min_value=low, max_value=high, **kwargs)


class GameSettingsInputSerializer(StrictSerializer):
    name = serializers.CharField(required=False, min_length=1, max_length=60)
    code_length = _setting("code_length")
    colors = _setting("colors")
    max_guesses = _setting("max_guesses")
    allow_duplicates = StrictBooleanField(required=False)
    private = StrictBooleanField(required=False)


class RoomCreateSerializer(GameSettingsInputSerializer):
    mode = serializers.ChoiceField(choices=Room.Mode.choices)
    max_players = _setting("max_players", help_text="1 for solo, 2 for duel, 2–8 for coop and race.")


class QuickPlaySerializer(GameSettingsInputSerializer):
    pass


class CodeInputField(serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(
            child=StrictIntegerField(), min_length=1, max_length=8, help_text=CODE_FIELD_HELP, **kwargs
        )


class GuessInputSerializer(StrictSerializer):
    guess = CodeInputField()


class SecretInputSerializer(StrictSerializer):
    secret = CodeInputField()


class BotInputSerializer(StrictSerializer):
    difficulty = serializers.ChoiceField(
        choices=list(rules.BOT_DIFFICULTIES),
        help_text="easy: a random code consistent with its feedback; hard: Knuth's minimax.",
    )


class ErrorSerializer(serializers.Serializer):
    """SPEC §3's one error shape, for every 4xx and 5xx under /api/."""

    detail = serializers.CharField(help_text="A sentence for people.")
    code = serializers.CharField(
        help_text="A stable slug for programs: invalid, parse_error, not_authenticated, authentication_failed, "
        "not_allowed, not_found, method_not_allowed, wrong_state, too_large, unsupported_media_type, "
        "throttled, server_error, unavailable, or a domain error's own (e.g. bad_credentials)."
    )
    field = serializers.CharField(required=False, help_text="The first request field at fault, when one is.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Every field at fault and its messages, when fields are at fault.",
    )
