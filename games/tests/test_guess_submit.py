"""guess_submit's idempotency key, outsiders and shared-board numbering (#9).

The key is not read before the move: the unique (player, request_id) catches
a retry of an applied move, and a refused move looks the key up before it
refuses. These pin what a client sees either way.
"""

import importlib

import pytest
from django.apps import apps

from games import services
from games.exceptions import InvalidMove, NotAllowed, RoomNotFound, WrongState
from games.models import Guess, Room, RoomEvent
from games.tests.factories import make_room, wrong_guess

pytestmark = pytest.mark.django_db


def log(room: Room) -> list[tuple[int, str]]:
    return list(RoomEvent.objects.filter(room=room).order_by("version").values_list("version", "kind"))


def test_a_retry_after_the_move_finished_the_game_returns_the_first_result(
    alice, django_capture_on_commit_callbacks
):
    room = services.quick_play(user=alice)
    first = services.guess_submit(room_code=room.code, user=alice, guess=room.secret, request_id="win")
    events_before = log(room)
    with django_capture_on_commit_callbacks() as callbacks:
        again = services.guess_submit(room_code=room.code, user=alice, guess=room.secret, request_id="win")
    assert again == first
    assert first.solved and first.version == 2
    assert callbacks == []
    assert log(room) == events_before
    assert Guess.objects.filter(room=room).count() == 1


def test_a_retry_after_the_move_used_the_last_guess_returns_the_first_result(alice, bob):
    room = make_room(alice, "race", "playing", join=[bob], max_guesses=1)
    first = services.guess_submit(room_code=room.code, user=bob, guess=wrong_guess(room), request_id="last")
    assert first.remaining == 0
    again = services.guess_submit(room_code=room.code, user=bob, guess=wrong_guess(room), request_id="last")
    assert again == first


def test_a_retry_while_the_game_goes_on_changes_nothing_and_sends_nothing(
    alice, bob, django_capture_on_commit_callbacks
):
    room = make_room(alice, "coop", "playing", join=[bob])
    first = services.guess_submit(room_code=room.code, user=bob, guess=wrong_guess(room), request_id="m1")
    room.refresh_from_db()
    with django_capture_on_commit_callbacks() as callbacks:
        again = services.guess_submit(room_code=room.code, user=bob, guess=wrong_guess(room), request_id="m1")
    assert again == first
    assert callbacks == []
    assert Room.objects.get(pk=room.pk).version == room.version
    assert Room.objects.get(pk=room.pk).guesses_made == 1
    # The rolled-back attempt left the room usable: the next move is number 2.
    assert services.guess_submit(room_code=room.code, user=alice, guess=wrong_guess(room)).number == 2


def test_a_key_reused_for_another_guess_is_400_while_playing_and_after_the_end(alice):
    room = services.quick_play(user=alice)
    services.guess_submit(room_code=room.code, user=alice, guess=wrong_guess(room), request_id="k")
    with pytest.raises(InvalidMove) as playing:
        services.guess_submit(room_code=room.code, user=alice, guess=room.secret, request_id="k")
    assert playing.value.field == "request_id"

    services.guess_submit(room_code=room.code, user=alice, guess=room.secret, request_id="win")
    with pytest.raises(InvalidMove) as finished:
        services.guess_submit(room_code=room.code, user=alice, guess=wrong_guess(room), request_id="win")
    assert finished.value.field == "request_id"
    assert Guess.objects.filter(room=room).count() == 2


def test_a_key_reused_over_rest_after_the_end_is_400(alice, alice_api):
    room = services.quick_play(user=alice)
    url = f"/api/v1/rooms/{room.code}/guesses/"
    won = alice_api.post(url, {"guess": room.secret}, format="json", HTTP_IDEMPOTENCY_KEY="w")
    assert won.status_code == 201
    again = alice_api.post(url, {"guess": room.secret}, format="json", HTTP_IDEMPOTENCY_KEY="w")
    assert (again.status_code, again.json()) == (201, won.json())
    other = alice_api.post(url, {"guess": wrong_guess(room)}, format="json", HTTP_IDEMPOTENCY_KEY="w")
    assert (other.status_code, other.json()["field"]) == (400, "Idempotency-Key")
    fresh = alice_api.post(url, {"guess": wrong_guess(room)}, format="json", HTTP_IDEMPOTENCY_KEY="new")
    assert (fresh.status_code, fresh.json()["code"]) == (409, "wrong_state")


