"""The browser's pages and their HTMX fragments, the web app manifest, and the health check."""

import logging

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_prometheus.exports import ExportToDjangoView

from accounts import services as account_services
from config.api.throttling import ChatThrottle, GuessThrottle, GuestThrottle, door_allows, retry_after
from games import analysis, boards, daily, howto, matchmaking, ratings, rules, selectors, services
from games.exceptions import GameError, RoomNotFound, WrongState
from games.forms import ChatForm, CodeForm, CreateRoomForm, QuickPlayForm
from games.models import Player, Room

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


# The manifest's colours: the stylesheet's light --bg behind the splash, and the header's --card
# for the system bars (templates/base.html's theme-color metas, which also give the dark one).
MANIFEST_BACKGROUND = "#f6f7fb"
MANIFEST_THEME = "#ffffff"
# (file under static/icons/ made by bench/icons.py, sizes, type, purpose)
MANIFEST_ICONS = [
    ("icon-192.png", "192x192", "image/png", "any"),
    ("icon-512.png", "512x512", "image/png", "any"),
    ("icon-maskable-512.png", "512x512", "image/png", "maskable"),
    ("icon.svg", "any", "image/svg+xml", "any"),
]


@cache_control(max_age=86400, public=True)
@require_GET
def web_manifest(request):
    """The web app manifest, so phones can add the site to the home screen (no offline mode)."""
    manifest = {
        "id": "/",
        "name": "Mastermind Online",
        "short_name": "Mastermind",
        "description": "Crack the colour code: solo, the daily challenge, races and duels, live.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": MANIFEST_BACKGROUND,
        "theme_color": MANIFEST_THEME,
        "icons": [
            {"src": static(f"icons/{name}"), "sizes": sizes, "type": type_, "purpose": purpose}
            for name, sizes, type_, purpose in MANIFEST_ICONS
        ],
    }
    return JsonResponse(manifest, content_type="application/manifest+json")


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


def _action_failed(request, code: str, error: GameError | str, *, status: int = 400, extra=None):
    """Re-render the board with the error and its status (400/403/404/409)."""
    if isinstance(error, GameError):
        status, error = error.status, error.detail
    state = boards.room_state(code, request.user)
    if state is None:
        raise Http404("No such room.")
    return _render_board(request, state, status=status, error=error, extra=extra)


def _throttled(request, code: str, throttle_class, what: str, *, extra: dict | None = None):
    """The board with a 429 and Retry-After when the action's throttle says wait, else None.

    The same counters as the action's REST and socket doors (config/api/throttling.py).
    """
    wait = door_allows(throttle_class, request)
    if wait is None:
        return None
    seconds = retry_after(wait)
    response = _action_failed(request, code, f"{what}; try again in {seconds} s.", status=429, extra=extra)
    response["Retry-After"] = str(seconds)
    return response


def _perform(request, code: str, call, on_success=None, *, extra: dict | None = None):
    """Run one service call for the board: its GameError re-renders the board with the status."""
    try:
        result = call()
    except GameError as exc:
        return _action_failed(request, code, exc, extra=extra)
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
        "my_rooms": selectors.room_list_current(user=request.user) if request.user.is_authenticated else [],
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


def _signed_in_or_guest(request):
    """Sign a visitor in as a new guest (SPEC §7); None once signed in, else the lobby with a 429.

    A new guest counts against the `guest` throttle, as POST /api/v1/auth/guest/ does.
    """
    if request.user.is_authenticated:
        return None
    wait = door_allows(GuestThrottle, request)
    if wait is None:
        login(request, account_services.guest_create(), backend="django.contrib.auth.backends.ModelBackend")
        return None
    seconds = retry_after(wait)
    error = f"Too many new guests from your address; try again in {seconds} s, or sign in."
    response = _lobby_with_errors(request, error=error, status=429)
    response["Retry-After"] = str(seconds)
    return response


@require_POST
def play_now(request):
    """One click for a visitor (SPEC §7): a guest session and a started quick-play board.

    Someone already signed in (a guest or not) just gets a new quick-play board.
    A new guest counts against the `guest` throttle, as POST /api/v1/auth/guest/ does.
    """
    refused = _signed_in_or_guest(request)
    if refused is not None:
        return refused
    room = services.quick_play(user=request.user)
    return _redirect_to_room(request, room.code)


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
    if state["room"]["status"] != Room.Status.FINISHED:
        return _render_board(request, state)
    replay = _replay(request, state)
    if replay is None:
        return _action_failed(request, code, "move must be a whole number of moves, 0 or more.", status=400)
    extra: dict[str, object] = {"replay": replay}
    if not request.htmx:
        data = analysis.room_analysis(room_code=code, user=request.user)
        extra["analysis_players"] = boards.analysis_context(data, state["room"]["settings"])
        extra["share"] = daily.share_text_for(room_code=code)
    return _render_board(request, {**state, "guesses": state["guesses"][: replay["move"]]}, extra=extra)


def _replay(request, state: dict) -> dict | None:
    """A finished board after its first `?move=N` moves (all of them by default), with the steps around it.

    None for a `move` that is not a whole number. Works without JavaScript
    (links); board.js steps with the arrow keys (SPEC §9).
    """
    total = len(state["guesses"])
    raw = request.GET.get("move")
    if raw is None:
        move = total
    elif raw.isascii() and raw.isdigit() and len(raw) <= 4:
        move = min(int(raw), total)
    else:
        return None
    return {"move": move, "total": total, "previous": max(move - 1, 0), "next": min(move + 1, total)}


