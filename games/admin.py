"""The Django admin for staff: find and inspect rooms, players, guesses, events and tokens.

Staff inspect here; they do not edit game state. Every change to a room goes
through games.services (the one action below calls services.room_abandon), so
versions, the event log and live viewers stay consistent. A plain "Save" on a
room would also write back the whole row as it was read, undoing any guess
made meanwhile, so room, player, guess and event pages are view-only.

The secret (SPEC §2): superusers may see a running room's secret here; other
staff see it only once the room is over. It is never a form field, so the
view-only page cannot render it, and nothing can search or filter by it.
A running race also hides guess colours from non-superusers, as from a
spectator: a rival's solving guess *is* the secret.
"""

import json
from typing import TYPE_CHECKING

import knox.admin  # noqa: F401 - knox registers its AuthToken admin first; we replace it below.
from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html
from knox.models import get_token_model

from games import services, visibility
from games.exceptions import RoomNotFound, WrongState
from games.models import Guess, Player, Room, RoomEvent

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from games.selectors import PlayerCount

HIDDEN = "hidden"


def _code_html(value) -> str:
    """A code (secret or guess) as its JSON list, e.g. `[1, 0, 5, 2]`."""
    return format_html('<code class="mm-code">{}</code>', json.dumps(value))


def _is_superuser(request) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


class _SuperuserDeletesOnly:
    """Deleting bypasses the services and the event log: superusers only."""

    def has_delete_permission(self, request, obj=None):
        return _is_superuser(request)


