"""WhiteNoise, creating STATIC_ROOT where it first looks for it.

WhiteNoise warns at start-up when STATIC_ROOT is missing, which it is in a
checkout before `collectstatic` (the files are served from the apps' static
folders then: WHITENOISE_USE_FINDERS). The folder is made here, when the
middleware starts, not when the settings are imported.
"""

from pathlib import Path

from django.conf import settings
from whitenoise import middleware


class WhiteNoiseMiddleware(middleware.WhiteNoiseMiddleware):
    def __init__(self, get_response=None, settings=settings):
        if settings.STATIC_ROOT:
            Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        super().__init__(get_response, settings)
