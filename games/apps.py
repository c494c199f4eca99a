from django.apps import AppConfig


class GamesConfig(AppConfig):
    name = "games"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The renames listener of the kept renderings (games/kept.py), connected in every process.
        from games import kept  # noqa: F401
