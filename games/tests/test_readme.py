"""The README's commands work as written, pasted into a shell (issue #10, README gaps)."""

import json
import os
import re
import subprocess

import pytest
from django.conf import settings

from games.tests.servers import live_server

README = (settings.BASE_DIR / "README.md").read_text()
# A developer's shell: no DEBUG, no SECRET_KEY, no database settings of the test run.
SHELL_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": os.environ.get("HOME", "/tmp"),
    "SQLITE_PATH": str(settings.BASE_DIR / "var" / "readme-test.sqlite3"),
}


def sh_block_after(heading: str) -> str:
    section = README[README.index(heading) :]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readme_names_nothing_outside_the_repository():
    assert "../shared" not in README
    for target in re.findall(r"\]\(((?!https?:|#)[^)]+)\)", README):
        assert (settings.BASE_DIR / target).exists(), target


def test_the_solver_stats_command_runs_as_written():
    line = next(line for line in README.splitlines() if "manage.py solver_stats" in line)
    command = re.search(r"`([^`]*manage\.py solver_stats[^`]*)`", line).group(1)
    result = subprocess.run(  # noqa: S603 - the README's own command
        ["bash", "-c", command],  # noqa: S607
        cwd=settings.BASE_DIR,
        env=SHELL_ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "total 5801 guesses" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_the_api_example_pastes_and_plays_a_guess():
    block = sh_block_after("## Playing over the API")
    with live_server() as server:
        script = block.replace("http://localhost:8000", server.http_url)
        assert script != block, "the example no longer names http://localhost:8000"
        result = subprocess.run(  # noqa: S603
            ["bash", "-e", "-o", "pipefail", "-c", script],  # noqa: S607
            env={**SHELL_ENV, "no_proxy": "*", "NO_PROXY": "*"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"{result.stderr}\n{server.describe()}"
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["number"] == 1
    assert {"exact", "misplaced", "solved", "remaining", "version"} <= set(answer)
