"""Computer players: adding them (REST and page) and their moves (games.bots.tick).

Bots move through services.guess_submit, so what is asserted is what anyone
would see: the REST reply, Guess rows, RoomEvent rows and the board page.
"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from games import bots, rules, services
from games.models import Guess, Player, Room, RoomEvent
from games.tests.factories import make_room

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/rooms/"
FAR = timedelta(days=365)


def bots_url(code: str) -> str:
    return f"{ROOMS}{code}/bots/"


def add_bot(room: Room, owner, difficulty: str = "hard") -> Player:
    return services.bot_add(room_code=room.code, user=owner, difficulty=difficulty)


def let_bots_play(room: Room, ticks: int):
    """Run the bot loop `ticks` times, each far past any bot's thinking time; the last tick's time."""
    now = room.started_at
    for _ in range(ticks):
        now += FAR
        bots.tick(now=now)
    return now


def bot_players(room: Room) -> list[Player]:
    return list(room.players.filter(user__bot_difficulty__in=["easy", "hard"]).select_related("user"))


# --- adding a bot ------------------------------------------------------------------


def test_owner_adds_a_bot_over_rest(alice, alice_api):
    room = make_room(alice)
    response = alice_api.post(bots_url(room.code), {"difficulty": "hard"}, format="json")
    assert response.status_code == 201, response.content
    names = [p["username"] for p in response.json()["players"]]
    assert names[0] == "alice"
    assert len(names) == 2 and names[1].startswith("bot-hard-")
    bot = get_user_model().objects.get(username=names[1])
    assert bot.bot_difficulty == "hard"
    event = RoomEvent.objects.get(room=room, kind="player_joined")
    assert event.payload["player"]["username"] == bot.username


def test_bot_cannot_sign_in(alice):
    bot = add_bot(make_room(alice), alice).user
    assert not bot.has_usable_password()
    assert not bot.check_password("")
    assert not Client().login(username=bot.username, password="")


def test_non_owner_cannot_add_a_bot_403(alice, bob, bob_api):
    room = make_room(alice)
    services.room_join(room_code=room.code, user=bob)
    response = bob_api.post(bots_url(room.code), {"difficulty": "easy"}, format="json")
    assert response.status_code == 403
    assert room.players.count() == 2


def test_bot_in_a_coop_room_is_403(alice, alice_api):
    room = services.room_create(user=alice, mode=Room.Mode.COOP)
    response = alice_api.post(bots_url(room.code), {"difficulty": "easy"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Bots play races only."


def test_bot_in_a_started_race_is_409(alice, bob, alice_api):
    room = make_room(alice, "race", "playing", join=[bob])
    response = alice_api.post(bots_url(room.code), {"difficulty": "easy"}, format="json")
    assert response.status_code == 409
    # The refused join took the bot user it made down with it.
    assert not get_user_model().objects.exclude(bot_difficulty="").exists()


def test_bot_in_a_full_race_is_409(alice, alice_api):
    room = make_room(alice, max_players=2)
    add_bot(room, alice)
    response = alice_api.post(bots_url(room.code), {"difficulty": "easy"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "The room is full."
    assert get_user_model().objects.exclude(bot_difficulty="").count() == 1


def test_bot_in_unknown_room_is_404(alice_api):
    response = alice_api.post(bots_url("ZZZZZZ"), {"difficulty": "easy"}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("data", [{"difficulty": "medium"}, {}, {"difficulty": "easy", "extra": 1}])
def test_bad_difficulty_is_400_and_stores_nothing(alice, alice_api, data):
    room = make_room(alice)
    users = get_user_model().objects.count()
    response = alice_api.post(bots_url(room.code), data, format="json")
    assert response.status_code == 400
    assert get_user_model().objects.count() == users
    room.refresh_from_db()
    assert room.players.count() == 1 and room.version == 0


def test_service_rejects_bad_difficulty(alice):
    from games.exceptions import InvalidMove

    with pytest.raises(InvalidMove) as excinfo:
        services.bot_add(room_code=make_room(alice).code, user=alice, difficulty="medium")
    assert excinfo.value.field == "difficulty"


# --- moving --------------------------------------------------------------------------


def test_tick_moves_each_due_bot_once_through_guess_submit(alice, bob):
    room = make_room(alice, "race", "playing", join=[bob], bots=["easy", "hard"])
    version = room.version
    far = room.started_at + FAR

    assert bots.tick(now=far) == 2

    for player in bot_players(room):
        assert Guess.objects.filter(player=player).count() == 1
    events = list(RoomEvent.objects.filter(room=room, version__gt=version).order_by("version"))
    assert [e.kind for e in events] == ["guess", "guess"]
    assert [e.version for e in events] == [version + 1, version + 2]
    assert {e.payload["username"] for e in events} == {p.user.username for p in bot_players(room)}
    room.refresh_from_db()
    assert room.version == version + 2

    assert bots.tick(now=far + timedelta(seconds=1)) == 2
    assert Guess.objects.filter(room=room).count() == 4


def test_bots_wait_for_their_pace(alice, bob, settings):
    settings.BOT_PACE_SECONDS = 5
    room = make_room(alice, "race", "playing", join=[bob], bots=["hard"])
    assert bots.tick(now=room.started_at + timedelta(seconds=1)) == 0
    assert not Guess.objects.filter(room=room).exists()
    assert bots.tick(now=room.started_at + timedelta(seconds=5)) == 1
    # Its last move is now the clock to beat.
    assert bots.tick(now=timezone.now() + timedelta(seconds=1)) == 0
    assert bots.tick(now=timezone.now() + timedelta(seconds=6)) == 1


def test_hard_bot_solves_a_race_within_five_guesses(alice, bob):
    room = make_room(alice, "race", "playing", join=[bob], bots=["hard"])
    (bot,) = bot_players(room)
    now = let_bots_play(room, room.max_guesses + 2)
    bot.refresh_from_db()
    assert bot.status == Player.Status.SOLVED
    assert bot.guesses_used <= 5
    assert bot.place == 1
    room.refresh_from_db()
    assert room.winner == bot.user
    # Bob still plays; the solved bot makes no more moves.
    assert room.status == Room.Status.PLAYING
    assert bots.tick(now=now + FAR) == 0


def test_easy_bot_guesses_fit_its_feedback(alice, bob):
    room = make_room(alice, "race", "playing", join=[bob], bots=["easy"])
    (bot,) = bot_players(room)
    let_bots_play(room, room.max_guesses)
    history = list(Guess.objects.filter(player=bot).order_by("number"))
    assert history
    for i, later in enumerate(history):
        for earlier in history[:i]:
            feedback = rules.score(tuple(later.guess), tuple(earlier.guess))
            assert (feedback.exact, feedback.misplaced) == (earlier.exact, earlier.misplaced)


def test_race_ends_when_the_last_human_leaves(alice, bob):
    room = make_room(alice, "race", "playing", join=[bob], bots=["hard"])
    services.room_leave(room_code=room.code, user=alice)
    services.room_leave(room_code=room.code, user=bob)
    now = let_bots_play(room, room.max_guesses + 1)
    room.refresh_from_db()
    assert room.status == Room.Status.FINISHED
    assert bots.tick(now=now + FAR) == 0


def test_bots_in_a_waiting_room_do_not_move(alice):
    room = make_room(alice)
    add_bot(room, alice)
    assert bots.tick(now=timezone.now() + FAR) == 0


def test_run_bots_once_runs_a_tick(alice, bob):
    room = make_room(alice, "race", "playing", join=[bob], bots=["hard"])
    room.started_at -= FAR
    room.save(update_fields=["started_at"])
    call_command("run_bots", "--once")
    assert Guess.objects.filter(room=room).count() == 1


# --- the board page ------------------------------------------------------------------


def test_owner_adds_a_bot_from_the_board(alice):
    room = make_room(alice)
    client = Client()
    client.force_login(alice)
    page = client.get(f"/rooms/{room.code}/").content.decode()
    assert "Add computer player" in page
    assert f'action="/rooms/{room.code}/bots/"' in page

    response = client.post(f"/rooms/{room.code}/bots/", {"difficulty": "easy"})
    assert response.status_code == 302
    (bot,) = bot_players(room)
    assert bot.user.bot_difficulty == "easy"
    assert bot.user.username in client.get(f"/rooms/{room.code}/").content.decode()


def test_board_bot_form_errors_rerender_with_status(alice):
    room = make_room(alice)
    client = Client()
    client.force_login(alice)
    response = client.post(f"/rooms/{room.code}/bots/", {"difficulty": "medium"})
    assert response.status_code == 400
    assert "difficulty must be easy or hard." in response.content.decode()
    assert not bot_players(room)


def test_bot_form_is_absent_for_non_owners_and_other_modes(alice, bob):
    room = make_room(alice)
    services.room_join(room_code=room.code, user=bob)
    client = Client()
    client.force_login(bob)
    assert "Add computer player" not in client.get(f"/rooms/{room.code}/").content.decode()
    response = client.post(f"/rooms/{room.code}/bots/", {"difficulty": "easy"})
    assert response.status_code == 403

    coop = services.room_create(user=alice, mode=Room.Mode.COOP)
    client.force_login(alice)
    assert "Add computer player" not in client.get(f"/rooms/{coop.code}/").content.decode()


def test_bots_race_people_but_stay_off_the_leaderboard(alice, bob, anon_api):
    room = make_room(alice, "race", "playing", join=[bob], bots=["hard"])
    let_bots_play(room, room.max_guesses + 2)
    room.refresh_from_db()
    for human in (alice, bob):
        services.room_leave(room_code=room.code, user=human)
    room.refresh_from_db()
    assert room.status == Room.Status.FINISHED
    assert room.winner.bot_difficulty == "hard"
    usernames = [row["username"] for row in anon_api.get("/api/v1/leaderboard/").json()]
    assert usernames == ["alice", "bob"]
