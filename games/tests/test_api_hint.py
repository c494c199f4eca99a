"""GET /api/v1/rooms/{code}/hint/: the solver's help in solo games."""

import pytest

from games import rules, services
from games.models import Room, RoomEvent
from games.tests.factories import make_room, wrong_guess
from games.tests.oracles import consistent_codes

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/rooms/"


def hint(client, code):
    return client.get(f"{ROOMS}{code}/hint/")


def consistent_count(room: Room, history) -> int:
    """Brute force, independent of the solver."""
    return len(consistent_codes(rules.all_codes(room.game_settings), history))


def test_first_hint_counts_every_code_and_suggests_knuths_opening(alice_api, alice):
    room = services.quick_play(user=alice)
    response = hint(alice_api, room.code)
    assert response.status_code == 200
    assert response.json() == {"possible": 1296, "exact": True, "suggestion": [0, 0, 1, 1]}


def test_hint_after_guesses_counts_the_consistent_codes(alice_api, alice):
    room = make_room(alice, "quick")
    history = []
    # Two guesses that differ from the secret in every peg, so neither ends the game.
    for shift in (1, 2):
        guess = wrong_guess(room, shift=shift)
        result = services.guess_submit(room_code=room.code, user=alice, guess=guess)
        history.append((guess, rules.Feedback(result.exact, result.misplaced)))

    body = hint(alice_api, room.code).json()

    assert body["possible"] == consistent_count(room, history)
    assert body["exact"] is True
    rules.validate_code(body["suggestion"], room.game_settings)


def test_following_the_hints_solves_a_solo_game_within_five_guesses(alice_api, alice):
    room = services.quick_play(user=alice)
    url = f"{ROOMS}{room.code}/guesses/"
    for _ in range(5):
        suggestion = hint(alice_api, room.code).json()["suggestion"]
        if alice_api.post(url, {"guess": suggestion}, format="json").json()["solved"]:
            break
    room.refresh_from_db()
    assert room.status == Room.Status.FINISHED
    assert room.winner == alice


def test_hint_marks_the_room_and_the_win_counts_apart(alice_api, alice):
    room = services.quick_play(user=alice)
    version = Room.objects.get(pk=room.pk).version
    hint(alice_api, room.code)
    room.refresh_from_db()
    assert room.hints_used is True
    # A note on the record, not a game event.
    assert room.version == version
    assert not RoomEvent.objects.filter(room=room, version__gt=version).exists()
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)

    stats = alice_api.get("/api/v1/auth/me/").json()["stats"]
    assert (stats["wins"], stats["hinted_wins"], stats["avg_guesses"]) == (0, 1, None)
    row = alice_api.get("/api/v1/leaderboard/").json()[0]
    assert (row["username"], row["wins"], row["hinted_wins"]) == ("alice", 0, 1)


def test_hint_in_a_race_is_403(alice_api, alice, bob):
    room = services.room_create(user=alice, mode="race")
    services.room_join(room_code=room.code, user=bob)
    services.room_start(room_code=room.code, user=alice)
    response = hint(alice_api, room.code)
    assert response.status_code == 403
    assert Room.objects.get(pk=room.pk).hints_used is False


def test_hint_for_someone_elses_solo_game_is_403(bob_api, alice):
    room = services.quick_play(user=alice)
    assert hint(bob_api, room.code).status_code == 403


def test_hint_after_the_game_is_409(alice_api, alice):
    room = services.quick_play(user=alice)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    assert hint(alice_api, room.code).status_code == 409


def test_hint_for_an_unknown_room_is_404(alice_api):
    assert hint(alice_api, "ZZZZZZ").status_code == 404


def test_hint_needs_a_token(anon_api, alice):
    room = services.quick_play(user=alice)
    assert hint(anon_api, room.code).status_code == 401


def test_hint_in_the_largest_space_answers_with_a_valid_code(alice_api, alice):
    room = make_room(alice, "quick", code_length=8, colors=10, max_guesses=20)
    services.guess_submit(room_code=room.code, user=alice, guess=wrong_guess(room))
    body = hint(alice_api, room.code).json()
    rules.validate_code(body["suggestion"], room.game_settings)
    assert body["possible"] >= 1


# --- the board page's Hint button ------------------------------------------------


def test_board_hint_button_shows_the_count_and_a_suggestion(alice):
    from django.test import Client

    room = services.quick_play(user=alice)
    client = Client()
    client.force_login(alice)
    assert f'action="/rooms/{room.code}/hint/"' in client.get(f"/rooms/{room.code}/").content.decode()
    response = client.post(f"/rooms/{room.code}/hint/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "1296 codes still possible" in page
    assert Room.objects.get(pk=room.pk).hints_used is True


def test_board_hint_in_a_race_is_403_and_offers_no_button(alice, bob):
    from django.test import Client

    room = services.room_create(user=alice, mode="race")
    services.room_join(room_code=room.code, user=bob)
    services.room_start(room_code=room.code, user=alice)
    client = Client()
    client.force_login(alice)
    assert "/hint/" not in client.get(f"/rooms/{room.code}/").content.decode()
    assert client.post(f"/rooms/{room.code}/hint/").status_code == 403
