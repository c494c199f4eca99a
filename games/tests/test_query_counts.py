"""Query budgets of the hot REST endpoints, pinned so an N+1 cannot creep in.

Every count includes Knox token authentication: 1 query per request, the
token with its user (accounts.auth checks only that token's expiry, not the
user's every token). A token also costs one UPDATE when its expiry is
renewed, at most once per REST_KNOX["MIN_REFRESH_INTERVAL"] (an hour); the
tokens here are fresh, so that is not counted (test_token_refresh_* pin it).

Inside a test the services' transaction is a savepoint (SAVEPOINT and RELEASE
count as 2 queries); in a server it is BEGIN and COMMIT instead, the same two
round trips, though Django logs only SQLite's BEGIN. The budgets below say
how many of their queries are these brackets. Counts were measured with
CaptureQueriesContext on SQLite and on PostgreSQL (psycopg 3) and were the
same on both.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from knox.models import AuthToken

from games import services
from games.models import Room
from games.tests.factories import make_room, submit_guess, wrong_guess

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/rooms/"


def make_rooms(make_user, *, rooms: int, players: int, prefix: str) -> None:
    """Race rooms in every state: waiting, playing, and finished with a winner."""
    for i in range(rooms):
        users = [make_user(f"{prefix}{i}-{j}") for j in range(players)]
        room = services.room_create(user=users[0], mode="race", max_players=max(players, 2))
        for user in users[1:]:
            services.room_join(room_code=room.code, user=user)
        if i % 3 == 0:
            continue
        services.room_start(room_code=room.code, user=users[0])
        if i % 3 == 2:
            room.refresh_from_db()
            services.guess_submit(room_code=room.code, user=users[0], guess=room.secret)
            for user in users[1:]:
                services.room_leave(room_code=room.code, user=user)


def started_race(owner, *others) -> Room:
    return make_room(owner, "race", "playing", join=others, max_guesses=20)


def guess_over_rest(api, room: Room, **headers):
    """POST a wrong guess to the room's guesses endpoint. `room` has its secret loaded, so
    picking the guess costs no query inside a counted block."""
    return api.post(f"{ROOMS}{room.code}/guesses/", {"guess": wrong_guess(room)}, format="json", **headers)


def statements(queries) -> list[str]:
    """The captured SQL without the savepoint brackets: what a server runs between BEGIN and COMMIT."""
    sqls = [q["sql"] for q in queries.captured_queries]
    return [sql for sql in sqls if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_me_budget(alice, alice_api, django_assert_num_queries):
    """GET /api/v1/auth/me/: exactly 3 queries on SQLite and PostgreSQL: auth, the stats
    (totals and per-mode counts in one aggregate), then the ratings (issue #13). It was 4 before
    issue #9: Knox's scan of the user's tokens and a second, grouped stats query; issue #9's
    budget is 3."""
    room = services.quick_play(user=alice)
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    with django_assert_num_queries(3):
        response = alice_api.get("/api/v1/auth/me/")
    assert response.status_code == 200
    assert response.json()["stats"]["by_mode"]["solo"] == {"games": 1, "wins": 1}


def test_room_list_is_constant_in_rooms_and_players(make_user, client_for, django_assert_max_num_queries):
    """GET /api/v1/rooms/: 5 queries on SQLite and PostgreSQL the first time, for 2 rooms × 2 players
    and 12 rooms with up to 4 players alike: auth, the page's ids and versions (player count
    annotated), then for the rooms not rendered yet at their version (games/api/room_list.py): the
    rooms with owner and winner joined, their players with their users, their rematch codes. Asked
    again with nothing changed, 2: auth and the page's ids and versions."""
    api = client_for(make_user("viewer"))
    make_rooms(make_user, rooms=2, players=2, prefix="small")
    with django_assert_max_num_queries(5) as small:
        response = api.get(ROOMS)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2

    make_rooms(make_user, rooms=10, players=4, prefix="big")
    with django_assert_max_num_queries(5) as big:
        response = api.get(ROOMS)
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 12
    assert sum(len(room["players"]) for room in results) == 2 * 2 + 10 * 4
    assert {room["status"] for room in results} == {"waiting", "playing", "finished"}
    assert len(big) == len(small)

    with django_assert_max_num_queries(2) as again:
        response = api.get(ROOMS)
    assert response.json()["results"] == results
    assert len(again) == 2


