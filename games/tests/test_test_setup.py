"""The test run's own start-up checks (conftest.py), as a developer meets them."""

import os
import uuid

import dj_database_url
import pytest
from django.conf import settings

from conftest import database_problem

needs_postgresql = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"), reason="needs PostgreSQL (DATABASE_URL)"
)


@needs_postgresql
def test_a_missing_database_is_named_as_missing_not_as_a_server_that_does_not_answer():
    missing = f"helper_missing_{uuid.uuid4().hex[:8]}"
    problem = database_problem({**settings.DATABASES["default"], "NAME": missing})
    assert problem is not None
    assert f'database "{missing}", which does not exist' in problem
    assert "createdb" in problem and "does not answer" not in problem


@needs_postgresql
def test_a_server_that_does_not_answer_is_said_so():
    problem = database_problem({**settings.DATABASES["default"], "HOST": "127.0.0.1", "PORT": "1"})
    assert problem is not None and "does not answer" in problem


@needs_postgresql
def test_the_configured_database_has_no_problem():
    # The database DATABASE_URL names (the tests themselves run on test_<name>[_gwN]).
    name = dj_database_url.parse(os.environ["DATABASE_URL"])["NAME"]
    assert database_problem({**settings.DATABASES["default"], "NAME": name}) is None
