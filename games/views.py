"""The browser's pages and their HTMX fragments, and the health check."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_prometheus.exports import ExportToDjangoView

from config.api.throttling import ChatThrottle, GuessThrottle, door_allows, retry_after
from games import boards, rules, selectors, services
from games.exceptions import GameError
from games.forms import ChatForm, CodeForm, CreateRoomForm, QuickPlayForm

logger = logging.getLogger(__name__)


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis() -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


@never_cache
@require_GET
def healthz(request):
    """200 when every configured backing service answers, 503 naming those that did not."""
    checks = {"database": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure of a backing service is "down"
            logger.warning("healthz: %s failed: %s", name, type(exc).__name__)
            results[name] = "unavailable"
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": results}, status=200 if healthy else 503
    )


def metrics(request):
    """Prometheus text for operators; a 404 unless METRICS_ENABLED (it is not for players)."""
    if not settings.METRICS_ENABLED:
        raise Http404
    return ExportToDjangoView(request)


# --- pages -------------------------------------------------------------------------


def _render_board(
    request, state: dict, *, status: int = 200, error: str | None = None, extra: dict | None = None
):
    """The board page, or only its partial for an HTMX request."""
    context = {**boards.board_context(state, request.user), "error": error, **(extra or {})}
    template = "games/partials/board.html" if request.htmx else "games/room.html"
    return render(request, template, context, status=status)


def _state_or_404(request, code: str) -> dict:
    state = boards.room_state(code, request.user)
    if state is None:
        raise Http404("No such room.")
    return state


def _after_action(request, code: str):
    """Post/redirect/get without JS; the fresh board partial for HTMX."""
    if request.htmx:
        return _render_board(request, _state_or_404(request, code))
    return redirect("room", code=code)


def _action_failed(request, code: str, error: GameError | str, *, status: int | None = None, extra=None):
    """Re-render the board with the error and its status (400/403/404/409)."""
    if isinstance(error, GameError):
        status, error = error.status, error.detail
    state = boards.room_state(code, request.user)
    if state is None:
        raise Http404("No such room.")
    return _render_board(request, state, status=status, error=error, extra=extra)


def _throttled(request, code: str, throttle_class, what: str):
    """The board with a 429 and Retry-After when the action's throttle says wait, else None.

    The same counters as the action's REST and socket doors (config/api/throttling.py).
    """
    wait = door_allows(throttle_class, request)
    if wait is None:
        return None
    seconds = retry_after(wait)
    response = _action_failed(request, code, f"{what}; try again in {seconds} s.", status=429)
    response["Retry-After"] = str(seconds)
    return response


def _perform(request, code: str, call, on_success=None):
    """Run one service call for the board: its GameError re-renders the board with the status."""
    try:
        result = call()
    except GameError as exc:
        return _action_failed(request, code, exc)
    return on_success(result) if on_success else _after_action(request, code)


def lobby(request):
    context = {
        "create_form": CreateRoomForm(),
        "quick_form": QuickPlayForm(),
        "rooms": selectors.room_lobby_list(),
        "my_rooms": selectors.room_list_current(user=request.user) if request.user.is_authenticated else [],
    }
    return render(request, "games/lobby.html", context)


def _lobby_with_errors(request, *, create_form=None, quick_form=None, error=None, status=400):
    context = {
        "create_form": create_form or CreateRoomForm(),
        "quick_form": quick_form or QuickPlayForm(),
        "rooms": selectors.room_lobby_list(),
        "my_rooms": selectors.room_list_current(user=request.user),
        "error": error,
    }
    return render(request, "games/lobby.html", context, status=status)


def _create_from_lobby(request, form_class, service, form_name: str):
    """Validate a lobby form, create the room, go to its board; else the lobby with the errors."""
    form = form_class(request.POST)
    if not form.is_valid():
        return _lobby_with_errors(request, **{form_name: form})
    try:
        room = service(user=request.user, **form.service_kwargs())
    except GameError as exc:
        return _lobby_with_errors(request, **{form_name: form}, error=exc.detail, status=exc.status)
    return _redirect_to_room(request, room.code)


@login_required
@require_POST
def quick_play(request):
    return _create_from_lobby(request, QuickPlayForm, services.quick_play, "quick_form")


@login_required
@require_POST
def room_create(request):
    return _create_from_lobby(request, CreateRoomForm, services.room_create, "create_form")


def _redirect_to_room(request, code: str):
    url = reverse("room", kwargs={"code": code})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_POST
def room_join_by_code(request):
    """The lobby's "join by code" form: how invitations to private rooms are used."""
    code = request.POST.get("code", "")
    try:
        services.room_join(room_code=code, user=request.user)
    except GameError as exc:
        # Already a player (or the game has started with you in it): the code
        # still takes you to your board.
        if not selectors.room_has_player(room_code=code, user=request.user):
            return _lobby_with_errors(request, error=exc.detail, status=exc.status)
    return _redirect_to_room(request, rules.normalize_room_code(code))


