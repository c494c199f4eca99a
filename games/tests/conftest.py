"""Fixtures shared by the games tests' files (the project-wide ones are in the top conftest.py)."""

import pytest

from games.tests.pages import browser


@pytest.fixture
def as_alice(alice):
    return browser(alice)


@pytest.fixture
def as_bob(bob):
    return browser(bob)


@pytest.fixture
def as_carol(carol):
    return browser(carol)