def test_a_new_key_after_the_end_is_still_409(alice):
    room = services.quick_play(user=alice)
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret, request_id="win")
    with pytest.raises(WrongState):
        services.guess_submit(room_code=room.code, user=alice, guess=room.secret, request_id="other")


def test_keys_are_per_player(alice, bob):
    room = make_room(alice, "coop", "playing", join=[bob])
    a = services.guess_submit(room_code=room.code, user=alice, guess=wrong_guess(room), request_id="same")
    b = services.guess_submit(room_code=room.code, user=bob, guess=wrong_guess(room), request_id="same")
    assert (a.number, b.number) == (1, 2)


def test_outsiders_are_404_in_a_private_room_and_403_in_a_public_one(alice, bob):
    private = make_room(alice, "solo", "playing", private=True)
    public = make_room(alice, "solo", "playing")
    with pytest.raises(RoomNotFound):
        services.guess_submit(room_code=private.code, user=bob, guess=wrong_guess(private), request_id="x")
    with pytest.raises(NotAllowed):
        services.guess_submit(room_code=public.code, user=bob, guess=wrong_guess(public), request_id="x")
    with pytest.raises(RoomNotFound):
        services.guess_submit(room_code="ZZZZZZ", user=bob, guess=[0, 0, 0, 0])


def test_a_room_everyone_left_is_still_found_and_refused(alice, bob):
    room = services.room_create(user=alice, mode="race")
    services.room_leave(room_code=room.code, user=alice)
    with pytest.raises(NotAllowed):
        services.guess_submit(room_code=room.code, user=bob, guess=[0, 0, 0, 0])


def test_the_shared_board_numbers_every_players_guesses_in_turn(alice, bob, carol):
    room = make_room(alice, "coop", "playing", join=[bob, carol], max_guesses=6)
    numbers = [
        services.guess_submit(room_code=room.code, user=user, guess=wrong_guess(room)).number
        for user in (alice, bob, carol, bob, alice)
    ]
    assert numbers == [1, 2, 3, 4, 5]
    room.refresh_from_db()
    assert room.guesses_made == 5
    last = services.guess_submit(room_code=room.code, user=carol, guess=wrong_guess(room))
    assert (last.number, last.remaining) == (6, 0)
    room.refresh_from_db()
    assert room.status == Room.Status.FINISHED
    assert [kind for _, kind in log(room)][-2:] == ["guess", "game_finished"]


def test_a_race_where_everyone_runs_out_finishes_on_the_last_guess(alice, bob):
    room = make_room(alice, "race", "playing", join=[bob], max_guesses=1)
    services.guess_submit(room_code=room.code, user=alice, guess=wrong_guess(room))
    assert Room.objects.get(pk=room.pk).status == Room.Status.PLAYING
    services.guess_submit(room_code=room.code, user=bob, guess=wrong_guess(room))
    room.refresh_from_db()
    assert room.status == Room.Status.FINISHED
    assert room.winner is None
    assert room.guesses_made == 2
    versions = [version for version, _ in log(room)]
    assert versions == list(range(1, room.version + 1))


def test_the_migration_counts_the_guesses_rooms_already_have(alice, bob):
    coop = make_room(alice, "coop", "playing", join=[bob])
    race = make_room(alice, "race", "playing", join=[bob])
    for user in (alice, bob, alice):
        services.guess_submit(room_code=coop.code, user=user, guess=wrong_guess(coop))
        services.guess_submit(room_code=race.code, user=user, guess=wrong_guess(race))
    empty = make_room(alice, "solo", "playing")
    Room.objects.update(guesses_made=0)

    migration = importlib.import_module("games.migrations.0003_room_guesses_made")
    migration.count_existing_guesses(apps, None)

    counts = dict(Room.objects.values_list("code", "guesses_made"))
    assert (counts[coop.code], counts[race.code], counts[empty.code]) == (3, 3, 0)
