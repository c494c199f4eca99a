"""Rooms, their players, guesses and the per-room event log.

Models hold fields, constraints and small properties; every write goes through
games/services.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from games import rules

_LIMITS = rules.LIMITS


def _between(field: str) -> Q:
    low, high = _LIMITS[field]
    return Q(**{f"{field}__gte": low, f"{field}__lte": high})


class Room(models.Model):
    class Mode(models.TextChoices):
        SOLO = "solo"
        COOP = "coop"
        RACE = "race"
        DUEL = "duel"

    class Status(models.TextChoices):
        WAITING = "waiting"
        PLAYING = "playing"
        FINISHED = "finished"
        ABANDONED = "abandoned"

    code = models.CharField(max_length=rules.ROOM_CODE_LENGTH, unique=True)
    name = models.CharField(max_length=60, blank=True)
    mode = models.CharField(max_length=8, choices=Mode.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    private = models.BooleanField(default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_rooms")
    # Bumped by one on every change of state; each bump has exactly one RoomEvent.
    version = models.PositiveIntegerField(default=0)
    # Guesses made in the room, on every board. On a shared board (every mode
    # but race) the next guess's number is this plus one: read from the
    # locked row, not counted with MAX(number) on each guess. Guess's unique
    # numbers per board stay the safety net.
    guesses_made = models.PositiveSmallIntegerField(default=0)

    code_length = models.PositiveSmallIntegerField(default=4)
    colors = models.PositiveSmallIntegerField(default=6)
    max_guesses = models.PositiveSmallIntegerField(default=10)
    allow_duplicates = models.BooleanField(default=True)
    # A daily challenge's room (games.daily): the day's secret, private, no hints.
    is_daily = models.BooleanField(default=False)
    # Rated play (games.ratings): race and duel between people only.
    rated = models.BooleanField(default=False)
    max_players = models.PositiveSmallIntegerField(default=4)

    # Drawn at start (or set by a duel's codemaker); hidden until finished.
    secret = models.JSONField(null=True, blank=True)
    winner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="won_rooms",
    )
    rematch_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="rematches"
    )
    hints_used = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "private", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=_between("code_length"), name="room_code_length_range"),
            models.CheckConstraint(condition=_between("colors"), name="room_colors_range"),
            models.CheckConstraint(condition=_between("max_guesses"), name="room_max_guesses_range"),
            models.CheckConstraint(condition=_between("max_players"), name="room_max_players_range"),
            models.CheckConstraint(
                condition=Q(allow_duplicates=True) | Q(colors__gte=F("code_length")),
                name="room_enough_colors_without_duplicates",
            ),
            models.CheckConstraint(
                condition=Q(mode__in=list(rules.MODES)),
                name="room_mode_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "playing", "finished", "abandoned"]),
                name="room_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.mode}, {self.status})"

    @property
    def game_settings(self) -> rules.GameSettings:
        return rules.GameSettings(
            code_length=self.code_length,
            colors=self.colors,
            max_guesses=self.max_guesses,
            allow_duplicates=self.allow_duplicates,
        )

    @property
    def is_over(self) -> bool:
        return self.status in (self.Status.FINISHED, self.Status.ABANDONED)

    @property
    def shared_board(self) -> bool:
        """Race gives every player a board of their own; the other modes share one."""
        return self.mode != self.Mode.RACE


class Player(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting"
        PLAYING = "playing"
        SOLVED = "solved"
        OUT = "out"
        LEFT = "left"

    class Role(models.TextChoices):
        PLAYER = "player"
        CODEMAKER = "codemaker"
        CODEBREAKER = "codebreaker"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="players")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="players")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.PLAYER)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    guesses_used = models.PositiveSmallIntegerField(default=0)
    # The board's guess number that solved it (the shared board's in coop):
    # what "average guesses to solve" is computed from.
    solved_in = models.PositiveSmallIntegerField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    place = models.PositiveSmallIntegerField(null=True, blank=True)
    won = models.BooleanField(default=False)
    # In a finished rated room: the change of the shown rating (round(mu)); null elsewhere.
    rating_change = models.IntegerField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="player_once_per_room"),
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "playing", "solved", "out", "left"]),
                name="player_status_valid",
            ),
            models.CheckConstraint(condition=Q(guesses_used__lte=20), name="player_guesses_used_range"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.room.code}"


class Guess(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="guesses")
    player = models.ForeignKey(Player, on_delete=models.CASCADE, related_name="guesses")
    # Position on its board: the room's shared board, or the player's own in race.
    number = models.PositiveSmallIntegerField()
    shared_board = models.BooleanField()
    guess = models.JSONField()
    exact = models.PositiveSmallIntegerField()
    misplaced = models.PositiveSmallIntegerField()
    # The room version this guess's event got: what a retried move reports.
    version = models.PositiveIntegerField(null=True, blank=True)
    # The client's idempotency key (WebSocket request_id or REST
    # Idempotency-Key): a retried move returns the first result, applied once.
    request_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - NULL: no key, outside the unique constraint
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "guesses"
        constraints = [
            models.UniqueConstraint(
                fields=["player", "request_id"],
                condition=Q(request_id__isnull=False),
                name="guess_request_id_unique_per_player",
            ),
            # One row per number on each board: the shared board is the room's,
            # a race board is the player's.
            models.UniqueConstraint(
                fields=["room", "number"],
                condition=Q(shared_board=True),
                name="guess_number_unique_on_shared_board",
            ),
            models.UniqueConstraint(
                fields=["player", "number"],
                condition=Q(shared_board=False),
                name="guess_number_unique_on_own_board",
            ),
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=20), name="guess_number_range"),
            models.CheckConstraint(condition=Q(exact__lte=8, misplaced__lte=8), name="guess_feedback_range"),
        ]

    def __str__(self) -> str:
        # No colours: this string reaches admin pages and logs, and a running
        # race hides a rival's colours (a solving guess is the secret).
        return f"{self.room.code} #{self.number}"


class RoomEvent(models.Model):
    """The log of what changed a room, one row per version.

    Written in the same transaction as the change, so the live layer can
    replay what a socket missed (`resync`) from here.
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="events")
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=20)
    # The full, unfiltered event; games.visibility filters it per viewer.
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["room", "version"]
        constraints = [
            models.UniqueConstraint(fields=["room", "version"], name="event_version_unique_per_room"),
        ]

    def __str__(self) -> str:
        return f"{self.room_id} v{self.version} {self.kind}"


