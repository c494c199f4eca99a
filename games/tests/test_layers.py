"""Who may import whom (issue #11): the doors stay thin and each shape has one home.

The REST packages (games.api, accounts.api) are doors: nothing below them
imports them. The accounts app has its own error and shares only the
project's API plumbing (config.api), never the game's rules or REST views.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def app_modules(*packages: str):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "tests" not in path.relative_to(ROOT).parts and "migrations" not in path.parts:
                yield path


# boards builds room.state with the REST RoomSerializer, the one room shape, on purpose.
@pytest.mark.parametrize("module", ["services", "selectors", "events", "wire", "rules", "visibility"])
def test_the_game_layers_below_the_doors_do_not_import_the_rest_door(module):
    imports = imported_modules(ROOT / "games" / f"{module}.py")
    assert not {name for name in imports if name.startswith("games.api")}


@pytest.mark.parametrize("path", list(app_modules("accounts")), ids=lambda p: str(p.relative_to(ROOT)))
def test_accounts_imports_neither_the_games_rest_door_nor_its_errors(path):
    imports = imported_modules(path)
    assert not {name for name in imports if name.startswith(("games.api", "games.exceptions"))}


def test_accounts_logout_doors_leave_socket_closing_to_the_service():
    imports = imported_modules(ROOT / "accounts" / "api" / "views.py")
    assert "games.events" not in imports
    assert not {name for name in imports if name.startswith("games.events.")}
