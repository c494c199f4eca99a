from django.contrib.auth import authenticate, user_logged_out
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api import serializers as s
from accounts.exceptions import AccountError
from config.api.responses import E400, E401, E403, E429, body
from config.api.throttling import GuestThrottle, LoginThrottle, RegisterThrottle
from games import selectors


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


class BodyOnDeleteSchema(AutoSchema):
    """drf-spectacular documents request bodies for POST, PUT and PATCH only; DELETE /auth/me/ reads one too."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


class MeView(APIView):
    schema = BodyOnDeleteSchema()

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "DELETE":
            # The password check counts like a sign-in attempt (per address).
            throttles.append(LoginThrottle())
        return throttles

    @extend_schema(summary="You and your stats", responses={200: s.MeSerializer, 401: E401})
    def get(self, request):
        # The selectors return MeSerializer's shape already (ints, floats, None), so the
        # response is their dict as it is: building the serializer (DRF deep-copies its
        # two dozen nested fields per call) was 8 % of a `me` in issue #9's profile.
        # test_me_is_what_its_serializer_documents holds the two together.
        user = request.user
        return Response(
            {
                "id": user.id,
                "username": user.username,
                "guest": user.is_guest,
                "stats": selectors.player_stats(user=user),
                "ratings": selectors.player_ratings(user=user),
            }
        )

    @extend_schema(
        summary="Delete your account",
        description=(
            "Anonymises the account: every token is revoked (its sockets close), the username "
            "becomes `deleted-` + 6 characters, the password unusable and the email empty. "
            "Games still waiting or playing are left (a forfeit); finished games stay for the "
            "other players. 400 if the password is wrong."
        ),
        request=s.AccountDeleteSerializer,
        responses={204: None, 400: E400, 401: E401, 429: E429},
    )
    def delete(self, request):
        data = body(request, s.AccountDeleteSerializer)
        services.account_delete(user=request.user, password=data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    def get_throttles(self):
        # Each attempt checks the old password: it counts like a sign-in attempt.
        return [*super().get_throttles(), LoginThrottle()]

    @extend_schema(
        summary="Change your password",
        description=(
            "204, and every other token of yours is revoked (their sockets close); the token "
            "that made the call stays valid. 400 for a wrong `old_password` or a `new_password` "
            "Django's password validators refuse."
        ),
        request=s.PasswordChangeSerializer,
        responses={204: None, 400: E400, 401: E401, 429: E429},
    )
    def post(self, request):
        data = body(request, s.PasswordChangeSerializer)
        services.password_change(
            user=request.user,
            old_password=data["old_password"],
            new_password=data["new_password"],
            keep_token_key=request.auth.token_key,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get_throttles(self):
        return [*super().get_throttles(), LoginThrottle()]

    @extend_schema(
        summary="Email a password reset link",
        description=(
            "202 whether or not an account has this address, so the answer tells nobody who "
            "has an account. The link opens `/accounts/reset/…` in a browser."
        ),
        request=s.PasswordResetSerializer,
        responses={202: None, 400: E400, 429: E429},
        auth=[],
    )
    def post(self, request):
        data = body(request, s.PasswordResetSerializer)
        services.password_reset_send(
            email=data["email"], domain=request.get_host(), use_https=request.is_secure()
        )
        return Response(status=status.HTTP_202_ACCEPTED)


# --- profiles -------------------------------------------------------------------------
