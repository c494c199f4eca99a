"""GET and POST /api/v1/rooms/{code}/guesses/, with the Idempotency-Key (SPEC §3)."""

import pytest

from games import rules
from games.models import Guess, Room
from games.tests.api import (
    GUESS_RESULT_KEYS,
    QUICK_PLAY,
    ROOMS,
    call,
    create,
    guess,
    players,
    post,
    refused,
    url,
)
from games.tests.factories import secret_of, wrong_guess

pytestmark = pytest.mark.django_db


# --- guesses: GET ---------------------------------------------------------------------


def test_guesses_are_listed_oldest_first(alice_api, bob_api):
    code = create(alice_api, mode="coop")["code"]
    call(bob_api, code, "join")
    call(alice_api, code, "start")
    wrong = wrong_guess(code)
    guess(alice_api, code, wrong)
    guess(bob_api, code, wrong)
    guess(alice_api, code, wrong)
    response = bob_api.get(url(code, "guesses"))
    assert response.status_code == 200
    rows = response.json()
    assert [(row["number"], row["username"]) for row in rows] == [(1, "alice"), (2, "bob"), (3, "alice")]
    assert all(row["guess"] == wrong for row in rows)
    score = rules.score(secret_of(code), wrong)
    assert all((row["exact"], row["misplaced"]) == score for row in rows)


def test_guesses_of_a_new_game_are_empty(alice_api, solo):
    response = alice_api.get(url(solo, "guesses"))
    assert response.status_code == 200
    assert response.json() == []


def test_race_rivals_see_feedback_but_not_colours(alice_api, bob_api, carol_api, started_race):
    wrong = wrong_guess(started_race)
    guess(alice_api, started_race, wrong)
    [own] = alice_api.get(url(started_race, "guesses")).json()
    [rival] = bob_api.get(url(started_race, "guesses")).json()
    [spectated] = carol_api.get(url(started_race, "guesses")).json()
    assert own["guess"] == wrong
    assert rival["guess"] is None
    assert spectated["guess"] is None
    assert (rival["number"], rival["exact"], rival["misplaced"]) == (
        own["number"],
        own["exact"],
        own["misplaced"],
    )


def test_guesses_of_a_private_room_one_is_not_in_are_404(alice_api, carol_api):
    code = create(alice_api, mode="solo", private=True)["code"]
    assert carol_api.get(url(code, "guesses")).status_code == 404


def test_guesses_of_unknown_room_are_404(alice_api):
    assert alice_api.get(url("ZZZZZZ", "guesses")).status_code == 404


# --- guesses: POST --------------------------------------------------------------------


def test_guess_returns_201_with_feedback(alice_api, solo):
    wrong = wrong_guess(solo)
    version = Room.objects.get(code=solo).version
    response = post(alice_api, url(solo, "guesses"), {"guess": wrong})
    assert response.status_code == 201
    result = response.json()
    exact, misplaced = rules.score(secret_of(solo), wrong)
    assert result == {
        "number": 1,
        "guess": wrong,
        "exact": exact,
        "misplaced": misplaced,
        "solved": False,
        "remaining": 9,
        "version": version + 1,
    }
    assert Room.objects.get(code=solo).version == version + 1
    assert Guess.objects.filter(room__code=solo).count() == 1


def test_solving_guess_finishes_a_solo_game_and_reveals_the_secret(alice_api, solo):
    secret = secret_of(solo)
    result = guess(alice_api, solo, secret)
    assert set(result) == GUESS_RESULT_KEYS
    assert (result["exact"], result["misplaced"], result["solved"]) == (4, 0, True)
    room = alice_api.get(url(solo)).json()
    assert room["status"] == "finished"
    assert room["winner"] == "alice"
    assert room["secret"] == secret
    assert room["version"] == result["version"] + 1  # then game_finished
    assert players(room) == {"alice": "solved"}


def test_guess_numbers_and_remaining_count_down(alice_api, solo):
    wrong = wrong_guess(solo)
    first = guess(alice_api, solo, wrong)
    second = guess(alice_api, solo, wrong)
    assert (first["number"], first["remaining"]) == (1, 9)
    assert (second["number"], second["remaining"]) == (2, 8)
    assert second["version"] == first["version"] + 1


def test_guess_looks_up_the_code_case_insensitively(alice_api, solo):
    guess(alice_api, solo.lower(), wrong_guess(solo))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"guess": [0, 1, 2]}, id="too-short"),
        pytest.param({"guess": [0, 1, 2, 3, 4]}, id="too-long"),
        pytest.param({"guess": [0, 1, 2, 3, 4, 5, 0, 1, 2]}, id="longer-than-any-code"),
        pytest.param({"guess": []}, id="empty"),
        pytest.param({"guess": [0, 1, 2, 6]}, id="colour-out-of-range"),
        pytest.param({"guess": [0, 1, 2, -1]}, id="negative-colour"),
        pytest.param({"guess": [0, 1, 2, "3"]}, id="string-element"),
        pytest.param({"guess": [0, 1, 2, True]}, id="boolean-element"),
        pytest.param({"guess": [0, 1, 2, 3.0]}, id="float-element"),
        pytest.param({"guess": [0, 1, 2, None]}, id="null-element"),
        pytest.param({"guess": [0, 1, 2, [3]]}, id="nested-list"),
        pytest.param({"guess": "0123"}, id="string-not-a-list"),
        pytest.param({"guess": 123}, id="number-not-a-list"),
        pytest.param({"guess": {"0": 1}}, id="object-not-a-list"),
        pytest.param({"guess": None}, id="null"),
        pytest.param({"guess": [0, 1, 2, 3], "player": "bob"}, id="unknown-field"),
        pytest.param({}, id="missing-guess"),
        pytest.param([0, 1, 2, 3], id="body-is-a-list"),
    ],
)
def test_bad_guess_is_400_and_stores_nothing(alice_api, solo, data):
    refused(alice_api, solo, "guesses", data, status=400)