def test_room_detail_budget(alice, bob, carol, bob_api, django_assert_num_queries):
    """GET /api/v1/rooms/{code}/: exactly 4 queries on SQLite and PostgreSQL: auth, the room
    (owner and winner joined), its players with their users, its rematch code."""
    room = started_race(alice, bob, carol)
    with django_assert_num_queries(4):
        response = bob_api.get(f"{ROOMS}{room.code}/")
    assert response.status_code == 200
    assert len(response.json()["players"]) == 3


def test_race_guess_that_does_not_finish_budget(alice, bob, carol, bob_api, django_assert_num_queries):
    """POST /api/v1/rooms/{code}/guesses/, a race guess that does not end the game: exactly 8
    queries on SQLite and PostgreSQL, 6 statements in the 2 brackets: auth, savepoint, lock the
    room and its players (with their users) in one statement, insert the guess, insert the
    event, update the player's changed fields, update the room's version and guess count,
    release. "Anyone still playing?" is answered from the locked players. It was 11: Knox's
    token scan, a separate player query, the "still playing?" query, full-row updates."""
    room = started_race(alice, bob, carol)
    with django_assert_num_queries(8) as queries:
        response = guess_over_rest(bob_api, room)
    assert response.status_code == 201
    assert response.json()["solved"] is False
    assert len(statements(queries)) == 6


def test_race_guess_with_an_idempotency_key_budget(alice, bob, carol, bob_api, django_assert_num_queries):
    """The same 8 queries with an Idempotency-Key: the key is not looked up before the move (the
    unique constraint catches a retry). It was 12."""
    room = started_race(alice, bob, carol)
    with django_assert_num_queries(8):
        response = guess_over_rest(bob_api, room, HTTP_IDEMPOTENCY_KEY="m1")
    assert response.status_code == 201


def test_retried_guess_budget(alice, bob, carol, bob_api, django_assert_num_queries):
    """A retry of an applied move: exactly 7 queries: auth, savepoint, lock, the insert that
    conflicts, rollback to the savepoint, release, and only now the lookup of the first result."""
    room = started_race(alice, bob, carol)
    first = guess_over_rest(bob_api, room, HTTP_IDEMPOTENCY_KEY="m1")
    with django_assert_num_queries(7):
        again = guess_over_rest(bob_api, room, HTTP_IDEMPOTENCY_KEY="m1")
    assert again.status_code == 201
    assert again.json() == first.json()


def test_race_guess_budget_does_not_grow_with_guesses_made(
    alice, bob, carol, bob_api, django_assert_num_queries
):
    """The same 8 queries for the 10th guess on a board as for the 1st."""
    room = started_race(alice, bob, carol)
    for _ in range(9):
        submit_guess(room, bob)
        submit_guess(room, carol)
    with django_assert_num_queries(8):
        response = guess_over_rest(bob_api, room)
    assert response.status_code == 201
    assert response.json()["number"] == 10


def test_coop_guess_budget(alice, bob, alice_api, django_assert_num_queries):
    """A shared-board guess costs the same 8 queries as a race guess: its number comes from the
    room's guess counter, on the locked row, not from MAX(number) over the guesses (it was 11)."""
    room = make_room(alice, "coop", "playing", join=[bob])
    submit_guess(room, bob)
    with django_assert_num_queries(8):
        response = guess_over_rest(alice_api, room)
    assert response.status_code == 201
    assert response.json()["number"] == 2


def test_guess_service_budget_the_socket_pays(alice, bob, carol, django_assert_num_queries):
    """services.guess_submit alone, as the socket's make_move calls it (the socket authenticated
    at connect): exactly 7 queries, 5 statements in the 2 brackets."""
    room = started_race(alice, bob, carol)
    with django_assert_num_queries(7) as queries:
        services.guess_submit(room_code=room.code, user=bob, guess=wrong_guess(room), request_id="s1")
    assert len(statements(queries)) == 5


