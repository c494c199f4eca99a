"""Shared fixtures: alice, bob, carol (and dave) with API clients.

Test data is made through the real services, so it is always valid.
"""

import os
import uuid

import pytest
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient

# Generous rates so tests are never throttled by each other; the throttle
# tests set their own.
TEST_THROTTLE_RATES = {
    scope: "100000/min" for scope in ("anon", "user", "register", "login", "guest", "guess", "chat")
}


def pytest_configure(config):
    """Fail loudly, before any test, when a configured real server does not answer."""
    from django.conf import settings

    problems = []
    if os.environ.get("DATABASE_URL"):
        problem = database_problem(settings.DATABASES["default"])
        if problem:
            problems.append(problem)
    if os.environ.get("REDIS_URL"):
        import redis

        try:
            redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).ping()
        except Exception as exc:  # noqa: BLE001
            problems.append(f"REDIS_URL is set but Redis does not answer: {exc}")
    if problems:
        raise pytest.UsageError("\n".join(problems))


def database_problem(db: dict) -> str | None:
    """Why the PostgreSQL server in DATABASE_URL cannot be used, or None.

    A server that answers but has no such database is told apart from one
    that does not answer: the fix is `createdb`, not starting a server.
    """
    import psycopg

    where = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
    try:
        psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            user=db["USER"],
            dbname=db["NAME"],
            password=db.get("PASSWORD") or None,
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as exc:
        if f'database "{db["NAME"]}" does not exist' in str(exc):
            return (
                f'DATABASE_URL names database "{db["NAME"]}", which does not exist on {where}; '
                f"create it first: createdb -h {db['HOST'] or 'localhost'} -p {db['PORT'] or 5432} "
                f"-U {db['USER']} {db['NAME']}"
            )
        return f"DATABASE_URL is set but PostgreSQL on {where} does not answer: {exc}"
    return None


@pytest.fixture(autouse=True)
def _test_settings(settings, worker_id):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": TEST_THROTTLE_RATES}
    # The in-process ASGI app must not start a bot loop on each test's
    # short-lived event loop; bots are driven by bots.tick() in tests, and
    # the real daphne processes (games/tests/servers.py) run their own loop.
    settings.BOTS_IN_SERVER = False
    # A channel layer of the test's own: no group members left by an earlier
    # test, and on Redis no other test's events (pub/sub channels are shared
    # by every database number, so by parallel workers and other runs).
    layer = settings.CHANNEL_LAYERS["default"]
    if "CONFIG" in layer:
        config = {**layer["CONFIG"], "prefix": f"test-{worker_id}-{uuid.uuid4().hex[:12]}"}
        settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": config}}
    else:
        settings.CHANNEL_LAYERS = {"default": dict(layer)}
    if "KEY_PREFIX" in settings.CACHES["default"]:
        # Redis is shared by parallel workers (and other runs): a fresh key
        # prefix per test starts its throttle counters at zero, where
        # cache.clear() would FLUSHDB everyone else's.
        prefix = f"test-{worker_id}-{uuid.uuid4().hex}"
        settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": prefix}}
    else:
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _socket_threads_let_go():
    """After each test, the socket database threads give back their connections.

    Channels' test communicator turns off the per-call close (it would close
    the test's own connection), so a pool thread would otherwise keep its
    connection open and PostgreSQL would refuse to drop the test database.
    The same goes for asgiref's one thread for thread-sensitive calls
    (Channels' `database_sync_to_async` in tests): a connection it kept from
    the last such call under a communicator was the "database is being
    accessed by other users" warning at the end of PostgreSQL runs.
    """
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    from games.threads import close_connections

    close_connections()
    single = SyncToAsync.single_thread_executor
    if single._threads:  # type: ignore[attr-defined] - a ThreadPoolExecutor's own
        single.submit(connections.close_all).result(timeout=10)


@pytest.fixture
def make_user(django_user_model):
    def make(username: str, password: str = "correct horse battery staple"):
        return django_user_model.objects.create_user(username=username, password=password)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def carol(make_user):
    return make_user("carol")


@pytest.fixture
def dave(make_user):
    return make_user("dave")


@pytest.fixture
def client_for():
    """An API client authenticated with a real Knox token for `user`."""

    def make(user) -> APIClient:
        client = APIClient()
        _, token = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


@pytest.fixture
def alice_api(client_for, alice):
    return client_for(alice)


@pytest.fixture
def bob_api(client_for, bob):
    return client_for(bob)


@pytest.fixture
def carol_api(client_for, carol):
    return client_for(carol)


@pytest.fixture
def anon_api():
    return APIClient()
