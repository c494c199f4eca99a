"""REST doors: validate, call one service or selector, serialise per viewer."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.fields import EmptySerializer
from config.api.responses import E429, body, errors
from config.api.throttling import GuessThrottle
from games import selectors, services
from games.api import serializers as s
from games.api.filters import RoomFilter, StrictOrderingFilter
from games.api.pagination import StrictCursorPagination
from games.exceptions import InvalidMove

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
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    ordering_fields = ["created_at", "name"]
    filterset_class = RoomFilter

    def get_queryset(self):
        return selectors.room_list_visible(user=self.request.user)

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

    @extend_schema(summary="Top players", responses={200: s.LeaderboardRowSerializer(many=True), 429: E429})
    def get(self, request):
        rows = selectors.leaderboard()
        return Response(s.LeaderboardRowSerializer(rows, many=True).data)
