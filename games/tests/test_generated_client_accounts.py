"""A client generated from the live schema reads profiles, changes a password and deletes an account (#12).

The riskiest parts of these endpoints for a generated client: nullable
nested ratings, a cursor page of rooms under a username, a 202 and 204
without a body, and a DELETE that carries a JSON body.
"""

import importlib

import pytest

from games.tests.servers import live_server
from games.tests.test_generated_clients import PASSWORD, generate_python_client, generated_package  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

NEW = "a brand new passphrase"


def test_the_generated_python_client_uses_profiles_and_account_endpoints(generated_package):  # noqa: F811
    tmp_path, name = generated_package
    with live_server() as server:
        client_module = generate_python_client(server, tmp_path, name)

        def api(path: str):
            return importlib.import_module(f"{name}.api.{path}")

        models = importlib.import_module(f"{name}.models")
        anon = client_module.Client(base_url=server.http_url, raise_on_unexpected_status=True)
        register = api("auth.auth_register_create")
        token = register.sync(client=anon, body=models.RegisterRequest(username="pyacct", password=PASSWORD))
        me = client_module.AuthenticatedClient(
            base_url=server.http_url, token=token.token, prefix="Token", raise_on_unexpected_status=True
        )
        room = api("quick_play.quick_play_create").sync(
            client=me, body=models.QuickPlayRequest(code_length=2, colors=2, max_guesses=4)
        )
        for guess in ([0, 0], [0, 1], [1, 0], [1, 1]):
            result = api("rooms.rooms_guesses_create").sync(
                code=room.code, client=me, body=models.GuessInputRequest(guess=guess)
            )
            if result.solved:
                break

        profile = api("users.users_retrieve").sync(username="pyacct", client=anon)
        assert isinstance(profile, models.Profile), profile
        assert (profile.username, profile.guest, profile.stats.games) == ("pyacct", False, 1)
        assert profile.ratings.race is None and profile.ratings.duel is None
        games = api("users.users_games_list").sync(username="pyacct", client=anon, page_size=5)
        assert isinstance(games, models.PaginatedRoomList), games
        assert [r.code for r in games.results] == [room.code]
        missing = api("users.users_retrieve").sync(username="nobody", client=anon)
        assert isinstance(missing, models.Error) and missing.code == "not_found", missing

        wrong = api("auth.auth_password_create").sync_detailed(
            client=me, body=models.PasswordChangeRequest(old_password="not it", new_password=NEW)
        )
        assert wrong.status_code == 400
        assert isinstance(wrong.parsed, models.Error) and wrong.parsed.field == "old_password"
        changed = api("auth.auth_password_create").sync_detailed(
            client=me, body=models.PasswordChangeRequest(old_password=PASSWORD, new_password=NEW)
        )
        assert changed.status_code == 204
        reset = api("auth.auth_password_reset_create").sync_detailed(
            client=anon, body=models.PasswordResetRequest(email="nobody@example.com")
        )
        assert reset.status_code == 202

        deleted = api("auth.auth_me_destroy").sync_detailed(
            client=me, body=models.AccountDeleteRequest(password=NEW)
        )
        assert deleted.status_code == 204
        gone = api("auth.auth_me_retrieve").sync_detailed(client=me)
        assert gone.status_code == 401
        assert isinstance(api("users.users_retrieve").sync(username="pyacct", client=anon), models.Error)