def room_analysis(request, code: str):
    """The solver's analysis of a finished game, as a page of its own (linked from the finished board)."""
    try:
        data = analysis.room_analysis(room_code=code, user=request.user)
    except RoomNotFound:
        raise Http404("No such room.") from None
    except WrongState as exc:
        state = _state_or_404(request, code)
        return _render_board(request, state, status=exc.status, error=exc.detail)
    room = Room.objects.only("code", "name", "colors", "code_length").get(code=data["code"])
    settings = {"colors": room.colors, "code_length": room.code_length}
    context = {"room": room, "analysis_players": boards.analysis_context(data, settings)}
    return render(request, "games/analysis.html", context)


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


def _as_posted(form: CodeForm) -> dict:
    """A refused move's board keeps the pegs that were picked: the player fixes the code, not re-picks it."""
    form.is_valid()
    return {"slots": boards.code_slots(form.code_length, form.picked())}


@login_required
@require_POST
def room_guess(request, code: str):
    form = _code_form(request, _state_or_404(request, code))
    kept = _as_posted(form)
    if throttled := _throttled(request, code, GuessThrottle, "Too many guesses", extra=kept):
        return throttled
    if not form.is_valid():
        return _action_failed(request, code, "Pick a colour for every peg.", status=400, extra=kept)
    request_id = request.POST.get("request_id") or None
    return _perform(
        request,
        code,
        lambda: services.guess_submit(
            room_code=code, user=request.user, guess=form.code(), request_id=request_id
        ),
        extra=kept,
    )


@login_required
@require_POST
def room_secret(request, code: str):
    form = _code_form(request, _state_or_404(request, code))
    kept = _as_posted(form)
    if not form.is_valid():
        return _action_failed(request, code, "Pick a colour for every peg.", status=400, extra=kept)
    return _perform(
        request,
        code,
        lambda: services.room_set_secret(room_code=code, user=request.user, secret=form.code()),
        extra=kept,
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
    """Tabs: wins (the default), the race and duel ratings (`?board=race`) and today's daily (`?board=daily`)."""
    board = request.GET.get("board")
    if board == "daily":
        day = daily.today()
        context = {"board": "daily", "number": daily.number_of(day), "rows": daily.daily_leaderboard(day=day)}
    elif board in ratings.RATED_MODES:
        context = {"board": board, "rows": ratings.leaderboard(mode=board)}
    else:
        context = {"board": "wins", "rows": selectors.leaderboard()}
    return render(request, "games/leaderboard.html", context)


@require_GET
def how_to_play(request):
    """The rules of every mode, with a worked example board rendered by the board's own partials."""
    return render(request, "games/how_to_play.html", howto.example())


def user_profile(request, username: str):
    """A player's profile: stats and recent finished games (a private one only to its players)."""
    user = selectors.user_get_public(username=username)
    if user is None:
        raise Http404("No such player.")
    recent = list(selectors.room_list_finished(user=user, viewer=request.user)[:RECENT_GAMES])
    histories = ratings.histories(user)
    context = {
        "profile": selectors.profile(user=user),
        "rating_charts": [
            {"mode": mode, "chart": ratings.chart(rows), "rows": rows}
            for mode, rows in histories.items()
            if rows
        ],
        "recent": [_recent_game(room, user) for room in recent],
        "is_me": request.user.is_authenticated and request.user.pk == user.pk,
    }
    return render(request, "games/user.html", context)


@require_http_methods(["GET", "POST"])
def daily_page(request):
    """Today's challenge (SPEC §9): play it (a visitor plays as a guest), your result to share, the day's best."""
    day = daily.today()
    if request.method == "POST":
        refused = _signed_in_or_guest(request)
        if refused is not None:
            return refused
        room, _ = daily.daily_start(user=request.user)
        return _redirect_to_room(request, room.code)
    summary = daily.daily_summary(day=day, user=request.user)
    context = {
        "summary": summary,
        "share": daily.share_text_for(room_code=summary["room"]) if summary["room"] else None,
        "rows": daily.daily_leaderboard(day=day, limit=20),
    }
    return render(request, "games/daily.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def match_page(request):
    """Find an opponent (SPEC §8): search, a waiting state that refreshes itself, Cancel, then the board.

    The waiting fragment polls every 2 s with htmx (a meta refresh without
    JavaScript); apps hear `match_found` on /ws/me/ instead.
    """
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            matchmaking.ticket_cancel(user=request.user)
            return redirect("lobby")
        try:
            ticket = matchmaking.ticket_open(user=request.user, rated=request.POST.get("rated") == "on")
        except GameError as exc:
            return _lobby_with_errors(request, error=exc.detail, status=exc.status)
        if ticket.room is not None:
            return _redirect_to_room(request, ticket.room.code)
        return redirect("match-page")
    found = matchmaking.ticket_get(user=request.user)
    if found is None:
        return redirect("lobby")
    if found.room is not None:
        return _redirect_to_room(request, found.room.code)
    ticket = found
    waited = int((timezone.now() - ticket.created_at).total_seconds())
    context = {"ticket": ticket, "waited": waited}
    template = "games/partials/match_status.html" if request.htmx else "games/match.html"
    return render(request, template, context)


RECENT_GAMES = 20


def _recent_game(room, user) -> dict:
    """One line of a profile's recent games: the room and how this player did in it."""
    player = next((p for p in room.players.all() if p.user_id == user.pk), None)
    if player is None or player.status == Player.Status.LEFT:
        result = "left"
    elif player.won:
        result = f"won in {player.solved_in}" if player.solved_in else "won"
    elif player.status == Player.Status.SOLVED:
        result = f"solved in {player.solved_in}" + (
            f", {boards.ordinal(player.place)}" if player.place else ""
        )
    elif player.role == Player.Role.CODEMAKER:
        result = "code broken"
    else:
        result = "out of guesses"
    return {"room": room, "result": result, "won": bool(player and player.won)}
