"""A room's board is kept per version (games/kept.py): pages and opening sockets read one query, not five.

Whatever changes what a viewer sees, a move, a chat line or a new name,
shows at once; with the shared cache unreachable every read is fresh.
"""

import pytest
from django.core.cache import cache

from accounts import services as account_services
from games import boards, kept, services, visibility
from games.tests.factories import make_room, wrong_guess

pytestmark = pytest.mark.django_db


def test_a_room_unchanged_since_it_was_read_costs_one_query_then_any_change_shows(
    alice, bob, django_assert_num_queries, django_capture_on_commit_callbacks
):
    guest = account_services.guest_create()
    room = make_room(alice, "race", "playing", join=[bob, guest])
    first = boards.room_snapshot_current(room.code)
    with django_assert_num_queries(1):  # the room's version
        assert boards.room_snapshot_current(room.code) is first

    services.chat_post(room_code=room.code, user=bob, text="hello")
    chatted = boards.room_snapshot_current(room.code)
    assert [line["text"] for line in chatted.chat] == ["hello"]

    services.guess_submit(room_code=room.code, user=bob, guess=wrong_guess(room))
    moved = boards.room_snapshot_current(room.code)
    assert [g.player.user.username for g in moved.guesses] == ["bob"]
    assert boards.room_state(room.code, alice)["version"] == moved.room.version

    with django_capture_on_commit_callbacks(execute=True):
        account_services.guest_claim(user=guest, username="claimed", password="a long new passphrase")
    names = [p["username"] for p in boards.room_state(room.code, alice)["room"]["players"]]
    assert names == ["alice", "bob", "claimed"]


def test_with_the_shared_cache_unreachable_every_read_is_fresh(
    alice, bob, django_assert_num_queries, cache_unreachable
):
    room = make_room(alice, "race", "playing", join=[bob])
    with django_assert_num_queries(5):
        first = boards.room_snapshot_current(room.code)
    with django_assert_num_queries(5):
        assert boards.room_snapshot_current(room.code) is not first
    assert boards.room_state(room.code, bob)["room"]["code"] == room.code


def test_a_flushed_cache_never_brings_back_a_generation_kept_entries_are_filed_under():
    """A Redis restart empties the cache: the next generation must not be one used before the flush."""
    before = kept.generation()
    cache.delete(kept.NAMES_KEY)  # what a flush leaves
    kept.names_changed()
    after = kept.generation()
    assert after is not None and after != before
    cache.delete(kept.NAMES_KEY)
    kept._last_read = None  # another process, which never read it
    assert kept.generation() not in (before, after)


def test_a_guest_and_a_signed_up_outsider_do_not_share_a_state(alice, bob, carol):
    """They see the room alike but may not do alike (guests may not chat): each gets its own actions."""
    room = make_room(alice, "race", join=[bob])
    guest = account_services.guest_create()
    snapshot = boards.room_snapshot_current(room.code)
    carols = boards.state_for(snapshot, carol)["room"]["actions"]
    guests = boards.state_for(snapshot, guest)["room"]["actions"]
    assert "chat" in carols and "chat" not in guests
    assert guests == visibility.actions(snapshot.room, guest)
    assert boards.state_for(snapshot, carol)["room"]["actions"] == carols
