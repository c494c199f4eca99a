from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers

from config.api.fields import StrictSerializer


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    guest = serializers.BooleanField(
        source="is_guest", help_text="A guest plays without a password until claimed (POST /auth/claim/)."
    )


class RegisterSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password = serializers.CharField(write_only=True, style={"input_type": "password"}, trim_whitespace=False)
    email = serializers.EmailField(required=False, allow_blank=True)

    def validate_username(self, value):
        if get_user_model().objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("That username is taken.")
        return value


class ClaimSerializer(RegisterSerializer):
    """The sign-up fields, for a guest keeping its account (same rules as register)."""


class ClaimedSerializer(serializers.Serializer):
    user = UserSerializer()


class LoginSerializer(StrictSerializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    user = UserSerializer()
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")
    expiry = serializers.DateTimeField(allow_null=True)


class ModeStatsSerializer(serializers.Serializer):
    games = serializers.IntegerField()
    wins = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    games = serializers.IntegerField()
    wins = serializers.IntegerField(help_text="Wins without the solver's hints.")
    hinted_wins = serializers.IntegerField(help_text="Solo wins in games where hints were used.")
    solved = serializers.IntegerField()
    avg_guesses = serializers.FloatField(allow_null=True)
    by_mode = serializers.DictField(child=ModeStatsSerializer())


class RatingSerializer(serializers.Serializer):
    rating = serializers.IntegerField(help_text="round(mu) of openskill's Plackett-Luce model.")
    deviation = serializers.IntegerField(help_text="round(sigma); provisional while above 400.")
    provisional = serializers.BooleanField()
    games = serializers.IntegerField()


class RatingsSerializer(serializers.Serializer):
    race = RatingSerializer(allow_null=True, help_text="null until the player has a race rating.")
    duel = RatingSerializer(allow_null=True, help_text="null until the player has a duel rating.")


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    guest = serializers.BooleanField(source="is_guest")
    stats = StatsSerializer()
    ratings = RatingsSerializer()


class PasswordChangeSerializer(StrictSerializer):
    old_password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    new_password = serializers.CharField(
        style={"input_type": "password"},
        trim_whitespace=False,
        help_text="Django's password validators apply (a 400 says which rule it broke).",
    )


class PasswordResetSerializer(StrictSerializer):
    email = serializers.EmailField(
        help_text="The address on the account; the answer is the same if none has it."
    )


class AccountDeleteSerializer(StrictSerializer):
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class ProfileSerializer(serializers.Serializer):
    username = serializers.CharField()
    guest = serializers.BooleanField()
    joined = serializers.DateTimeField()
    stats = StatsSerializer()
    ratings = RatingsSerializer()
