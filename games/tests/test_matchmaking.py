"""Matchmaking (SPEC §8): tickets, compatible pairs, rating windows, expiry, /ws/me/, and no double pairing."""

import threading
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken

from accounts import services as account_services
from config.asgi import application
from games import matchmaking
from games.models import MatchTicket, Player, Room
from games.tests.test_ws_protocol_doc import _validator

pytestmark = pytest.mark.django_db

URL = "/api/v1/matchmaking/"


def search(api, **fields):
    return api.post(URL, {"mode": "race", **fields}, format="json")


def test_alone_you_search_then_cancel(alice_api):
    response = search(alice_api)
    assert response.status_code == 202
    data = response.json()
    assert (data["status"], data["mode"], data["rated"], data["room"]) == ("searching", "race", False, None)
    assert data["settings"] == {"code_length": 4, "colors": 6}
    assert alice_api.get(URL).json()["status"] == "searching"
    assert alice_api.delete(URL).status_code == 204
    assert alice_api.get(URL).status_code == 404
    assert alice_api.delete(URL).status_code == 404


def test_two_compatible_players_get_a_started_race(alice_api, bob_api, alice, bob):
    search(alice_api)
    response = search(bob_api)
    assert response.status_code == 201
    room = response.json()["room"]
    assert (room["mode"], room["status"], room["private"]) == ("race", "playing", True)
    assert sorted(p["username"] for p in room["players"]) == ["alice", "bob"]
    assert room["owner"] == "alice"  # who waited longer
    theirs = alice_api.get(URL).json()
    assert (theirs["status"], theirs["room"]["code"]) == ("matched", room["code"])


@pytest.mark.parametrize(
    ("first", "second"),
    [({"colors": 8}, {}), ({"code_length": 5}, {}), ({"rated": True}, {})],
    ids=["colours", "pegs", "rated-vs-casual"],
)
def test_incompatible_tickets_wait(alice_api, bob_api, first, second):
    search(alice_api, **first)
    assert search(bob_api, **second).status_code == 202
    assert not Room.objects.exists()


def test_a_new_search_replaces_your_ticket(alice_api, alice):
    search(alice_api, colors=8)
    search(alice_api, colors=7)
    assert list(MatchTicket.objects.filter(user=alice).values_list("colors", flat=True)) == [7]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"mode": "duel"}, "mode"),
        ({"rated": "yes"}, "rated"),
        ({"colors": 11}, "colors"),
        ({"speed": 1}, "speed"),
    ],
)
def test_bad_searches_are_400(alice_api, fields, field):
    response = alice_api.post(URL, {"mode": "race", **fields}, format="json")
    assert response.status_code == 400 and response.json()["field"] == field
    assert not MatchTicket.objects.exists()


def test_guests_cannot_search_rated(client_for):
    guest = account_services.guest_create()
    response = search(client_for(guest), rated=True)
    assert response.status_code == 403
    assert search(client_for(guest)).status_code == 202  # casual is fine


@pytest.mark.parametrize(
    ("seconds", "window"), [(0, 200), (4.9, 200), (5, 250), (59, 750), (60, float("inf"))]
)
def test_the_rating_window_widens_with_the_wait(seconds, window):
    assert matchmaking.rating_window(timedelta(seconds=seconds)) == window


def test_far_ratings_pair_once_the_window_has_widened(alice_api, bob_api, alice):
    search(alice_api, rated=True)
    MatchTicket.objects.filter(user=alice).update(rating=1900)
    assert search(bob_api, rated=True).status_code == 202  # 400 apart, window 200
    MatchTicket.objects.filter(user=alice).update(created_at=timezone.now() - timedelta(seconds=10))
    assert matchmaking.sweep() == (0, 0)  # waited 10 s: window 300
    MatchTicket.objects.filter(user=alice).update(created_at=timezone.now() - timedelta(seconds=20))
    assert matchmaking.sweep() == (0, 1)  # waited 20 s: window 400
    assert alice_api.get(URL).json()["status"] == "matched"


