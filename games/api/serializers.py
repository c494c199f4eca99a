"""Room, player and guess serialisation, per viewer (see games.visibility)."""

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from config.api.fields import StrictBooleanField, StrictIntegerField, StrictSerializer
from games import rules, visibility
from games.models import Guess, Player, Room
from games.wire import PLAYER_FIELDS, player_data

CODE_FIELD_HELP = "A code: a list of colour indices, each an integer in 0..colors-1."


def _viewer(serializer) -> object:
    request = serializer.context.get("request")
    return serializer.context.get("user") or (request.user if request else None)


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
    daily = serializers.BooleanField(
        source="is_daily", help_text="A daily challenge's room (POST /daily/): the day's secret, no hints."
    )
    rated = serializers.BooleanField(
        help_text="Rated play (race and duel, people only): ratings change at the end."
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
            "daily",
            "rated",
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


class GameUpdateSerializer(serializers.Serializer):
    """One logged event as the socket sends it (docs/asyncapi.yaml): these four fields and the event's own."""

    type = serializers.CharField(help_text='Always "game_update".')
    room = serializers.CharField()
    version = serializers.IntegerField(help_text="The room version this event made.")
    event = serializers.CharField(help_text="player_joined, game_started, guess, game_finished, chat, ...")

    class Meta:
        # The event's own fields follow (see docs/asyncapi.yaml for each kind).
        ref_name = "GameUpdate"


class GuessVerdictSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    guess = serializers.ListField(child=serializers.IntegerField())
    exact = serializers.IntegerField()
    misplaced = serializers.IntegerField()
    possible_before = serializers.IntegerField(
        help_text="Codes consistent with the board's feedback before this guess."
    )
    possible_after = serializers.IntegerField(help_text="Codes consistent with the feedback after it.")
    best_worst_case = serializers.IntegerField(
        help_text="The fewest codes any guess could have guaranteed to leave from here (Knuth's minimax): "
        "the largest feedback class of the best guess."
    )
    exact_counts = serializers.BooleanField(
        help_text="false when the board is too large to count exactly: the three numbers are then estimates."
    )


class PlayerAnalysisSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(
        help_text="player, codebreaker or codemaker (a duel's codemaker has no guesses)."
    )
    guesses = GuessVerdictSerializer(many=True)


class AnalysisSerializer(serializers.Serializer):
    code = serializers.CharField()
    mode = serializers.CharField()
    players = PlayerAnalysisSerializer(many=True)


class LeaderboardRowSerializer(serializers.Serializer):
    username = serializers.CharField()
    wins = serializers.IntegerField(help_text="Wins without the solver's hints.")
    hinted_wins = serializers.IntegerField(help_text="Solo wins in games where hints were used.")
    games = serializers.IntegerField()
    avg_guesses = serializers.FloatField(allow_null=True, help_text="Average guesses to solve.")


class DailyRowSerializer(serializers.Serializer):
    """A row of a day's daily challenge board (`?daily=`)."""

    username = serializers.CharField()
    guesses = serializers.IntegerField(help_text="Guesses to solve.")
    seconds = serializers.FloatField(help_text="From the room's start to the solve.")


class RatingRowSerializer(serializers.Serializer):
    """A row of a mode's rating board (`?mode=race|duel`)."""

    username = serializers.CharField()
    rating = serializers.IntegerField()
    deviation = serializers.IntegerField()
    games = serializers.IntegerField()
    wins = serializers.IntegerField()


# GET /leaderboard/: the wins board, or with `?daily=` a day's board, or with `?mode=` a rating board.
LEADERBOARD_ROWS = PolymorphicProxySerializer(
    component_name="LeaderboardRowAny",
    serializers=[LeaderboardRowSerializer, DailyRowSerializer, RatingRowSerializer],
    resource_type_field_name=None,
    many=True,
)


class EventsQuerySerializer(serializers.Serializer):
    since = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=999_999_999,
        help_text="A room version (0: from the start).",
    )


class DailySerializer(serializers.Serializer):
    date = serializers.DateField()
    number = serializers.IntegerField(help_text="The challenge's number: #1 was 2026-11-27.")
    settings = RoomSettingsSerializer()
    room = serializers.CharField(allow_null=True, help_text="Your room's code for that day, or null.")
    players = serializers.IntegerField(help_text="How many started that day's challenge.")
    solvers = serializers.IntegerField(help_text="How many cracked it.")
    secret = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Only once the day is over."
    )


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
    rated = StrictBooleanField(required=False, help_text="Race and duel only; not for guests (403).")
    max_players = _setting("max_players", help_text="1 for solo, 2 for duel, 2–8 for coop and race.")


class QuickPlaySerializer(GameSettingsInputSerializer):
    pass


class MatchmakingInputSerializer(StrictSerializer):
    mode = serializers.ChoiceField(choices=["race"], help_text="race (the only pooled mode so far).")
    rated = StrictBooleanField(required=False, default=False)
    code_length = _setting("code_length")
    colors = _setting("colors")


class MatchSettingsSerializer(serializers.Serializer):
    code_length = serializers.IntegerField()
    colors = serializers.IntegerField()


class TicketSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["searching", "matched", "expired"])
    mode = serializers.CharField()
    rated = serializers.BooleanField()
    settings = MatchSettingsSerializer(source="*")
    since = serializers.DateTimeField(source="created_at", help_text="When the search began.")
    room = serializers.SerializerMethodField(help_text="The matched room, as you see it; null until matched.")

    @extend_schema_field(RoomSerializer(allow_null=True))
    def get_room(self, ticket) -> dict | None:
        # The view hands over the room read with its relations (selectors.room_reload).
        return RoomSerializer(ticket.room, context=self.context).data if ticket.room else None


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
