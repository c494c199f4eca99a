"""Session sign-up, sign-in and sign-out for the browser pages (Django's auth views).

Sign-up and sign-in count against the same per-address throttles as
POST /api/v1/auth/register/ and /login/ (config/api/throttling.py).
"""

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.exceptions import AccountError
from accounts.forms import RegisterForm
from config.api.throttling import LoginThrottle, RegisterThrottle, door_allows, retry_after


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("lobby")
    form = RegisterForm(request.POST or None)
    if request.method == "POST":
        wait = door_allows(RegisterThrottle, request)
        if wait is not None:
            seconds = retry_after(wait)
            error = f"Too many sign-ups from your address; try again in {seconds} s."
            response = render(
                request, "registration/register.html", {"form": form, "error": error}, status=429
            )
            response["Retry-After"] = str(seconds)
            return response
    if request.method == "POST" and form.is_valid():
        # The form checks the fields for the page; the service, as for the
        # API, creates the user, so a name taken since the check is a 400.
        try:
            user = services.user_register(
                username=form.cleaned_data["username"], password=form.cleaned_data["password1"]
            )
        except AccountError as exc:
            # The service names the API's fields ("password"); the form has its own.
            form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("lobby")
    return render(request, "registration/register.html", {"form": form}, status=400 if form.errors else 200)


class LoginView(auth_views.LoginView):
    """Django's sign-in form, behind the login throttle: every attempt counts, right or wrong."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        wait = door_allows(LoginThrottle, request)
        if wait is None:
            return super().post(request, *args, **kwargs)
        seconds = retry_after(wait)
        error = f"Too many sign-in attempts from your address; try again in {seconds} s."
        context = self.get_context_data(form=self.get_form(), error=error)
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(seconds)
        return response
