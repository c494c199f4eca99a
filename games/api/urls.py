from django.urls import path
from rest_framework.routers import SimpleRouter

from games.api.views import DailyView, LeaderboardView, MatchmakingView, QuickPlayView, RoomViewSet

router = SimpleRouter()
router.register("rooms", RoomViewSet, basename="room")

urlpatterns = [
    path("quick-play/", QuickPlayView.as_view(), name="quick-play"),
    path("leaderboard/", LeaderboardView.as_view(), name="leaderboard"),
    path("daily/", DailyView.as_view(), name="daily"),
    path("matchmaking/", MatchmakingView.as_view(), name="matchmaking"),
    *router.urls,
]
