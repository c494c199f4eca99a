"""The site's own 404 and 500 pages."""

import pytest
from django.test import Client

from games.tests.pages import page

pytestmark = pytest.mark.django_db


def test_unknown_page_is_the_sites_404_template(as_alice):
    response = as_alice.get("/no/such/page/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "Back to the lobby" in content
    assert 'class="brand"' in content
    page(response)


def test_a_crashing_view_renders_the_friendly_500_page(settings, caplog):
    settings.ROOT_URLCONF = "games.tests.urls_500"
    client = Client()
    client.raise_request_exception = False

    response = client.get("/test-500/")

    assert response.status_code == 500
    content = response.content.decode()
    assert "Something went wrong" in content
    assert "Back to the lobby" in content
    assert "boom" not in content
    assert "Traceback" not in content
