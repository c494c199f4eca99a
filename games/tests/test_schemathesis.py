"""Schemathesis against a live daphne: every check, every operation, bounded (issue #10).

A client generated from /api/schema/ must never meet a response the schema
did not promise, and no request, however odd, may be a 500. Schemathesis
generates requests from the served schema (positive and negative data,
coverage cases, stateful sequences through the inferred links) and runs
`--checks all`; the accepted exceptions are in clients/schemathesis.toml,
each with its reason.

Bounded for CI: 25 examples per operation, one worker (the machine is
shared), a fixed seed (SCHEMATHESIS_SEED overrides it) so a failure
reproduces; the subprocess timeout is only a hang guard. Logout and
logoutall revoke the token they are called with, so they run apart with a
token of their own.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from games.tests.servers import http_json, live_server

pytestmark = pytest.mark.django_db(transaction=True)

CONFIG = Path(__file__).parent / "clients" / "schemathesis.toml"
EXAMPLES = "25"
HANG_GUARD = 600
LOGOUTS = r"^/api/v1/auth/logout(all)?/$"


def schemathesis() -> str:
    return str(Path(sys.executable).with_name("st"))


def token_for(server, username: str) -> str:
    status, body = http_json(
        "POST",
        f"{server.http_url}/api/v1/auth/register/",
        body={"username": username, "password": "a long passphrase"},
    )
    assert status == 201, body
    return body["token"]


def run(server, token: str, *selection: str, cwd: Path) -> tuple[int, str]:
    command = [
        schemathesis(),
        "--config-file",
        str(CONFIG),
        "run",
        f"{server.http_url}/api/schema/?format=json",
        "--url",
        server.http_url,
        "--checks",
        "all",
        "--header",
        f"Authorization: Token {token}",
        "--max-examples",
        EXAMPLES,
        "--workers",
        "1",
        "--seed",
        os.environ.get("SCHEMATHESIS_SEED", "20261127"),
        "--no-color",
        *selection,
    ]
    result = subprocess.run(  # noqa: S603 - our own command line
        command,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=cwd,  # its cache directory goes there, not into the checkout
    )
    return result.returncode, result.stdout + result.stderr


def summary(output: str) -> str:
    """Schemathesis' counts, for the failure message and the -s output."""
    lines = [
        line.strip()
        for line in output.splitlines()
        if re.search(r"Selected:|Tested:|generated|❌|🚫|failures?,|passed in", line)
    ]
    return "\n".join(lines)


def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(capsys, tmp_path):
    with live_server() as server:
        shared = token_for(server, "fuzzer")
        code, output = run(server, shared, "--exclude-path-regex", LOGOUTS, cwd=tmp_path)
        assert code == 0, f"{summary(output)}\n\n{output[-6000:]}\n\n{server.describe()}"
        assert re.search(r"Tested: 2[0-9]", output), summary(output)
        assert re.search(r"(\d+) generated, \1 passed", output), summary(output)

        own = token_for(server, "fuzzer-logout")
        code, logout_output = run(server, own, "--include-path-regex", LOGOUTS, cwd=tmp_path)
        assert code == 0, f"{summary(logout_output)}\n\n{logout_output[-4000:]}"
        assert "Tested: 2" in logout_output, summary(logout_output)

        log = server.log_path.read_text(errors="replace")
        assert "Traceback" not in log, server.describe()
    with capsys.disabled():
        print("\nschemathesis (all operations but logout):\n" + summary(output))
        print("schemathesis (logout, logoutall, own token):\n" + summary(logout_output))
