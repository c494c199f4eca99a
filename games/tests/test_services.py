"""Service rules that the API tests reach only indirectly."""

import pytest

from games import services
from games.exceptions import NotAllowed, RoomNotFound, WrongState
from games.models import Player, Room, RoomEvent

pytestmark = pytest.mark.django_db


def kinds(room: Room) -> list[str]:
    return list(RoomEvent.objects.filter(room=room).order_by("version").values_list("kind", flat=True))


def test_duel_owner_leaving_hands_the_codemaker_role_over_and_clears_the_secret(alice, bob, carol):
    room = services.room_create(user=alice, mode="duel")
    services.room_set_secret(room_code=room.code, user=alice, secret=[1, 2, 3, 4])
    services.room_join(room_code=room.code, user=bob)

    services.room_leave(room_code=room.code, user=alice)

    room.refresh_from_db()
    assert room.owner == bob
    assert room.secret is None
    assert Player.objects.get(room=room, user=bob).role == Player.Role.CODEMAKER
    services.room_join(room_code=room.code, user=carol)
    assert Player.objects.get(room=room, user=carol).role == Player.Role.CODEBREAKER
    with pytest.raises(WrongState, match="secret"):
        services.room_start(room_code=room.code, user=bob)


def test_leaving_after_solving_a_race_changes_nothing(alice, bob):
    room = services.room_create(user=alice, mode="race")
    services.room_join(room_code=room.code, user=bob)
    services.room_start(room_code=room.code, user=alice)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    version = Room.objects.get(pk=room.pk).version

    services.room_leave(room_code=room.code, user=alice)

    room.refresh_from_db()
    assert room.version == version
    assert Player.objects.get(room=room, user=alice).status == Player.Status.SOLVED


def test_abandoning_a_waiting_room_ends_it_without_a_secret(alice):
    room = services.room_create(user=alice, mode="coop")
    services.room_abandon(room_code=room.code)
    room.refresh_from_db()
    assert room.status == Room.Status.ABANDONED
    assert room.finished_at is not None
    assert kinds(room) == ["game_finished"]
    with pytest.raises(WrongState):
        services.room_abandon(room_code=room.code)


def test_private_room_actions_are_404_for_outsiders(alice, bob):
    room = services.room_create(user=alice, mode="race", private=True)
    with pytest.raises(RoomNotFound):
        services.room_start(room_code=room.code, user=bob)
    with pytest.raises(RoomNotFound):
        services.room_leave(room_code=room.code, user=bob)


def test_public_room_actions_are_403_for_outsiders(alice, bob):
    room = services.room_create(user=alice, mode="race")
    with pytest.raises(NotAllowed):
        services.room_leave(room_code=room.code, user=bob)


def test_room_codes_are_looked_up_case_insensitively(alice, bob):
    room = services.room_create(user=alice, mode="race")
    services.room_join(room_code=f" {room.code.lower()} ", user=bob)
    assert room.players.count() == 2


def test_race_places_follow_solving_order_and_winner_is_first(alice, bob, carol):
    room = services.room_create(user=alice, mode="race")
    services.room_join(room_code=room.code, user=bob)
    services.room_join(room_code=room.code, user=carol)
    services.room_start(room_code=room.code, user=alice)
    room.refresh_from_db()
    services.guess_submit(room_code=room.code, user=bob, guess=room.secret)
    services.guess_submit(room_code=room.code, user=carol, guess=room.secret)
    services.room_leave(room_code=room.code, user=alice)

    room.refresh_from_db()
    places = {p.user.username: (p.place, p.status, p.won) for p in room.players.select_related("user")}
    assert places == {
        "bob": (1, "solved", True),
        "carol": (2, "solved", False),
        "alice": (None, "left", False),
    }
    assert room.winner == bob
    assert room.status == Room.Status.FINISHED
    assert kinds(room)[-2:] == ["player_left", "game_finished"]
