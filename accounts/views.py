"""Session sign-up, sign-in and sign-out, password change and reset, account deletion (browser pages).

Sign-up and sign-in count against the same per-address throttles as
POST /api/v1/auth/register/ and /login/ (config/api/throttling.py); so do
the pages that check a password or send mail (password change, reset,
account deletion), against the login scope, as their API doors do.
"""

from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django.views.generic import FormView

from accounts import services
from accounts.exceptions import AccountError
from accounts.forms import AccountDeleteForm, ClaimForm, RegisterForm
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
        user = _call_service(form, services.user_register)
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("lobby")
    return render(request, "registration/register.html", {"form": form}, status=400 if form.errors else 200)


def _call_service(form, service, **kwargs):
    """The user the account service returns for the form's data, or None with its error on the form."""
    data = form.cleaned_data
    try:
        return service(username=data["username"], password=data["password1"], **kwargs)
    except AccountError as exc:
        # The service names the API's fields ("password"); the form has its own.
        form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def claim(request):
    """A guest keeps its account: a name and password of its own, same games (SPEC §7)."""
    if not request.user.is_guest:
        return redirect("lobby")
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _call_service(form, services.guest_claim, user=request.user, email=form.cleaned_data["email"])
        if user is not None:
            update_session_auth_hash(request, user)  # the new password must not sign this browser out
            return redirect("lobby")
    return render(request, "registration/claim.html", {"form": form}, status=400 if form.errors else 200)


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


# --- password change, reset and account deletion ------------------------------------


class LoginThrottled(FormView):
    """Each POST counts against the login throttle: these pages check a password or send mail."""

    throttled_message = "Too many attempts from your address; try again in {seconds} s."
    # Mixed into Django's form views (sign-in, password change, reset, deletion).

    def post(self, request, *args, **kwargs):
        wait = door_allows(LoginThrottle, request)
        if wait is None:
            return super().post(request, *args, **kwargs)
        seconds = retry_after(wait)
        form = self.get_form()
        form.add_error(None, self.throttled_message.format(seconds=seconds))
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(seconds)
        return response

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordChangeView(LoginThrottled, auth_views.PasswordChangeView):
    """Django's page; the new password goes through the service, which also revokes every API token."""

    def form_valid(self, form):
        services.password_set(user=form.user, password=form.cleaned_data["new_password1"])
        # This session stays signed in; the user's other sessions end (Django's session hash).
        update_session_auth_hash(self.request, form.user)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetView(LoginThrottled, auth_views.PasswordResetView):
    """Django's page: the same answer whether or not an account has the address."""


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's page; the new password goes through the service, which also revokes every API token."""

    def form_valid(self, form):
        services.password_set(user=form.user, password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


@method_decorator(sensitive_post_parameters(), name="dispatch")
class AccountDeleteView(LoginThrottled, LoginRequiredMixin, FormView):
    """The confirm step: the password and a tick that says you understand it cannot be undone."""

    form_class = AccountDeleteForm
    template_name = "registration/account_delete.html"
    success_url = reverse_lazy("account-deleted")

    def form_valid(self, form):
        try:
            services.account_delete(user=self.request.user, password=form.cleaned_data["password"])
        except AccountError as exc:
            form.add_error("password", exc.detail)
            return self.form_invalid(form)
        logout(self.request)
        return HttpResponseRedirect(self.get_success_url())
