"""config.messages: flash messages still reach the next page once; requests that never use them build nothing."""

import pytest
from django.contrib import messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils.functional import empty

from config.messages import LazyMessageMiddleware
from games import services

pytestmark = pytest.mark.django_db


def test_an_admin_message_shows_on_the_next_page_and_only_there(admin_client, alice):
    room = services.quick_play(user=alice)
    changelist = reverse("admin:games_room_changelist")

    after = admin_client.post(changelist, {"action": "end_stuck_rooms", "_selected_action": [room.pk]})
    assert after.status_code == 302
    shown = admin_client.get(after["Location"]).content.decode()
    assert "Ended 1 room; skipped 0 already over." in shown
    again = admin_client.get(changelist).content.decode()
    assert "Ended 1 room" not in again  # read once, then gone


def test_a_request_that_never_touches_messages_builds_no_storage(rf):
    request = rf.get("/api/v1/auth/me/")
    middleware = LazyMessageMiddleware(lambda r: None)
    middleware.process_request(request)
    response = middleware.process_response(request, HttpResponse("ok"))
    assert request._messages._wrapped is empty
    assert not response.cookies


def test_a_message_added_through_the_lazy_storage_is_stored_on_the_response(rf):
    request = rf.get("/")
    request.session = {}
    request.COOKIES = {}
    middleware = LazyMessageMiddleware(lambda r: None)
    middleware.process_request(request)
    messages.info(request, "Saved.")
    response = middleware.process_response(request, HttpResponse("ok"))
    assert "messages" in response.cookies  # the cookie storage took it
