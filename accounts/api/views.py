from django.contrib.auth import authenticate, user_logged_out
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api import serializers as s
from accounts.exceptions import AccountError
from config.api.responses import E400, E401, E429, body
from config.api.throttling import LoginThrottle, RegisterThrottle
from games import selectors


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
            raise AccountError("Unable to sign in with these credentials.", code="bad_credentials")
        return token_response(user, status_code=status.HTTP_200_OK)


def signed_out(request) -> Response:
    # Django's signal, as knox's own logout views send it.
    user_logged_out.send(sender=request.user.__class__, request=request, user=request.user)
    return Response(None, status=status.HTTP_204_NO_CONTENT)


class LogoutView(APIView):
    @extend_schema(summary="Revoke this token", request=None, responses={204: None, 401: E401})
    def post(self, request):
        services.token_revoke(token=request.auth)
        return signed_out(request)


class LogoutAllView(APIView):
    @extend_schema(
        summary="Revoke all your tokens",
        description="Signs you out of every device: deletes all your tokens, and closes the sockets opened with them.",
        request=None,
        responses={204: None, 401: E401},
    )
    def post(self, request):
        services.token_revoke_all(user=request.user)
        return signed_out(request)


class MeView(APIView):
    @extend_schema(summary="You and your stats", responses={200: s.MeSerializer, 401: E401})
    def get(self, request):
        user = request.user
        data = {"id": user.id, "username": user.username, "stats": selectors.player_stats(user=user)}
        return Response(s.MeSerializer(data).data)