def test_solo_guess_that_finishes_budget(alice, alice_api, django_assert_num_queries):
    """POST /api/v1/rooms/{code}/guesses/, a solo guess that solves and ends the game: exactly 9
    queries on SQLite and PostgreSQL: the 8 of a plain guess plus the `game_finished` event. The
    rules decide the place and the end before anything is written, so the player and the room
    are each updated once, and the event's players come from the locked rows (it was 15, then
    12 with a separate award, players snapshot and second room update)."""
    room = services.quick_play(user=alice)
    with django_assert_num_queries(9):
        response = alice_api.post(f"{ROOMS}{room.code}/guesses/", {"guess": room.secret}, format="json")
    assert response.status_code == 201
    assert response.json()["solved"] is True
    room.refresh_from_db()
    assert room.status == Room.Status.FINISHED


def test_guess_list_is_constant_in_the_number_of_guesses(
    alice, bob, carol, bob_api, django_assert_max_num_queries
):
    """GET /api/v1/rooms/{code}/guesses/: 5 queries on SQLite and PostgreSQL for 2 guesses and for
    20 alike: auth, the room, its players, its rematch code, the guesses with their players and users. Bob views a
    race, so a rival's colours are hidden per guess without extra queries."""
    room = started_race(alice, bob, carol)
    for user in (alice, bob):
        services.guess_submit(room_code=room.code, user=user, guess=wrong_guess(room))
    with django_assert_max_num_queries(5) as few:
        response = bob_api.get(f"{ROOMS}{room.code}/guesses/")
    assert response.status_code == 200
    assert len(response.json()) == 2

    for _ in range(6):
        for user in (alice, bob, carol):
            services.guess_submit(room_code=room.code, user=user, guess=wrong_guess(room))
    with django_assert_max_num_queries(5) as many:
        response = bob_api.get(f"{ROOMS}{room.code}/guesses/")
    assert response.status_code == 200
    items = response.json()
    assert len(items) == 20
    assert {item["guess"] is None for item in items if item["username"] != "bob"} == {True}

    assert len(many) == len(few)


def test_token_refresh_is_written_at_most_once_per_interval(alice, client_for, django_assert_num_queries):
    """A token in use renews its expiry with one UPDATE only once it would move by more than
    MIN_REFRESH_INTERVAL (an hour): a request an hour and a bit after the last renewal pays
    `me`'s 2 queries and that UPDATE, the next request 2 again."""
    api = client_for(alice)
    token = AuthToken.objects.get(user=alice)
    token.expiry -= timedelta(seconds=settings.REST_KNOX["MIN_REFRESH_INTERVAL"] + 60)
    token.save(update_fields=["expiry"])
    with django_assert_num_queries(4) as renewing:
        assert api.get("/api/v1/auth/me/").status_code == 200
    assert [
        q["sql"].split(" SET ")[0] for q in renewing.captured_queries if q["sql"].startswith("UPDATE")
    ] == ['UPDATE "knox_authtoken"']
    renewed = AuthToken.objects.get(pk=token.pk).expiry
    assert renewed > token.expiry
    with django_assert_num_queries(3):
        assert api.get("/api/v1/auth/me/").status_code == 200
    assert AuthToken.objects.get(pk=token.pk).expiry == renewed


def test_a_room_read_once_serves_every_viewer_without_another_query(
    alice, bob, carol, dave, django_assert_num_queries
):
    """The HTML sockets read a room once per event (5 queries) and serialise it per viewer for free."""
    from django.contrib.auth.models import AnonymousUser

    from games import boards

    room = started_race(alice, bob)
    services.guess_submit(room_code=room.code, user=bob, guess=wrong_guess(room))
    services.chat_post(room_code=room.code, user=carol, text="go bob")
    private = services.room_create(user=dave, mode="race", private=True)

    with django_assert_num_queries(5):
        snapshot = boards.room_snapshot(room.code)
    hidden = boards.room_snapshot(private.code)
    with django_assert_num_queries(0):
        states = {user.username: boards.state_for(snapshot, user) for user in (alice, bob, carol)}
        anonymous = boards.state_for(snapshot, AnonymousUser())
        outsider = boards.state_for(hidden, carol)

    # The same per-viewer views as before: bob sees his colours, alice and carol do not.
    assert states["bob"]["guesses"][0]["guess"] is not None
    assert states["alice"]["guesses"][0]["guess"] is None
    assert states["carol"]["guesses"][0]["guess"] is None
    assert states["carol"]["chat"][0]["text"] == "go bob"
    assert anonymous["room"]["code"] == room.code
    assert outsider is None
    assert states["bob"] == boards.room_state(room.code, bob)