@login_required
@require_GET
def room_detail(request, code: str):
    state = _state_or_404(request, code)
    if state["room"]["code"] != code:
        return redirect("room", code=state["room"]["code"])
    return _render_board(request, state)


# Verbs with no input: join, leave, start.
ROOM_ACTIONS = {
    "join": services.room_join,
    "leave": services.room_leave,
    "start": services.room_start,
}


@login_required
@require_POST
def room_action(request, code: str, action: str):
    if action not in ROOM_ACTIONS:
        raise Http404("No such action.")
    return _perform(request, code, lambda: ROOM_ACTIONS[action](room_code=code, user=request.user))


@login_required
@require_POST
def room_bot_add(request, code: str):
    """The owner's "Add computer player" form (a waiting race)."""
    difficulty = request.POST.get("difficulty", "")
    return _perform(
        request, code, lambda: services.bot_add(room_code=code, user=request.user, difficulty=difficulty)
    )


@login_required
@require_POST
def room_delete(request, code: str):
    def to_lobby(_):
        return HttpResponseClientRedirect(reverse("lobby")) if request.htmx else redirect("lobby")

    return _perform(request, code, lambda: services.room_delete(room_code=code, user=request.user), to_lobby)


@login_required
@require_POST
def room_rematch(request, code: str):
    return _perform(
        request,
        code,
        lambda: services.room_rematch(room_code=code, user=request.user),
        lambda room: _redirect_to_room(request, room.code),
    )


def _code_form(request, state: dict) -> CodeForm:
    settings = state["room"]["settings"]
    return CodeForm(request.POST, code_length=settings["code_length"], colors=settings["colors"])


@login_required
@require_POST
def room_guess(request, code: str):
    if throttled := _throttled(request, code, GuessThrottle, "Too many guesses"):
        return throttled
    form = _code_form(request, _state_or_404(request, code))
    if not form.is_valid():
        return _action_failed(request, code, "Pick a colour for every peg.", status=400)
    request_id = request.POST.get("request_id") or None
    return _perform(
        request,
        code,
        lambda: services.guess_submit(
            room_code=code, user=request.user, guess=form.code(), request_id=request_id
        ),
    )


@login_required
@require_POST
def room_secret(request, code: str):
    form = _code_form(request, _state_or_404(request, code))
    if not form.is_valid():
        return _action_failed(request, code, "Pick a colour for every peg.", status=400)
    return _perform(
        request, code, lambda: services.room_set_secret(room_code=code, user=request.user, secret=form.code())
    )


@login_required
@require_POST
def room_chat(request, code: str):
    form = ChatForm(request.POST)
    if not form.is_valid():
        return _action_failed(request, code, "A chat message has 1 to 500 characters.", status=400)
    if throttled := _throttled(request, code, ChatThrottle, "Too many messages"):
        return throttled
    text = form.cleaned_data["text"]
    return _perform(request, code, lambda: services.chat_post(room_code=code, user=request.user, text=text))


@login_required
@require_POST
def room_hint(request, code: str):
    """The solver's hint, shown on the board (not redirected: it is this response's news)."""

    def show(hint):
        state = _state_or_404(request, code)
        palette = boards.colours(state["room"]["settings"]["colors"])
        pegs = [palette[c] for c in hint.suggestion]
        extra = {"hint": {"possible": hint.possible, "exact": hint.exact, "pegs": pegs}}
        return _render_board(request, state, extra=extra)

    return _perform(request, code, lambda: services.hint_request(room_code=code, user=request.user), show)


def leaderboard(request):
    return render(request, "games/leaderboard.html", {"rows": selectors.leaderboard()})


def user_profile(request, username: str):
    user = get_object_or_404(get_user_model(), username=username)
    context = {
        "profile": user,
        "stats": selectors.player_stats(user=user),
        "recent": selectors.room_list_recent(user=user, viewer=request.user),
    }
    return render(request, "games/user.html", context)
