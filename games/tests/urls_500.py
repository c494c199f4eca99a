"""The site's URLs plus one view that raises: proves handler500 renders templates/500.html."""

from django.urls import include, path


def boom(request):
    raise RuntimeError("boom: a bug in a view")


urlpatterns = [
    path("test-500/", boom),
    path("", include("config.urls")),
]
