from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers

from config.api.fields import StrictSerializer


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class RegisterSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    password = serializers.CharField(write_only=True, style={"input_type": "password"}, trim_whitespace=False)
    email = serializers.EmailField(required=False, allow_blank=True)

    def validate_username(self, value):
        if get_user_model().objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("That username is taken.")
        return value


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


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    stats = StatsSerializer()
