"""Strict input: JSON integers are integers, unknown fields are errors."""

from rest_framework import serializers


class StrictIntegerField(serializers.IntegerField):
    """An integer from JSON: "3", 3.0 and true are not integers."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """Only JSON true/false."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictCharField(serializers.CharField):
    """Only a JSON string: 5 or true is not text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know instead of silently ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
            # DRF's CharField turns 5 into "5": a number is not a name or a password.
            not_strings = [
                name
                for name, field in self.fields.items()
                if isinstance(field, serializers.CharField)
                and name in data
                and data[name] is not None
                and not isinstance(data[name], str)
            ]
            if not_strings:
                raise serializers.ValidationError({name: ["Not a valid string."] for name in not_strings})
        return super().to_internal_value(data)


class EmptySerializer(StrictSerializer):
    """For verbs that take no body: anything in it is an unknown field."""
