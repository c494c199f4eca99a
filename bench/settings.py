"""Settings for the servers the benchmarks start: the app's own, plus bench-only URLs.

`DJANGO_SETTINGS_MODULE=bench.settings` serves exactly what config.settings
serves (middleware, auth, database pool, channel layer, all from the same
environment), with `bench.urls` in front: a DRF hello view (no auth, no
throttles) and, when BENCH_COUNT_QUERIES=1, a statement counter.
"""

import os

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

if os.environ.get("BENCH_COUNT_QUERIES") == "1":
    from bench import querycount

    querycount.install()
