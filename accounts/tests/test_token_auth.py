"""Token authentication that reads only its own token (accounts.auth), and where expired tokens go."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me/"
LOGIN = "/api/v1/auth/login/"
PASSWORD = "correct horse battery staple"  # conftest's make_user default


def token_for(user, *, expired: bool = False) -> tuple[AuthToken, str]:
    instance, token = AuthToken.objects.create(user=user)
    if expired:
        instance.expiry = timezone.now() - timedelta(minutes=1)
        instance.save(update_fields=["expiry"])
    return instance, token


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_an_expired_token_of_another_device_neither_breaks_nor_is_touched_by_a_request(alice):
    old_phone, _ = token_for(alice, expired=True)
    _, laptop = token_for(alice)
    assert client_with(laptop).get(ME).status_code == 200
    # Housekeeping is not the request's job: sign-in and prune_tokens do it.
    assert AuthToken.objects.filter(pk=old_phone.pk).exists()


def test_signing_out_reads_only_its_own_token_too(alice):
    old_phone, _ = token_for(alice, expired=True)
    _, laptop = token_for(alice)
    assert client_with(laptop).post("/api/v1/auth/logout/").status_code == 204
    assert list(AuthToken.objects.filter(user=alice)) == [old_phone]


def test_an_expired_token_is_401_and_deleted(alice):
    instance, token = token_for(alice, expired=True)
    response = client_with(token).get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not AuthToken.objects.filter(pk=instance.pk).exists()


def test_signing_in_deletes_the_users_expired_tokens_only(alice, bob):
    alices_old, _ = token_for(alice, expired=True)
    alices_live, _ = token_for(alice)
    bobs_old, _ = token_for(bob, expired=True)
    response = APIClient().post(LOGIN, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert not AuthToken.objects.filter(pk=alices_old.pk).exists()
    assert AuthToken.objects.filter(pk=alices_live.pk).exists()
    assert AuthToken.objects.filter(pk=bobs_old.pk).exists()
    assert AuthToken.objects.filter(user=alice).count() == 2


def test_an_expired_token_takes_no_place_under_the_token_limit(settings, alice):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    token_for(alice, expired=True)
    _, live = token_for(alice)
    response = APIClient().post(LOGIN, {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    # The expired token went, not the live one.
    assert client_with(live).get(ME).status_code == 200
    assert client_with(response.json()["token"]).get(ME).status_code == 200


def test_prune_tokens_deletes_every_users_expired_tokens(alice, bob, capsys):
    expired = [token_for(alice, expired=True)[0], token_for(bob, expired=True)[0]]
    live, _ = token_for(alice)
    call_command("prune_tokens")
    assert capsys.readouterr().out.strip() == "2 expired token(s) deleted"
    assert not AuthToken.objects.filter(pk__in=[t.pk for t in expired]).exists()
    assert AuthToken.objects.filter(pk=live.pk).exists()


def test_a_renewal_within_the_interval_writes_nothing(settings, alice):
    instance, token = token_for(alice)
    # Used again half an interval after its last renewal: the expiry it has is kept.
    instance.expiry -= timedelta(seconds=settings.REST_KNOX["MIN_REFRESH_INTERVAL"] // 2)
    instance.save(update_fields=["expiry"])
    assert client_with(token).get(ME).status_code == 200
    assert AuthToken.objects.get(pk=instance.pk).expiry == instance.expiry


def test_a_renewal_past_the_interval_extends_the_expiry_to_a_full_ttl(settings, alice):
    instance, token = token_for(alice)
    instance.expiry -= timedelta(seconds=settings.REST_KNOX["MIN_REFRESH_INTERVAL"] + 60)
    instance.save(update_fields=["expiry"])
    before = timezone.now()
    assert client_with(token).get(ME).status_code == 200
    renewed = AuthToken.objects.get(pk=instance.pk).expiry
    assert renewed >= before + settings.REST_KNOX["TOKEN_TTL"]


# The handshake's database work closes the connection after it, as in a
# server: a transactional test, so nothing is lost with it.
@pytest.mark.django_db(transaction=True)
def test_the_socket_handshake_reads_only_its_own_token(alice):
    from asgiref.sync import async_to_sync

    from games import ws_auth

    old_phone, _ = token_for(alice, expired=True)
    _, live = token_for(alice)
    user, auth_token = async_to_sync(ws_auth.authenticate_token)(live)
    assert (user, auth_token.user) == (alice, alice)
    assert AuthToken.objects.filter(pk=old_phone.pk).exists()

    _, expired = token_for(alice, expired=True)
    user, auth_token = async_to_sync(ws_auth.authenticate_token)(expired)
    assert (user.is_authenticated, auth_token) == (False, None)