def test_expired_tickets_are_marked_and_never_paired(alice_api, bob_api, alice):
    search(alice_api)
    MatchTicket.objects.filter(user=alice).update(created_at=timezone.now() - timedelta(minutes=6))
    assert matchmaking.sweep() == (1, 0)
    assert alice_api.get(URL).json()["status"] == "expired"
    assert search(bob_api).status_code == 202


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_match_found_arrives_on_ws_me(alice, bob, client_for):
    _, token = await database_sync_to_async(AuthToken.objects.create)(user=alice)
    comm = WebsocketCommunicator(application, "/ws/me/", subprotocols=["mastermind.v1", f"token.{token}"])
    connected, _ = await comm.connect(timeout=5)
    assert connected
    await database_sync_to_async(lambda: search(client_for(alice)))()
    response = await database_sync_to_async(lambda: search(client_for(bob)))()
    frame = await comm.receive_json_from(timeout=5)
    await comm.disconnect()
    assert frame["type"] == "match_found"
    assert frame["room"]["code"] == response.json()["room"]["code"]
    assert frame["room"]["status"] == "playing"
    _validator("#/components/messages/match_found/payload").validate(frame)  # docs/asyncapi.yaml


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_ws_me_needs_a_signed_in_user():
    comm = WebsocketCommunicator(application, "/ws/me/", subprotocols=["mastermind.v1"])
    connected, _ = await comm.connect(timeout=5)
    message = await comm.receive_output(timeout=5) if connected else {"type": "websocket.close", "code": 4401}
    assert message["type"] == "websocket.close" and message["code"] == 4401


@pytest.fixture
def long_pool_waits():
    """40 threads at once share the PostgreSQL pool (DB_POOL_MAX_SIZE, 20 by default): here they queue for
    a connection, as a server's admission control makes requests do, instead of failing after DB_POOL_TIMEOUT
    (1.5 s, the outage bound) on a busy machine. What is tested is the pairing, not the pool."""
    pool = connection.pool
    timeout, pool.timeout = pool.timeout, 60.0
    yield
    pool.timeout = timeout


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="40 concurrent pairings need PostgreSQL's row locks"
)
def test_forty_searchers_at_once_make_twenty_rooms(make_user, long_pool_waits):
    users = [make_user(f"searcher{n}") for n in range(40)]
    barrier, failures = threading.Barrier(40), []

    def searcher(user):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            matchmaking.ticket_open(user=user)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=searcher, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    matchmaking.sweep()  # the server's loop pairs whoever met a partner mid-pairing
    assert Room.objects.count() == 20
    seats = Player.objects.values_list("user_id", flat=True)
    assert sorted(seats) == sorted(u.id for u in users)
    assert all(n == 2 for n in Room.objects.values_list("max_players", flat=True))
    assert set(MatchTicket.objects.values_list("status", flat=True)) == {"matched"}


# --- the lobby's Find an opponent ------------------------------------------------


def test_find_an_opponent_waits_then_lands_on_the_board(alice, bob):
    from django.test import Client

    first, second = Client(), Client()
    first.force_login(alice)
    second.force_login(bob)
    assert 'action="/play/match/"' in first.get("/").content.decode()
    assert first.post("/play/match/", {"rated": "on"})["Location"] == "/play/match/"
    waiting = first.get("/play/match/")
    assert "Searching for a rated race" in waiting.content.decode() and "waited" in waiting.content.decode()
    assert 'hx-trigger="every 2s"' in waiting.content.decode()
    assert 'http-equiv="refresh"' in waiting.content.decode()  # without JavaScript
    response = second.post("/play/match/", {"rated": "on"})
    room = Room.objects.get()
    assert response["Location"] == f"/rooms/{room.code}/"
    assert first.get("/play/match/")["Location"] == f"/rooms/{room.code}/"
    assert first.get("/play/match/", headers={"HX-Request": "true"})["HX-Redirect"] == f"/rooms/{room.code}/"


def test_cancel_leaves_the_pool(alice):
    from django.test import Client

    browser = Client()
    browser.force_login(alice)
    browser.post("/play/match/")
    assert browser.post("/play/match/", {"action": "cancel"})["Location"] == "/"
    assert not MatchTicket.objects.exists()
    assert browser.get("/play/match/")["Location"] == "/"


def test_an_expired_search_offers_to_search_again(alice):
    from django.test import Client

    browser = Client()
    browser.force_login(alice)
    browser.post("/play/match/")
    MatchTicket.objects.update(created_at=timezone.now() - timedelta(minutes=6))
    matchmaking.sweep()
    page = browser.get("/play/match/").content.decode()
    assert "Nobody was found in 5 minutes" in page and "Search again" in page


def test_a_guest_searching_rated_by_hand_gets_403_on_the_lobby():
    from django.test import Client

    browser = Client()
    browser.post("/play/now/")
    assert 'name="rated"' not in browser.get("/").content.decode()
    response = browser.post("/play/match/", {"rated": "on"})
    assert response.status_code == 403 and "Guests play unrated games" in response.content.decode()
