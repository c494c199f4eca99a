"""REST doors: validate, call one service or selector, serialise per viewer."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.fields import EmptySerializer
from config.api.responses import E400, E404, E429, body, errors
from config.api.throttling import GuessThrottle
from games import analysis, daily, matchmaking, ratings, selectors, services
from games.api import room_list
from games.api import serializers as s
from games.api.filters import RoomFilter, RoomFilterBackend, StrictOrderingFilter
from games.api.pagination import StrictCursorPagination
from games.exceptions import InvalidMove
from games.models import MatchTicket

IDEMPOTENCY_KEY = "Idempotency-Key"


def room_response(request, room, *, status_code=status.HTTP_200_OK) -> Response:
    """Re-read the room a service changed and serialise it for this viewer.

    No visibility check here: the service has authorised the caller, who may
    just have left a private room they can no longer look up.
    """
    room = selectors.room_reload(room=room)
    return Response(s.RoomSerializer(room, context={"request": request}).data, status=status_code)


class RoomPagination(StrictCursorPagination):
    ordering = "-created_at"


@extend_schema_view(
    list=extend_schema(summary="Browse rooms", responses={200: s.RoomSerializer(many=True), **errors()}),
    retrieve=extend_schema(
        summary="A room as you may see it", responses={200: s.RoomSerializer, **errors(404)}
    ),
    create=extend_schema(
        summary="Create a room",
        request=s.RoomCreateSerializer,
        responses={201: s.RoomSerializer, **errors(400)},
    ),
    destroy=extend_schema(
        summary="Delete a waiting room (owner)", responses={204: None, **errors(403, 404, 409)}
    ),
)
class RoomViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.RoomSerializer
    lookup_field = "code"
    # Any segment (dots included) reaches get_object, so a bad code is the
    # room's own 404, never a fall-through to no route.
    lookup_value_regex = "[^/]+"
    pagination_class = RoomPagination
    filter_backends = [RoomFilterBackend, StrictOrderingFilter]
    ordering_fields = ["created_at", "name"]
    filterset_class = RoomFilter

    def get_queryset(self):
        return selectors.room_keys_visible(user=self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # RoomPagination always pages
        return self.get_paginated_response(room_list.render_page(page, user=request.user))

    def get_object(self):
        return selectors.room_get_for_viewer(room_code=self.kwargs["code"], user=self.request.user)

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "guesses" and self.request.method == "POST":
            throttles.append(GuessThrottle())
        return throttles

    def create(self, request):
        room = services.room_create(user=request.user, **body(request, s.RoomCreateSerializer))
        return room_response(request, room, status_code=status.HTTP_201_CREATED)

    def destroy(self, request, code=None):
        services.room_delete(room_code=code, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Join a waiting room", request=None, responses={200: s.RoomSerializer, **errors(404, 409)}
    )
    @action(detail=True, methods=["post"])
    def join(self, request, code=None):
        body(request, EmptySerializer)
        return room_response(request, services.room_join(room_code=code, user=request.user))

    @extend_schema(
        summary="Add a computer player to a waiting race (owner)",
        request=s.BotInputSerializer,
        responses={201: s.RoomSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def bots(self, request, code=None):
        data = body(request, s.BotInputSerializer)
        player = services.bot_add(room_code=code, user=request.user, **data)
        return room_response(request, player.room, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Leave (a forfeit once playing)",
        request=None,
        responses={200: s.RoomSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def leave(self, request, code=None):
        body(request, EmptySerializer)
        return room_response(request, services.room_leave(room_code=code, user=request.user))

    @extend_schema(
        summary="Start the game (owner)",
        request=None,
        responses={200: s.RoomSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def start(self, request, code=None):
        body(request, EmptySerializer)
        return room_response(request, services.room_start(room_code=code, user=request.user))

    @extend_schema(
        summary="Set a duel's secret (codemaker, once, before the start)",
        request=s.SecretInputSerializer,
        responses={200: s.RoomSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def secret(self, request, code=None):
        data = body(request, s.SecretInputSerializer)
        return room_response(request, services.room_set_secret(room_code=code, user=request.user, **data))

    @extend_schema(
        methods=["GET"],
        summary="The guesses you may see, oldest first",
        responses={200: s.GuessSerializer(many=True), **errors(404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Make a guess (player)",
        request=s.GuessInputSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_KEY,
                str,
                OpenApiParameter.HEADER,
                description="Up to 64 characters. A retry with the same key returns the first "
                "result and stores nothing new (the WebSocket's request_id shares these keys).",
            )
        ],
        responses={201: s.GuessResultSerializer, **errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def guesses(self, request, code=None):
        if request.method == "POST":
            data = body(request, s.GuessInputSerializer)
            key = request.headers.get(IDEMPOTENCY_KEY)
            try:
                result = services.guess_submit(room_code=code, user=request.user, request_id=key, **data)
            except InvalidMove as error:
                # The service names its socket field; over REST the client sent a header.
                if error.field != "request_id":
                    raise
                detail = error.detail.replace("request_id", IDEMPOTENCY_KEY)
                raise InvalidMove(detail, code=error.code, field=IDEMPOTENCY_KEY) from None
            return Response(s.GuessResultSerializer(result).data, status=status.HTTP_201_CREATED)
        room = self.get_object()
        guesses = selectors.guess_list(room=room)
        context = {"request": request, "room": room}
        return Response(s.GuessSerializer(guesses, many=True, context=context).data)

    @extend_schema(
        summary="A hint from the solver (solo only); the game is then counted as hinted",
        responses={200: s.HintSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def hint(self, request, code=None):
        hint = services.hint_request(room_code=code, user=request.user)
        data = {"possible": hint.possible, "exact": hint.exact, "suggestion": list(hint.suggestion)}
        return Response(s.HintSerializer(data).data)

    @extend_schema(
        summary="The room's events after a version (replays, catching up)",
        description="The socket's `game_update` frames logged after version `since`, oldest first, each as "
        "you may see it (a running race hides rivals' colours). At most 500: ask again from the last one's "
        "version for more.",
        parameters=[s.EventsQuerySerializer],
        responses={200: s.GameUpdateSerializer(many=True), **errors(400, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def events(self, request, code=None):
        since = request.query_params.get("since", "0")
        if not since.isascii() or not since.isdigit() or len(since) > 9:
            raise InvalidMove("since must be a room version: a whole number, 0 or more.", field="since")
        frames = selectors.room_events_for_viewer(room_code=code, user=request.user, since=int(since))
        return Response(frames)

    @extend_schema(
        summary="The solver's analysis of a finished game",
        description="For each player and guess: the codes consistent before and after it, and the fewest "
        "any guess could have guaranteed (Knuth's minimax). 409 until the room is finished.",
        responses={200: s.AnalysisSerializer, **errors(404, 409)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def analysis(self, request, code=None):
        return Response(s.AnalysisSerializer(analysis.room_analysis(room_code=code, user=request.user)).data)

    @extend_schema(
        summary="Rematch: a new waiting room with the same settings",
        request=None,
        responses={201: s.RoomSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def rematch(self, request, code=None):
        body(request, EmptySerializer)
        room = services.room_rematch(room_code=code, user=request.user)
        return room_response(request, room, status_code=status.HTTP_201_CREATED)


class QuickPlayView(APIView):
    @extend_schema(
        summary="Quick play: a started solo room",
        request=s.QuickPlaySerializer,
        responses={201: s.RoomSerializer, **errors(400)},
    )
    def post(self, request):
        room = services.quick_play(user=request.user, **body(request, s.QuickPlaySerializer))
        return room_response(request, room, status_code=status.HTTP_201_CREATED)


class LeaderboardView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Top players: by wins, a day's daily challenge, or a rated mode's ratings",
        parameters=[
            OpenApiParameter(
                "daily",
                OpenApiTypes.DATE,
                description="YYYY-MM-DD: that day's daily challenge, fewest guesses then fastest.",
            ),
            OpenApiParameter(
                "mode",
                str,
                enum=["race", "duel"],
                description="A rated mode: its ratings, highest first, non-provisional players only.",
            ),
        ],
        responses={200: s.LEADERBOARD_ROWS, 400: E400, 404: E404, 429: E429},
    )
    def get(self, request):
        if "daily" in request.query_params:
            day = daily.parse_day(request.query_params["daily"])
            return Response(s.DailyRowSerializer(daily.daily_leaderboard(day=day), many=True).data)
        if "mode" in request.query_params:
            mode = request.query_params["mode"]
            if mode not in ratings.RATED_MODES:
                raise InvalidMove("mode must be race or duel (the rated modes).", field="mode")
            return Response(s.RatingRowSerializer(ratings.leaderboard(mode=mode), many=True).data)
        return Response(s.LeaderboardRowSerializer(selectors.leaderboard(), many=True).data)


class DailyView(APIView):
    @extend_schema(
        summary="The daily challenge: a day's number, settings, your room and how many solved it",
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="YYYY-MM-DD, today (UTC) by default.")
        ],
        responses={200: s.DailySerializer, **errors(400, 404)},
    )
    def get(self, request):
        day = daily.parse_day(request.query_params.get("date"))
        return Response(s.DailySerializer(daily.daily_summary(day=day, user=request.user)).data)

    @extend_schema(
        summary="Play today's challenge: your started room (the same one if you have it already)",
        request=None,
        responses={201: s.RoomSerializer, 200: s.RoomSerializer, **errors()},
    )
    def post(self, request):
        room, created = daily.daily_start(user=request.user)
        return room_response(
            request, room, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class MatchmakingView(APIView):
    """SPEC §8: your ticket in the pool. One per player; a new POST replaces it."""

    @extend_schema(
        summary="Find an opponent: matched at once, or searching",
        description="201 with the started room when a compatible player was waiting; else 202 and the ticket "
        "(searching; `match_found` arrives on /ws/me/). Rated play is for accounts (403 for guests).",
        request=s.MatchmakingInputSerializer,
        responses={201: s.TicketSerializer, 202: s.TicketSerializer, **errors(400, 403)},
    )
    def post(self, request):
        ticket = matchmaking.ticket_open(user=request.user, **body(request, s.MatchmakingInputSerializer))
        matched = ticket.status == MatchTicket.Status.MATCHED
        return self._ticket(request, ticket, status.HTTP_201_CREATED if matched else status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Your ticket: searching, matched (with the room) or expired",
        responses={200: s.TicketSerializer, **errors(404)},
    )
    def get(self, request):
        ticket = matchmaking.ticket_get(user=request.user)
        if ticket is None:
            raise NotFound("You have no matchmaking ticket.")
        return self._ticket(request, ticket, status.HTTP_200_OK)

    @extend_schema(summary="Stop searching", request=None, responses={204: None, **errors(404)})
    def delete(self, request):
        if not matchmaking.ticket_cancel(user=request.user):
            raise NotFound("You have no matchmaking ticket.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _ticket(request, ticket, status_code) -> Response:
        if ticket.room is not None:
            ticket.room = selectors.room_reload(room=ticket.room)
        return Response(s.TicketSerializer(ticket, context={"request": request}).data, status=status_code)
