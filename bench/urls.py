"""The app's URLs, plus bench-only views in front of them."""

from django.http import JsonResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as app_urlpatterns


class HelloView(APIView):
    """The cheapest DRF view: the whole middleware stack and DRF's dispatch, no auth, no throttles, no SQL."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request):
        return Response({"hello": "world"})


class SignedInHelloView(APIView):
    """The cheapest signed-in DRF view: the project's own authentication, permission and throttle, no other work.

    What every authenticated endpoint pays before its own (Knox's token check,
    the user throttle): the floor under `me`, the room list and a REST guess.
    """

    def get(self, request):
        return Response({"hello": request.user.pk})


class SignedInPageView(SignedInHelloView):
    """The signed-in hello answering with a page of 20 rooms rendered once: the least a room list can do.

    Knox's check, the user throttle and the JSON of the page, no query of its
    own and no pagination: the floor under `GET /api/v1/rooms/`.
    """

    page: list | None = None

    def get(self, request):
        if SignedInPageView.page is None:
            from games import selectors
            from games.api import room_list

            rooms = list(selectors.room_keys_visible(user=request.user).order_by("-created_at")[:20])
            SignedInPageView.page = room_list.render_page(rooms, user=request.user)
        return Response({"next": None, "previous": None, "results": SignedInPageView.page})


def queries(request):
    """Statements run so far by this process (0 unless BENCH_COUNT_QUERIES=1)."""
    from bench import querycount

    return JsonResponse({"count": querycount.total()})


urlpatterns = [
    path("bench/hello/", HelloView.as_view()),
    path("bench/hello-signed-in/", SignedInHelloView.as_view()),
    path("bench/hello-signed-in-page/", SignedInPageView.as_view()),
    path("bench/queries/", queries),
    *app_urlpatterns,
]
