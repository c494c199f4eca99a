from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from knox import views as knox_views
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api import serializers as s
from accounts.auth import TokenAuthentication
from games import events, selectors
from games.api.throttling import GuestThrottle, LoginThrottle, RegisterThrottle
from games.api.views import E400, E401, E403, E429, body
from games.exceptions import InvalidMove


def token_response(user, *, status_code) -> Response:
    instance, token = services.token_issue(user=user)
    data = {"user": user, "token": token, "expiry": instance.expiry}
    return Response(s.TokenSerializer(data).data, status=status_code)


class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [RegisterThrottle]

    @extend_schema(
        summary="Sign up and get a token",
        request=s.RegisterSerializer,
        responses={201: s.TokenSerializer, 400: E400, 429: E429},
        auth=[],
    )
    def post(self, request):
        user = services.user_register(**body(request, s.RegisterSerializer))
        return token_response(user, status_code=status.HTTP_201_CREATED)


class GuestView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [GuestThrottle]

    @extend_schema(
        summary="Play as a guest: a new guest account and its token",
        description="No sign-up: a `guest-` username and no password. Guests play solo, quick play "
        "and unrated rooms; they cannot chat and are not ranked. Keep the account with POST /auth/claim/.",
        request=None,
        responses={201: s.TokenSerializer, 429: E429},
        auth=[],
    )
    def post(self, request):
        return token_response(services.guest_create(), status_code=status.HTTP_201_CREATED)


class ClaimView(APIView):
    @extend_schema(
        summary="Keep a guest account: give it a username and password",
        description="The same user (id, games, stats, tokens) with a name and password of its own; "
        "the sign-up rules apply. 403 for an account that is not a guest.",
        request=s.ClaimSerializer,
        responses={200: s.ClaimedSerializer, 400: E400, 401: E401, 403: E403},
    )
    def post(self, request):
        user = services.guest_claim(user=request.user, **body(request, s.ClaimSerializer))
        return Response(s.ClaimedSerializer({"user": user}).data)


class LoginView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(
        summary="Sign in and get a token for this device",
        request=s.LoginSerializer,
        responses={200: s.TokenSerializer, 400: E400, 429: E429},
        auth=[],
    )
    def post(self, request):
        data = body(request, s.LoginSerializer)
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None:
            raise InvalidMove("Unable to sign in with these credentials.", code="bad_credentials")
        return token_response(user, status_code=status.HTTP_200_OK)


class LogoutView(knox_views.LogoutView):
    # Knox's views name Knox's own class; ours reads one token, not all of them.
    authentication_classes = [TokenAuthentication]

    @extend_schema(summary="Revoke this token", request=None, responses={204: None, 401: E401})
    def post(self, request, format=None):
        key = request.auth.token_key
        response = super().post(request, format)
        # Sockets opened with this token close now, not at the next recheck.
        events.tokens_revoked(user_id=request.user.id, token_keys=[key])
        return response


class LogoutAllView(knox_views.LogoutAllView):
    authentication_classes = [TokenAuthentication]

    @extend_schema(summary="Revoke all your tokens", request=None, responses={204: None, 401: E401})
    def post(self, request, format=None):
        response = super().post(request, format)
        events.tokens_revoked(user_id=request.user.id, token_keys=None)
        return response


class MeView(APIView):
    @extend_schema(summary="You and your stats", responses={200: s.MeSerializer, 401: E401})
    def get(self, request):
        user = request.user
        data = {"id": user.id, "username": user.username, "is_guest": user.is_guest}
        data["stats"] = selectors.player_stats(user=user)
        return Response(s.MeSerializer(data).data)
