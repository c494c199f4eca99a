"""`/metrics` for operators (SPEC §6): off by default, Prometheus text when METRICS_ENABLED=1."""

import asyncio
import random
import re

import pytest
from django.db import connection

from games import services
from games.tests.factories import wrong_guess
from games.tests.servers import LiveServer, http_json, live_server
from games.tests.test_live_servers import open_socket, recv_json, recv_until, run, token_for

pytestmark = pytest.mark.django_db(transaction=True)


def scrape(server: LiveServer) -> tuple[int, dict[str, float]]:
    """(status, {sample line's name and labels: value}) from the server's /metrics."""
    status, body = http_json("GET", f"{server.http_url}/metrics")
    samples = {}
    if status == 200:
        for line in body.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                samples[name] = float(value)
    return status, samples


def test_metrics_are_not_served_unless_enabled(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_count_requests_guesses_sockets_and_events(alice, bob):
    room = services.room_create(user=alice, mode="race")
    services.room_join(room_code=room.code, user=bob)
    services.room_start(room_code=room.code, user=alice)
    room.refresh_from_db()
    token = token_for(alice)

    async def scenario(server: LiveServer) -> dict[str, float]:
        ws = await open_socket(server, room.code, token)
        try:
            assert (await recv_json(ws))["type"] == "room.state"
            status, _ = await asyncio.to_thread(
                http_json,
                "POST",
                f"{server.http_url}/api/v1/rooms/{room.code}/guesses/",
                token=token,
                body={"guess": wrong_guess(room, rng=random.Random(1))},
            )
            assert status == 201
            await recv_until(ws, lambda m: m["type"] == "game_update" and m["event"] == "guess")
            status, samples = await asyncio.to_thread(scrape, server)
            assert status == 200
            return samples
        finally:
            await ws.close()

    with live_server({"METRICS_ENABLED": "1"}) as server:
        samples = run(scenario(server), [server], timeout=30)

    assert samples['mm_guesses_total{mode="race"}'] == 1
    assert samples['mm_events_broadcast_total{event="guess"}'] == 1
    assert samples['mm_sockets_open{endpoint="room"}'] == 1
    assert samples["mm_http_shed_total"] == 0
    by_view = {
        name: value
        for name, value in samples.items()
        if name.startswith("django_http_requests_latency_seconds_by_view_method_count")
    }
    guess_requests = [value for name, value in by_view.items() if re.search(r'view="[^"]*guesses"', name)]
    assert guess_requests == [1], by_view
    if connection.vendor == "postgresql":
        assert samples["mm_db_pool_size"] >= 1
        assert samples["mm_db_requests_errors"] == 0
