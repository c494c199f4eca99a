"""The site's URLs plus views that raise: prove handler500 renders templates/500.html, or JSON under /api/."""

from django.db import OperationalError
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401 - Django reads them here


def boom(request):
    raise RuntimeError("boom: a bug in a view")


class BoomAPIView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("boom: a bug in an API view")


class DatabaseDownAPIView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        # What psycopg's pool raises through Django when PostgreSQL is gone.
        raise OperationalError("couldn't get a connection after 2.00 sec")


urlpatterns = [
    path("api/v1/test-db-down/", DatabaseDownAPIView.as_view()),
    path("test-500/", boom),
    path("api/test-500-plain/", boom),
    path("api/v1/test-500/", BoomAPIView.as_view()),
    path("", include("config.urls")),
]