def test_guess_repeating_a_colour_without_duplicates_is_400(alice_api):
    code = create(alice_api, mode="solo", allow_duplicates=False)["code"]
    refused(alice_api, code, "guesses", {"guess": [0, 1, 1, 2]}, status=400)


def test_bad_guess_error_does_not_reveal_the_secret(alice_api):
    code = create(alice_api, mode="solo", code_length=2, colors=2)["code"]
    response = post(alice_api, url(code, "guesses"), {"guess": [0, 1, 0]})
    assert response.status_code == 400
    assert "secret" not in response.content.decode().lower()


def test_guess_by_spectator_is_403(carol_api, started_race):
    refused(carol_api, started_race, "guesses", {"guess": [0, 1, 2, 3]}, status=403)


def test_guess_in_private_room_by_outsider_is_404(alice_api, carol_api):
    code = create(alice_api, mode="solo", private=True)["code"]
    refused(carol_api, code, "guesses", {"guess": [0, 1, 2, 3]}, status=404)


def test_guess_by_duel_codemaker_is_403(alice_api, started_duel):
    refused(alice_api, started_duel, "guesses", {"guess": [0, 1, 2, 3]}, status=403)


def test_duel_codebreaker_guesses_and_codemaker_sees_them(alice_api, bob_api, started_duel):
    result = guess(bob_api, started_duel, [1, 2, 3, 0])
    assert (result["exact"], result["misplaced"]) == (3, 0)
    [row] = alice_api.get(url(started_duel, "guesses")).json()
    assert row["guess"] == [1, 2, 3, 0]


def test_guess_before_start_is_409(alice_api, race):
    refused(alice_api, race, "guesses", {"guess": [0, 1, 2, 3]}, status=409)


def test_guess_after_finish_is_409(alice_api, solo):
    guess(alice_api, solo, secret_of(solo))
    refused(alice_api, solo, "guesses", {"guess": [0, 1, 2, 3]}, status=409)


def test_guess_after_solving_in_a_race_is_409(alice_api, bob_api, started_race):
    guess(alice_api, started_race, secret_of(started_race))
    assert bob_api.get(url(started_race)).json()["status"] == "playing"
    refused(alice_api, started_race, "guesses", {"guess": wrong_guess(started_race)}, status=409)


def test_guess_with_no_guesses_left_in_a_race_is_409(alice_api, bob_api):
    code = create(alice_api, mode="race", max_guesses=1)["code"]
    call(bob_api, code, "join")
    call(alice_api, code, "start")
    assert guess(alice_api, code, wrong_guess(code))["remaining"] == 0
    assert players(alice_api.get(url(code)).json()) == {"alice": "out", "bob": "playing"}
    refused(alice_api, code, "guesses", {"guess": wrong_guess(code)}, status=409)


def test_guess_after_leaving_is_409(alice_api, started_race):
    call(alice_api, started_race, "leave")
    refused(alice_api, started_race, "guesses", {"guess": [0, 1, 2, 3]}, status=409)


def test_coop_game_is_lost_when_the_shared_budget_is_spent(alice_api, bob_api):
    code = create(alice_api, mode="coop", max_guesses=2)["code"]
    call(bob_api, code, "join")
    call(alice_api, code, "start")
    guess(alice_api, code, wrong_guess(code))
    assert guess(bob_api, code, wrong_guess(code))["remaining"] == 0
    room = alice_api.get(url(code)).json()
    assert room["status"] == "finished"
    assert room["winner"] is None
    refused(alice_api, code, "guesses", {"guess": [0, 1, 2, 3]}, status=409)


def test_guess_in_unknown_room_is_404(alice_api):
    assert post(alice_api, url("ZZZZZZ", "guesses"), {"guess": [0, 1, 2, 3]}).status_code == 404


def test_guess_without_token_is_401(anon_api, solo):
    refused(anon_api, solo, "guesses", {"guess": [0, 1, 2, 3]}, status=401)


# --- idempotency ----------------------------------------------------------------------


def test_guess_retried_with_the_same_idempotency_key_is_stored_once(alice_api, alice):
    room = alice_api.post(QUICK_PLAY, {}, format="json").json()
    url = f"{ROOMS}{room['code']}/guesses/"
    first = alice_api.post(url, {"guess": [0, 1, 2, 3]}, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    again = alice_api.post(url, {"guess": [0, 1, 2, 3]}, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Guess.objects.filter(room__code=room["code"]).count() == 1
    assert Room.objects.get(code=room["code"]).version == first.json()["version"]


def test_idempotency_key_reused_for_another_guess_is_400(alice_api):
    room = alice_api.post(QUICK_PLAY, {}, format="json").json()
    url = f"{ROOMS}{room['code']}/guesses/"
    alice_api.post(url, {"guess": [0, 1, 2, 3]}, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    response = alice_api.post(url, {"guess": [3, 2, 1, 0]}, format="json", HTTP_IDEMPOTENCY_KEY="move-1")
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"
    assert Guess.objects.filter(room__code=room["code"]).count() == 1


def test_idempotency_key_over_64_characters_is_400(alice_api):
    room = alice_api.post(QUICK_PLAY, {}, format="json").json()
    response = alice_api.post(
        f"{ROOMS}{room['code']}/guesses/",
        {"guess": [0, 1, 2, 3]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k" * 65,
    )
    assert response.status_code == 400
    assert not Guess.objects.filter(room__code=room["code"]).exists()
