"""Session sign-up, sign-in and sign-out for the browser pages (Django's auth views)."""

from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import RegisterForm
from games.api.throttling import RegisterThrottle


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("lobby")
    form = RegisterForm(request.POST or None)
    if request.method == "POST":
        # The same per-address budget as POST /api/v1/auth/register/.
        throttle = RegisterThrottle()
        if not throttle.allow_request(request, None):
            wait = int(throttle.wait() or 1) + 1
            error = f"Too many sign-ups from your address; try again in {wait} s."
            return render(request, "registration/register.html", {"form": form, "error": error}, status=429)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("lobby")
    return render(request, "registration/register.html", {"form": form}, status=400 if form.errors else 200)
