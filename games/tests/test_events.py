"""The seam to the live layer: events are logged with their version and sent only after commit."""

import asyncio
import threading

import pytest
from channels.layers import get_channel_layer
from django.db import transaction

from games import events, services
from games.exceptions import InvalidMove
from games.models import RoomEvent
from games.tests.factories import make_room, wrong_guess

pytestmark = pytest.mark.django_db


@pytest.fixture
def layer_loop():
    """One event loop, in a thread of its own, for everything the listener does.

    The Redis pub/sub layer keeps its channels per event loop, as a server
    process does; `async_to_sync` would start a new loop for each call.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def call(coro):
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    yield call
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


@pytest.fixture
def listener(layer_loop):
    """A real channel on the configured layer (in-memory, or Redis when REDIS_URL is set)."""
    joined = []

    async def subscribe(room_code):
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(events.group_name(room_code), channel)
        return channel

    def listen(room_code):
        channel = layer_loop(subscribe(room_code))
        joined.append((room_code, channel))
        return channel

    yield listen
    for room_code, channel in joined:
        layer_loop(get_channel_layer().group_discard(events.group_name(room_code), channel))


@pytest.fixture
def receive(layer_loop):
    def receive(channel, timeout=2.0):
        return layer_loop(asyncio.wait_for(get_channel_layer().receive(channel), timeout))

    return receive


def test_join_is_broadcast_after_commit_with_its_version(
    alice, bob, listener, receive, django_capture_on_commit_callbacks
):
    room = services.room_create(user=alice, mode="race")
    channel = listener(room.code)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.room_join(room_code=room.code, user=bob)
    # Nothing is sent while the transaction could still roll back: the
    # room's event and the lobby's update wait for the commit.
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    message = receive(channel)
    assert message["type"] == "room.event"
    event = message["event"]
    assert event["event"] == "player_joined"
    assert event["version"] == 1
    assert event["room"] == room.code
    assert event["player"]["username"] == "bob"


def test_finishing_guess_broadcasts_guess_then_game_finished(
    alice, listener, receive, django_capture_on_commit_callbacks
):
    room = services.quick_play(user=alice)
    room.refresh_from_db()
    channel = listener(room.code)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.guess_submit(room_code=room.code, user=alice, guess=room.secret)
    first, second = receive(channel)["event"], receive(channel)["event"]
    assert (first["event"], first["version"]) == ("guess", result.version)
    assert (second["event"], second["version"]) == ("game_finished", result.version + 1)
    assert second["secret"] == room.secret
    assert second["winner"] == "alice"


def test_rolled_back_change_leaves_no_event_and_sends_nothing(alice, bob, django_capture_on_commit_callbacks):
    room = services.room_create(user=alice, mode="race")
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.room_join(room_code=room.code, user=bob)
            raise RuntimeError("the outer transaction fails")
    assert callbacks == []
    assert not RoomEvent.objects.filter(room=room).exists()
    room.refresh_from_db()
    assert room.version == 0


def test_refused_guess_records_nothing(alice, django_capture_on_commit_callbacks):
    room = services.quick_play(user=alice)
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(InvalidMove):
            services.guess_submit(room_code=room.code, user=alice, guess=[0, 0])
    assert callbacks == []
    assert list(RoomEvent.objects.filter(room=room).values_list("kind", flat=True)) == ["game_started"]


def test_a_failing_channel_layer_does_not_fail_the_committed_move(
    alice, settings, django_capture_on_commit_callbacks
):
    # A layer that cannot be reached: the move is committed and logged, and
    # viewers recover it by version from the log.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    try:
        room = make_room(alice, "quick")
        with django_capture_on_commit_callbacks(execute=True):
            result = services.guess_submit(room_code=room.code, user=alice, guess=wrong_guess(room))
        assert RoomEvent.objects.filter(room=room, version=result.version, kind="guess").exists()
    finally:
        channel_layers.backends.clear()
