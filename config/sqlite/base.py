"""Django's SQLite backend that creates the database file's folder at its first connection.

The embedded run keeps its database in `var/` (SQLITE_PATH), which a fresh
checkout lacks. The folder is made here, where SQLite first needs it, not
when the settings are imported (a settings import writes nothing).
"""

from pathlib import Path

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        database = conn_params["database"]
        # In-memory databases (the test database among them) have no folder.
        if not self.creation.is_in_memory_db(database):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
