"""The staff admin: pages open, search and filters find rooms, the secret stays hidden.

`admin_client` is a superuser; `staff_client` is staff with only the view and
change permissions on the game models and tokens. Rooms are made through the
services; a room's secret is read back from the database to pick guesses.
"""

import json

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import token_issue
from games import services
from games.models import Guess, Player, Room, RoomEvent
from games.tests.factories import fresh, make_room, solve, submit_guess

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def rendered(code: list[int]) -> str:
    """How a code appears in the page: its JSON list."""
    return json.dumps(code)


@pytest.fixture
def staffer(make_user):
    user = make_user("staffer")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    perms = Permission.objects.filter(
        content_type__app_label__in=["games", "knox"], codename__regex=r"^(view|change)_"
    )
    user.user_permissions.add(*perms)
    return user


@pytest.fixture
def staff_client(staffer):
    client = Client()
    client.force_login(staffer)
    return client


@pytest.fixture
def solo(alice):
    """A running solo room with one wrong guess."""
    return make_room(alice, "quick", "playing", wrong_guesses=1)


@pytest.fixture
def race_half_solved(bob, carol):
    """A running race in which bob has solved (his last guess is the secret) and carol plays on."""
    room = make_room(bob, "race", "playing", join=[carol], name="Friday race")
    submit_guess(room, carol)
    solve(room, bob)
    room = fresh(room)
    assert room.status == Room.Status.PLAYING
    return room


def room_pages(room: Room) -> list[str]:
    """Every admin page about this room and its players, guesses and events."""
    pages = [
        url("games_room_changelist"),
        url("games_room_changelist") + f"?q={room.code}",
        url("games_room_change", room.pk),
        url("games_room_history", room.pk),
        url("games_player_changelist") + f"?q={room.code}",
        url("games_guess_changelist") + f"?q={room.code}",
        url("games_roomevent_changelist") + f"?q={room.code}",
    ]
    pages += [url("games_player_change", pk) for pk in room.players.values_list("pk", flat=True)]
    pages += [url("games_guess_change", pk) for pk in room.guesses.values_list("pk", flat=True)]
    pages += [url("games_roomevent_change", pk) for pk in room.events.values_list("pk", flat=True)]
    return pages


