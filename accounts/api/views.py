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
from games.api.throttling import LoginThrottle, RegisterThrottle
from games.api.views import E400, E401, E429, body
from games.exceptions import InvalidMove


def token_response(user, *, status_code) -> Response:
    instance, token = services.token_issue(user=user)
    data = {"user": {"id": user.id, "username": user.username}, "token": token, "expiry": instance.expiry}
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
        data = {"id": user.id, "username": user.username, "stats": selectors.player_stats(user=user)}
        return Response(s.MeSerializer(data).data)