class _ReadOnly(_SuperuserDeletesOnly):
    """Audit records: shown, never added or edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class _NoLookupsOn(admin.ModelAdmin):
    """Refuse changelist URL lookups (`?secret__0=3`) that would test hidden values."""

    hidden_lookup_roots: tuple[str, ...] = ()

    def lookup_allowed(self, lookup, value, request=None):
        root = lookup.split("__", 1)[0]
        if root in self.hidden_lookup_roots and (request is None or not _is_superuser(request)):
            return False
        return super().lookup_allowed(lookup, value, request)


# --- guesses: shown in full, or as a spectator sees them -------------------------


def _guess_for_staff(guess: Guess):
    # user=None: a spectator, who sees a running race's colours only when over.
    if visibility.can_see_colours(guess.room, guesser_user_id=guess.player.user_id, user=None):
        return _code_html(guess.guess)
    return HIDDEN


@admin.display(description="guess")
def guess_full(obj: Guess):
    return _code_html(obj.guess)


@admin.display(description="guess")
def guess_as_spectator(obj: Guess):
    return _guess_for_staff(obj)


def _guess_field(request):
    return guess_full if _is_superuser(request) else guess_as_spectator


# --- rooms ---------------------------------------------------------------------------


class PlayerInline(_ReadOnly, admin.TabularInline):
    model = Player
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("user", "role", "status", "guesses_used", "solved_in", "place", "won", "joined_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "room")


class GuessInline(_ReadOnly, admin.TabularInline):
    model = Guess
    extra = 0
    can_delete = False
    show_change_link = True

    def get_fields(self, request, obj=None):
        return ("number", "player_name", _guess_field(request), "exact", "misplaced", "created_at")

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="player")
    def player_name(self, obj: Guess) -> str:
        return obj.player.user.username

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("room", "player__user")


@admin.display(description="secret")
def secret_for_superuser(obj: Room):
    if obj.secret is None:
        return "not set"
    return _code_html(obj.secret)


@admin.display(description="secret")
def secret_once_over(obj: Room):
    if obj.is_over and obj.secret is not None:
        return _code_html(obj.secret)
    return HIDDEN


@admin.register(Room)
class RoomAdmin(_SuperuserDeletesOnly, _NoLookupsOn, admin.ModelAdmin):
    list_display = ("code", "name", "mode", "status", "owner", "player_count", "version", "created_at")
    list_filter = ("status", "mode", "private")
    search_fields = ("code", "name", "owner__username")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    inlines = (PlayerInline, GuessInline)
    actions = ("end_stuck_rooms",)
    hidden_lookup_roots = ("secret",)
    # Belt and braces: the fieldsets below never name it either.
    exclude = ("secret",)

    _GAME_FIELDS = (
        "mode",
        "code_length",
        "colors",
        "max_guesses",
        "allow_duplicates",
        "max_players",
        "hints_used",
    )

    def get_fieldsets(self, request, obj=None):
        secret = secret_for_superuser if _is_superuser(request) else secret_once_over
        return (
            (None, {"fields": ("code", "name", "owner", "private", "status", "version")}),
            ("Game", {"fields": (*self._GAME_FIELDS, secret, "winner", "rematch_of")}),
            ("Times", {"fields": ("created_at", "started_at", "finished_at")}),
        )

    def get_readonly_fields(self, request, obj=None):
        # Everything shown is read-only (see the module docstring).
        return [f for _, opts in self.get_fieldsets(request, obj) for f in opts["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(player_count=Count("players", distinct=True))

    def has_add_permission(self, request):
        return False  # rooms are created by players, through room_create

    def has_change_permission(self, request, obj=None):
        # Without an object this is the permission the action needs; a room's
        # own page is view-only, so saving it cannot overwrite a newer version.
        if obj is not None:
            return False
        return super().has_change_permission(request)

    @admin.display(description="players", ordering="player_count")
    def player_count(self, obj: "WithAnnotations[Room, PlayerCount]") -> int:
        return obj.player_count

    @admin.action(description="End the selected stuck rooms", permissions=["change"])
    def end_stuck_rooms(self, request, queryset):
        ended = skipped = 0
        for code in queryset.order_by().values_list("code", flat=True):
            try:
                room = services.room_abandon(room_code=code)
            except (WrongState, RoomNotFound):
                # Already finished or abandoned (or deleted meanwhile): nothing to end.
                skipped += 1
                continue
            self.log_change(request, room, "Ended as stuck (abandoned) from the admin.")
            ended += 1
        self.message_user(
            request,
            f"Ended {ended} room{'s' if ended != 1 else ''}; skipped {skipped} already over.",
            messages.SUCCESS if ended else messages.WARNING,
        )


# --- players, guesses, events ------------------------------------------------------------


@admin.register(Player)
class PlayerAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("room_code", "user", "role", "status", "guesses_used", "place", "won")
    list_filter = ("status", "role", "room__mode", "user__bot_difficulty")
    search_fields = ("user__username", "room__code")
    list_select_related = ("room", "user")
    raw_id_fields = ("room", "user")
    fields = (
        "room",
        "user",
        "role",
        "status",
        "guesses_used",
        "solved_in",
        "solved_at",
        "place",
        "won",
        "joined_at",
    )
    readonly_fields = fields

    @admin.display(description="room", ordering="room__code")
    def room_code(self, obj: Player) -> str:
        return obj.room.code


@admin.register(Guess)
class GuessAdmin(_ReadOnly, _NoLookupsOn, admin.ModelAdmin):
    list_filter = ("room__mode",)
    search_fields = ("room__code", "player__user__username")
    list_select_related = ("room", "player__user")
    hidden_lookup_roots = ("guess",)

    def get_list_display(self, request):
        return (
            "room_code",
            "player_name",
            "number",
            _guess_field(request),
            "exact",
            "misplaced",
            "created_at",
        )

    def get_fields(self, request, obj=None):
        return (
            "room",
            "player_name",
            "number",
            "shared_board",
            _guess_field(request),
            "exact",
            "misplaced",
            "created_at",
        )

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("room", "player__user")

    @admin.display(description="room", ordering="room__code")
    def room_code(self, obj: Guess) -> str:
        return obj.room.code

    @admin.display(description="player", ordering="player__user__username")
    def player_name(self, obj: Guess) -> str:
        return obj.player.user.username


def _payload_html(payload) -> str:
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', json.dumps(payload))


@admin.display(description="payload")
def payload_full(obj: RoomEvent):
    return _payload_html(obj.payload)


@admin.display(description="payload")
def payload_as_spectator(obj: RoomEvent):
    room = obj.room
    event = visibility.filter_event(
        {"event": obj.kind, **obj.payload}, mode=room.mode, room_over=room.is_over, user=None
    )
    event.pop("event")
    if "secret" in event and not room.is_over:
        event["secret"] = None
    return _payload_html(event)


@admin.register(RoomEvent)
class RoomEventAdmin(_ReadOnly, _NoLookupsOn, admin.ModelAdmin):
    list_display = ("room", "version", "kind", "created_at")
    list_filter = ("kind",)
    search_fields = ("room__code",)
    list_select_related = ("room",)
    hidden_lookup_roots = ("payload",)

    def get_fields(self, request, obj=None):
        payload = payload_full if _is_superuser(request) else payload_as_spectator
        return ("room", "version", "kind", payload, "created_at")

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("room")


# --- Knox tokens ----------------------------------------------------------------------------

AuthToken = get_token_model()
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(admin.ModelAdmin):
    """Find a user's tokens and revoke them (delete). Tokens are minted by logging in, never here,
    and the stored digest is neither shown nor editable."""

    list_display = ("user", "created", "expiry", "token_key")
    list_filter = ("created", "expiry")
    search_fields = ("user__username", "token_key")
    list_select_related = ("user",)
    ordering = ("-created",)
    fields = ("user", "token_key", "created", "expiry")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
