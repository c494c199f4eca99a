from django.apps import AppConfig


class GamesConfig(AppConfig):
    name = "games"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The room list's renames listener, connected in every process (not only where URLs load).
        from games.api import room_list  # noqa: F401
