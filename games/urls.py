from django.urls import path

from games import views

urlpatterns = [
    path("", views.lobby, name="lobby"),
    path("play/quick/", views.quick_play, name="quick-play-page"),
    path("play/now/", views.play_now, name="play-now"),
    path("play/match/", views.match_page, name="match-page"),
    path("rooms/new/", views.room_create, name="room-create"),
    path("join/", views.room_join_by_code, name="room-join-code"),
    path("rooms/<str:code>/", views.room_detail, name="room"),
    path("rooms/<str:code>/guess/", views.room_guess, name="room-guess"),
    path("rooms/<str:code>/secret/", views.room_secret, name="room-secret"),
    path("rooms/<str:code>/chat/", views.room_chat, name="room-chat"),
    path("rooms/<str:code>/hint/", views.room_hint, name="room-hint"),
    path("rooms/<str:code>/rematch/", views.room_rematch, name="room-rematch"),
    path("rooms/<str:code>/analysis/", views.room_analysis, name="room-analysis"),
    path("rooms/<str:code>/bots/", views.room_bot_add, name="room-bot-add"),
    path("rooms/<str:code>/delete/", views.room_delete, name="room-delete"),
    path("rooms/<str:code>/<str:action>/", views.room_action, name="room-action"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("daily/", views.daily_page, name="daily-page"),
    path("how-to-play/", views.how_to_play, name="how-to-play"),
    path("manifest.webmanifest", views.web_manifest, name="web-manifest"),
    path("users/<str:username>/", views.user_profile, name="user"),
]
