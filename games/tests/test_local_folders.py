"""Importing the settings writes nothing; the embedded run's folders are made where first needed (issue #11)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import os, sys
from pathlib import Path
import django
from django.conf import settings

settings.INSTALLED_APPS  # the settings module is imported here
static, database = Path(sys.argv[1]), Path(sys.argv[2])
print("after import:", static.exists(), database.parent.exists())
django.setup()
from django.db import connection
connection.ensure_connection()
print("after connecting:", database.parent.is_dir())
from config.static import WhiteNoiseMiddleware
WhiteNoiseMiddleware(lambda request: None)
print("after middleware:", static.is_dir())
"""


def test_settings_import_makes_no_folder_the_database_and_whitenoise_make_theirs(tmp_path):
    static, database = tmp_path / "static" / "root", tmp_path / "var" / "db.sqlite3"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "test-only",
        "DEBUG": "0",
        "STATIC_ROOT": str(static),
        "SQLITE_PATH": str(database),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(static), str(database)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "after import: False False",
        "after connecting: True",
        "after middleware: True",
    ]
