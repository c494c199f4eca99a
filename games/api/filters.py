import django_filters
from django import forms
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters, serializers

from games.models import Player, Room

# "true"/"false" only: django-filter's BooleanFilter silently ignores
# anything else, and an ignored filter is a wrong answer, not a 400.
BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.TypedChoiceFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, choices=BOOLEAN_CHOICES, coerce=lambda value: value == "true", **kwargs)


class NoBlankChoicesForm(forms.Form):
    """`?status=` is no status: a 400 like any other value not in the list, never "no filter"."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            if isinstance(field, forms.ChoiceField) and self.data.get(name) == "":
                self.add_error(name, "May not be blank.")
        return cleaned


class RoomFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Room.Status.choices)
    mode = django_filters.ChoiceFilter(choices=Room.Mode.choices)
    joinable = StrictBooleanFilter(method="filter_joinable", label="Waiting and not full.")
    mine = StrictBooleanFilter(method="filter_mine", label="Rooms you play in (private ones too).")
    search = django_filters.CharFilter(method="filter_search", label="Name, code or owner's username.")

    class Meta:
        model = Room
        fields = ["status", "mode"]
        form = NoBlankChoicesForm

    def filter_joinable(self, queryset, name, value):
        # A count of its own (a subquery), whatever other filters join players.
        seats = Player.objects.filter(room=OuterRef("pk")).order_by().values("room").annotate(n=Count("pk"))
        queryset = queryset.annotate(seats_taken=Coalesce(Subquery(seats.values("n")), 0))
        joinable = Q(status=Room.Status.WAITING, seats_taken__lt=F("max_players"))
        return queryset.filter(joinable) if value else queryset.exclude(joinable)

    def filter_mine(self, queryset, name, value):
        if self.request is None:  # no viewer: no room is "mine"
            return queryset.none() if value else queryset
        user = self.request.user
        return queryset.filter(players__user=user) if value else queryset.exclude(players__user=user)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(name__icontains=value) | Q(code__iexact=value) | Q(owner__username__icontains=value)
        )


class RoomFilterBackend(DjangoFilterBackend):
    """RoomFilter, built only when the request names one of its filters (building it costs a form class)."""

    def filter_queryset(self, request, queryset, view):
        if not any(name in request.query_params for name in RoomFilter.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)


class StrictOrderingFilter(filters.OrderingFilter):
    """One of the listed orderings (optionally with `-`), else a 400: an ignored ordering is a wrong answer."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        if raw not in self.choices(view):
            raise serializers.ValidationError(
                {self.ordering_param: [f"Must be one of: {', '.join(self.choices(view))}."]}
            )
        return [raw]

    @staticmethod
    def choices(view) -> list[str]:
        return [prefix + name for name in view.ordering_fields for prefix in ("", "-")]

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Sort order; `-` for descending (default `-created_at`).",
                "schema": {"type": "string", "enum": self.choices(view)},
            }
        ]