class ChatMessage(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="chat_messages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages")
    # Stored as typed; escaped wherever it is shown (never marked safe).
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="chat_text_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.room.code} {self.user}: {self.text[:40]}"


class DailyChallenge(models.Model):
    """One secret per UTC day, the same for everyone (SPEC §9): 5 pegs × 8 colours, 10 guesses, repeats.

    Drawn with `secrets` the first time the day is played and stored; the
    unique date makes two processes that draw at once agree on one secret.
    """

    date = models.DateField(unique=True)
    secret = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"daily {self.date}"


class DailyPlay(models.Model):
    """A player's room for one day's challenge: one per player per day."""

    challenge = models.ForeignKey(DailyChallenge, on_delete=models.PROTECT, related_name="plays")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_plays")
    room = models.OneToOneField(Room, on_delete=models.CASCADE, related_name="daily_play")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["challenge", "user"], name="daily_play_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.challenge.date} {self.user}"


class MatchTicket(models.Model):
    """A player looking for an opponent (SPEC §8): one ticket per player, paired at most once."""

    class Status(models.TextChoices):
        SEARCHING = "searching"
        MATCHED = "matched"
        EXPIRED = "expired"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="match_ticket"
    )
    mode = models.CharField(max_length=8, default="race")
    rated = models.BooleanField(default=False)
    code_length = models.PositiveSmallIntegerField(default=4)
    colors = models.PositiveSmallIntegerField(default=6)
    # The player's rating in `mode` when the ticket was opened (1500 until rated play lands).
    rating = models.IntegerField(default=1500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SEARCHING)
    room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["status", "mode", "rated", "code_length", "colors", "created_at"], name="ticket_pool"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.mode} {self.status}"


class Rating(models.Model):
    """A player's rating in one mode (SPEC §8): openskill's mu and sigma, games and wins counted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings")
    mode = models.CharField(max_length=8)
    mu = models.FloatField()
    sigma = models.FloatField()
    games = models.PositiveIntegerField(default=0)
    wins = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "mode"], name="rating_once_per_mode")]

    def __str__(self) -> str:
        return f"{self.user} {self.mode} {round(self.mu)}±{round(self.sigma)}"


class RatingChange(models.Model):
    """One player's rating before and after one rated room: the profile's history."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rating_changes"
    )
    mode = models.CharField(max_length=8)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="rating_changes")
    mu_before = models.FloatField()
    sigma_before = models.FloatField()
    mu_after = models.FloatField()
    sigma_after = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "room"], name="rating_change_once_per_room")]

    def __str__(self) -> str:
        return f"{self.user} {self.mode} {round(self.mu_before)}→{round(self.mu_after)}"
