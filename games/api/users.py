"""Players' public profiles under /api/v1/users/ (SPEC §7): stats, ratings and finished games.

A games door: profiles are made of games (stats, ratings, rooms), so they
live beside the rooms; `accounts` keeps the account itself (auth/...).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import serializers as s
from config.api.responses import ErrorSerializer
from games import selectors
from games.api import serializers as game_wire
from games.api.pagination import StrictCursorPagination

E404_USER = OpenApiResponse(ErrorSerializer, description="No such user (or a deleted account).")


def profile_user_or_404(username: str):
    user = selectors.user_get_public(username=username)
    if user is None:
        raise NotFound("No such user.")
    return user


class ProfileView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="A player's profile",
        description="Anyone may read it; `ratings` are null until the player has a rating in that mode.",
        responses={200: s.ProfileSerializer, 404: E404_USER},
    )
    def get(self, request, username: str):
        user = profile_user_or_404(username)
        return Response(s.ProfileSerializer(selectors.profile(user=user)).data)


class FinishedRoomPagination(StrictCursorPagination):
    ordering = ("-finished_at", "-id")


@extend_schema_view(
    get=extend_schema(
        summary="A player's finished games",
        description=(
            "Finished rooms the player played, newest first, as you may see them; a private "
            "room is listed only to its players."
        ),
        responses={200: game_wire.RoomSerializer(many=True), 404: E404_USER},
    )
)
class ProfileGamesView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = game_wire.RoomSerializer
    pagination_class = FinishedRoomPagination
    filter_backends = []

    def get_queryset(self):
        user = profile_user_or_404(self.kwargs["username"])
        return selectors.room_list_finished(user=user, viewer=self.request.user)