# --- pages open ------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["admin_client", "staff_client"])
def test_changelists_and_change_pages_open(request, viewer, solo, alice):
    client = request.getfixturevalue(viewer)
    token, _ = token_issue(user=alice)
    pages = [
        url("games_room_changelist"),
        url("games_player_changelist"),
        url("games_guess_changelist"),
        url("games_roomevent_changelist"),
        url("knox_authtoken_changelist"),
        url("games_room_change", solo.pk),
        url("games_player_change", solo.players.get().pk),
        url("games_guess_change", solo.guesses.get().pk),
        url("games_roomevent_change", solo.events.first().pk),
        url("knox_authtoken_change", quote(token.pk)),
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page


def test_room_list_shows_player_count(admin_client, race_half_solved):
    response = admin_client.get(url("games_room_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert race_half_solved.code in html
    assert '<td class="field-player_count">2</td>' in html


def test_room_list_query_count_does_not_grow_with_rooms(admin_client, alice, bob):
    services.quick_play(user=alice)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url("games_room_changelist")).status_code == 200
        return len(ctx.captured_queries)

    few = count_queries()
    for _ in range(4):
        room = services.room_create(user=bob, mode="coop")
        services.room_join(room_code=room.code, user=alice)
    assert count_queries() == few


# --- search and filters -------------------------------------------------------------


def assert_lists(client: Client, page: str, query: dict, *, shown: Room, hidden: Room) -> None:
    """The admin changelist `page`, searched or filtered by `query`, lists `shown` and not `hidden`."""
    html = client.get(url(page), query).content.decode()
    assert shown.code in html
    assert hidden.code not in html


def test_search_by_code_finds_the_room(admin_client, solo, race_half_solved):
    assert_lists(
        admin_client, "games_room_changelist", {"q": solo.code.lower()}, shown=solo, hidden=race_half_solved
    )


def test_search_by_owner_username_finds_the_room(admin_client, solo, race_half_solved):
    assert_lists(admin_client, "games_room_changelist", {"q": "bob"}, shown=race_half_solved, hidden=solo)


def test_filter_by_status(admin_client, alice, bob):
    playing = make_room(alice, "quick")
    waiting = make_room(bob, "coop")
    assert_lists(
        admin_client, "games_room_changelist", {"status__exact": "waiting"}, shown=waiting, hidden=playing
    )


def test_filter_by_mode(admin_client, alice, bob):
    solo = make_room(alice, "quick")
    race = make_room(bob, "race")
    assert_lists(admin_client, "games_room_changelist", {"mode__exact": "race"}, shown=race, hidden=solo)


def test_player_search_by_username_and_room_code(admin_client, solo, race_half_solved):
    assert_lists(admin_client, "games_player_changelist", {"q": "carol"}, shown=race_half_solved, hidden=solo)
    assert_lists(
        admin_client, "games_guess_changelist", {"q": solo.code}, shown=solo, hidden=race_half_solved
    )


# --- the secret ---------------------------------------------------------------------


def test_superuser_sees_a_running_rooms_secret(admin_client, solo):
    assert solo.status == Room.Status.PLAYING
    html = admin_client.get(url("games_room_change", solo.pk)).content.decode()
    assert f'<code class="mm-code">{rendered(solo.secret)}</code>' in html


def test_staff_never_sees_a_running_rooms_secret(staff_client, solo):
    for page in room_pages(solo):
        response = staff_client.get(page)
        assert response.status_code == 200, page
        assert rendered(solo.secret) not in response.content.decode(), page
    html = staff_client.get(url("games_room_change", solo.pk)).content.decode()
    assert "hidden" in html
    assert 'name="secret"' not in html


def test_staff_does_not_see_a_running_race_secret_through_a_solving_guess(
    staff_client, admin_client, race_half_solved
):
    secret = rendered(race_half_solved.secret)
    for page in room_pages(race_half_solved):
        response = staff_client.get(page)
        assert response.status_code == 200, page
        assert secret not in response.content.decode(), page
    # The superuser sees the secret and the solving guess.
    html = admin_client.get(url("games_room_change", race_half_solved.pk)).content.decode()
    assert html.count(secret) >= 2


def test_staff_sees_the_secret_once_the_game_is_finished(staff_client, solo, alice):
    services.guess_submit(room_code=solo.code, user=alice, guess=solo.secret)
    assert fresh(solo).status == Room.Status.FINISHED
    html = staff_client.get(url("games_room_change", solo.pk)).content.decode()
    assert f'<code class="mm-code">{rendered(solo.secret)}</code>' in html


def test_staff_cannot_probe_the_secret_with_url_lookups(staff_client, admin_client, solo):
    probes = [
        (url("games_room_changelist"), {"secret__0": solo.secret[0]}),
        (url("games_room_changelist"), {"secret": rendered(solo.secret)}),
        (url("games_guess_changelist"), {"guess__0": 1}),
        (url("games_guess_changelist"), {"room__secret__0": 1}),
        (url("games_player_changelist"), {"room__secret__0": 1}),
        (url("games_roomevent_changelist"), {"payload__secret__0": 1}),
    ]
    for page, params in probes:
        assert staff_client.get(page, params).status_code == 400, (page, params)
    assert admin_client.get(url("games_room_changelist"), {"secret__0": solo.secret[0]}).status_code == 200


def test_room_page_is_view_only(staff_client, solo):
    html = staff_client.get(url("games_room_change", solo.pk)).content.decode()
    assert 'name="_save"' not in html
    response = staff_client.post(url("games_room_change", solo.pk), {"name": "renamed"})
    assert response.status_code == 403
    assert fresh(solo).name == solo.name
    assert staff_client.get(url("games_room_add")).status_code == 403


# --- the "end stuck rooms" action ---------------------------------------------------------


@pytest.mark.parametrize("viewer", ["admin_client", "staff_client"])
def test_end_stuck_rooms_abandons_running_rooms_and_skips_finished(request, viewer, alice, bob):
    client = request.getfixturevalue(viewer)
    stuck = fresh(services.quick_play(user=alice))
    done = fresh(services.quick_play(user=bob))
    services.guess_submit(room_code=done.code, user=bob, guess=done.secret)
    done_version = fresh(done).version

    response = client.post(
        url("games_room_changelist"),
        {"action": "end_stuck_rooms", "_selected_action": [stuck.pk, done.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Ended 1 room; skipped 1 already over." in response.content.decode()
    stuck = fresh(stuck)
    assert stuck.status == Room.Status.ABANDONED
    assert stuck.finished_at is not None
    last = RoomEvent.objects.filter(room=stuck).order_by("-version").first()
    assert (last.kind, last.version, last.payload["status"]) == ("game_finished", stuck.version, "abandoned")
    assert fresh(done).status == Room.Status.FINISHED
    assert fresh(done).version == done_version


def test_end_stuck_rooms_ends_a_waiting_room(admin_client, bob):
    waiting = services.room_create(user=bob, mode="race")
    admin_client.post(
        url("games_room_changelist"), {"action": "end_stuck_rooms", "_selected_action": [waiting.pk]}
    )
    assert fresh(waiting).status == Room.Status.ABANDONED


def test_end_stuck_rooms_needs_the_change_permission(make_user, solo):
    viewer = make_user("viewer")
    viewer.is_staff = True
    viewer.save(update_fields=["is_staff"])
    viewer.user_permissions.add(Permission.objects.get(codename="view_room"))
    client = Client()
    client.force_login(viewer)
    client.post(url("games_room_changelist"), {"action": "end_stuck_rooms", "_selected_action": [solo.pk]})
    assert fresh(solo).status == Room.Status.PLAYING


# --- audit records are read-only ------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["admin_client", "staff_client"])
def test_guesses_cannot_be_added_or_edited(request, viewer, solo):
    client = request.getfixturevalue(viewer)
    guess = solo.guesses.get()
    assert client.get(url("games_guess_add")).status_code == 403
    change = url("games_guess_change", guess.pk)
    html = client.get(change).content.decode()
    assert 'name="_save"' not in html
    assert 'name="exact"' not in html
    assert client.post(change, {"exact": 4, "misplaced": 0}).status_code == 403
    assert Guess.objects.get(pk=guess.pk).exact == guess.exact


@pytest.mark.parametrize("viewer", ["admin_client", "staff_client"])
def test_events_and_players_cannot_be_added_or_edited(request, viewer, solo):
    client = request.getfixturevalue(viewer)
    event = solo.events.first()
    player = solo.players.get()
    assert client.get(url("games_roomevent_add")).status_code == 403
    assert client.get(url("games_player_add")).status_code == 403
    assert client.post(url("games_roomevent_change", event.pk), {"kind": "chat"}).status_code == 403
    assert client.post(url("games_player_change", player.pk), {"status": "solved"}).status_code == 403
    assert RoomEvent.objects.get(pk=event.pk).kind == event.kind
    assert Player.objects.get(pk=player.pk).status == Player.Status.PLAYING


def test_only_superusers_may_delete_guesses(admin_client, staff_client, solo, staffer):
    guess = solo.guesses.get()
    staffer.user_permissions.add(Permission.objects.get(codename="delete_guess"))
    assert staff_client.get(url("games_guess_delete", guess.pk)).status_code == 403
    assert admin_client.get(url("games_guess_delete", guess.pk)).status_code == 200


# --- Knox tokens ------------------------------------------------------------------------------


def test_token_list_shows_user_dates_and_key_and_searches_by_username(staff_client, alice, bob):
    alice_token, alice_secret = token_issue(user=alice)
    bob_token, _ = token_issue(user=bob)
    response = staff_client.get(url("knox_authtoken_changelist"), {"q": "alice"})
    html = response.content.decode()
    assert response.status_code == 200
    for column in ("user", "created", "expiry", "token_key"):
        assert f"column-{column}" in html
    assert alice_token.token_key in html
    assert bob_token.token_key not in html
    assert alice_secret not in html


def test_token_digest_is_not_editable(admin_client, alice):
    token, secret = token_issue(user=alice)
    change = url("knox_authtoken_change", quote(token.pk))
    html = admin_client.get(change).content.decode()
    assert 'name="digest"' not in html
    assert 'name="_save"' not in html
    assert secret not in html
    assert admin_client.post(change, {"digest": "x" * 128}).status_code == 403
    assert admin_client.get(url("knox_authtoken_add")).status_code == 403
