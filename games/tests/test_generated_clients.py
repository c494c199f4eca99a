"""Clients generated from the live /api/schema/ play a solo game (issue #10).

A mobile or SPA developer generates a client and expects it to work as is:
- Python: openapi-python-client (pinned in requirements-dev.txt) generates a
  package in a temp dir; it signs up, plays a solo game to the end, reads the
  list, and decodes a 400, 404, 409 and 429 into its `Error` model (a client
  raises on any status the schema did not declare).
- TypeScript: openapi-typescript generates the types; games/tests/clients/
  typescript/play.ts (openapi-fetch) is type-checked with `tsc --strict
  --noEmit`, then compiled and run against the same server. `make test`
  installs its npm packages first (`npm ci`, package-lock.json committed).

The checks live under games/tests/clients/ because they are test fixtures
run by pytest, not documentation.
"""

import importlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from games.tests.servers import live_server

pytestmark = pytest.mark.django_db(transaction=True)

TYPESCRIPT = Path(__file__).parent / "clients" / "typescript"
PASSWORD = "a long passphrase"
HANG_GUARD = 300
# A low login rate on this server only, so the 429 is reachable in a few calls.
LOGIN_RATE = {"THROTTLE_LOGIN": "3/min"}


def venv_env() -> dict[str, str]:
    """PATH with this interpreter's bin first (openapi-python-client runs ruff from it)."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def schema_url(server) -> str:
    return f"{server.http_url}/api/schema/?format=json"


# --- Python ----------------------------------------------------------------------------


@pytest.fixture
def generated_package(tmp_path):
    """A fresh package name per test, removed from sys.modules afterwards."""
    name = f"mm_client_{uuid.uuid4().hex[:8]}"
    sys.path.insert(0, str(tmp_path))
    yield tmp_path, name
    sys.path.remove(str(tmp_path))
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]


def generate_python_client(server, tmp_path: Path, name: str):
    generator = str(Path(sys.executable).with_name("openapi-python-client"))
    result = subprocess.run(  # noqa: S603 - our own command line
        [
            generator,
            "generate",
            "--url",
            schema_url(server),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / name),
        ],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env=venv_env(),
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output, output
    return importlib.import_module(name)


def test_the_generated_python_client_plays_a_solo_game_and_decodes_errors(generated_package):
    tmp_path, name = generated_package
    with live_server(LOGIN_RATE) as server:
        client_module = generate_python_client(server, tmp_path, name)

        def api(path: str):
            return importlib.import_module(f"{name}.api.{path}")

        models = importlib.import_module(f"{name}.models")
        anon = client_module.Client(base_url=server.http_url, raise_on_unexpected_status=True)

        token = api("auth.auth_register_create").sync(
            client=anon, body=models.RegisterRequest(username="pyclient", password=PASSWORD)
        )
        assert isinstance(token, models.Token), token
        me = client_module.AuthenticatedClient(
            base_url=server.http_url, token=token.token, prefix="Token", raise_on_unexpected_status=True
        )

        room = api("quick_play.quick_play_create").sync(
            client=me, body=models.QuickPlayRequest(code_length=2, colors=2, max_guesses=4)
        )
        assert isinstance(room, models.Room), room
        assert room.status == models.RoomStatusEnum.PLAYING
        results = []
        for guess in ([0, 0], [0, 1], [1, 0], [1, 1]):
            result = api("rooms.rooms_guesses_create").sync(
                code=room.code, client=me, body=models.GuessInputRequest(guess=guess)
            )
            assert isinstance(result, models.GuessResult), result
            results.append(result)
            if result.solved:
                break
        assert results[-1].solved

        listed = api("rooms.rooms_list").sync(client=me, mine=True, ordering=models.RoomsListOrdering.VALUE_1)
        assert isinstance(listed, models.PaginatedRoomList), listed
        assert [r.code for r in listed.results] == [room.code]
        assert listed.results[0].status == models.RoomStatusEnum.FINISHED

        # 400: a setting out of range, named.
        bad = api("rooms.rooms_create").sync(
            client=me, body=models.RoomCreateRequest(mode=models.ModeEnum.SOLO, colors=99)
        )
        assert isinstance(bad, models.Error), bad
        assert (bad.code, bad.field) == ("invalid", "colors")
        assert bad.errors["colors"]
        # 404: no such room.
        missing = api("rooms.rooms_retrieve").sync(code="ZZZZZZ", client=me)
        assert isinstance(missing, models.Error) and missing.code == "not_found", missing
        # 409: a guess after the end.
        late = api("rooms.rooms_guesses_create").sync(
            code=room.code, client=me, body=models.GuessInputRequest(guess=[0, 0])
        )
        assert isinstance(late, models.Error) and late.code == "wrong_state", late
        # 400 then 429: wrong passwords until the login throttle says when to retry.
        login = api("auth.auth_login_create")
        wrong = models.LoginRequest(username="pyclient", password="not it")
        answers = [login.sync_detailed(client=anon, body=wrong) for _ in range(4)]
        assert [a.status_code for a in answers] == [400, 400, 400, 429]
        assert isinstance(answers[0].parsed, models.Error) and answers[0].parsed.code == "bad_credentials"
        throttled = answers[-1]
        assert isinstance(throttled.parsed, models.Error) and throttled.parsed.code == "throttled"
        assert int(throttled.headers["Retry-After"]) > 0


# --- TypeScript ----------------------------------------------------------------------------


def test_the_generated_typescript_types_compile_strictly_and_the_program_plays(tmp_path):
    bin_dir = TYPESCRIPT / "node_modules" / ".bin"
    assert (bin_dir / "tsc").exists(), (
        "Run `make typescript-client` (npm ci in games/tests/clients/typescript)."
    )
    node = shutil.which("node")
    assert node, "Node.js 20 is needed for the TypeScript client check."
    schema_types = tmp_path / "schema.d.ts"
    out_dir = TYPESCRIPT / f".out-{uuid.uuid4().hex[:8]}"
    # This run's own tsconfig: the committed one, with "mm-schema" pointing at this run's types.
    base = json.loads((TYPESCRIPT / "tsconfig.json").read_text())
    base["compilerOptions"]["paths"] = {"mm-schema": [str(schema_types)]}
    base["compilerOptions"]["typeRoots"] = [str(TYPESCRIPT / "node_modules" / "@types")]
    base["files"] = [str(TYPESCRIPT / "play.ts")]
    tsconfig = tmp_path / "tsconfig.json"
    tsconfig.write_text(json.dumps(base))

    def run(*command: str) -> str:
        result = subprocess.run(  # noqa: S603 - our own command line
            command, capture_output=True, text=True, timeout=HANG_GUARD, cwd=TYPESCRIPT
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{' '.join(command)}\n{output}"
        return output

    with live_server() as server:
        try:
            run(str(bin_dir / "openapi-typescript"), schema_url(server), "-o", str(schema_types))
            run(str(bin_dir / "tsc"), "-p", str(tsconfig), "--strict", "--noEmit")
            # Types check; now the same program, compiled, against the server.
            run(str(bin_dir / "tsc"), "-p", str(tsconfig), "--noEmit", "false", "--outDir", str(out_dir))
            played = json.loads(run(node, str(out_dir / "play.js"), server.http_url).strip().splitlines()[-1])
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)
    assert 1 <= played["guesses"] <= 4
    assert played["listed"] == 1
