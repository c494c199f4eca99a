"""Room, player and guess serialisation, per viewer (see games.visibility)."""

from drf_spectacular.utils import extend_schema_field
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
