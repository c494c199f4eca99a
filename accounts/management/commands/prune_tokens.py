"""`manage.py prune_tokens`: delete expired API tokens (run it daily, from cron or a timer)."""

from django.core.management.base import BaseCommand

from accounts import services


class Command(BaseCommand):
    help = "Delete expired Knox tokens of every user (sign-in already prunes the user's own)."

    def handle(self, *args, **options):
        deleted = services.token_prune_expired()
        self.stdout.write(f"{deleted} expired token(s) deleted")
