"""The container setup (issue #10, defect 16): migrations run once, secrets stay out of the compose file.

No Docker engine runs here, so these read the files as compose reads them
(PyYAML resolves the anchors and merge keys the same way); `make test` also
runs `docker compose config` (or `docker-compose config`) where the tool
exists (Makefile, target compose-check).
"""

import re

import pytest
import yaml
from django.conf import settings

ROOT = settings.BASE_DIR
APP_SERVICES = ("web", "web-replica")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def dockerfile_cmd() -> str:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    return next(line for line in reversed(lines) if line.startswith("CMD"))


def test_the_image_starts_daphne_without_migrating():
    """Each replica would run migrate at start, and replicas started together race."""
    cmd = dockerfile_cmd()
    assert "migrate" not in cmd
    assert "daphne" in cmd


def test_migrations_run_once_in_a_one_off_service_the_web_processes_wait_for(compose):
    services = compose["services"]
    migrate = services["migrate"]
    assert "manage.py migrate" in " ".join(migrate["command"])
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate.get("restart", "no") == "no"
    for name in APP_SERVICES:
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in " ".join(service.get("command") or []), name
    # No other service migrates.
    migrating = [name for name, s in services.items() if "migrate" in " ".join(s.get("command") or [])]
    assert migrating == ["migrate"]


def test_healthchecks_stay(compose):
    services = compose["services"]
    for name in ("db", "redis", "web", "web-replica", "proxy"):
        assert services[name]["healthcheck"]["test"], name


def test_no_secret_in_the_compose_file(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    assert "change-me" not in text
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        for key in ("SECRET_KEY", "POSTGRES_PASSWORD"):
            if key in env:
                # Only a reference to the env file (.env), which compose fills in.
                assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", env[key]), (name, key, env[key])
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()


def test_the_example_env_file_names_every_variable_the_compose_file_requires():
    text = (ROOT / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    example = (ROOT / ".env.example").read_text()
    defined = set(re.findall(r"^(\w+)=", example, re.MULTILINE))
    assert required and required <= defined, required - defined
