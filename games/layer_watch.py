"""Live events resume after a Redis outage: each server process probes its channel layer.

channels-redis's pub/sub layer delivers at most once and reconnects to Redis
by itself (redis-py re-subscribes its channels), but it tells nobody: events
published while Redis was gone, or before the re-subscription, are simply
missed, and a socket that hears no later event never notices the gap.

So each process that has sockets sends itself a probe through the layer
every PROBE_SECONDS. While probes fail, Redis is down (one warning a minute,
config/outages.py). When a probe comes back after failures, the
subscription is live again, and the process closes its sockets with 4503
(config.outages.CLOSE_UNAVAILABLE): each client reconnects, gets a fresh
`room.state` taken after subscribing, and so misses nothing; a client that
kept its last version can `resync` instead. With the in-memory layer (no
REDIS_URL) there is nothing to watch.
"""

import asyncio
import itertools
import logging

from channels.layers import get_channel_layer
from django.conf import settings

from config import outages

logger = logging.getLogger(__name__)


class RedisOutageLogFilter(logging.Filter):
    """channels-redis logs a traceback a second while Redis is gone; make it our one warning a minute."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, outages.REDIS_DOWN):
            outages.warn("redis", "the channel layer is reconnecting", exc)
            # The subscription broke: events may be missed until it is back.
            layer_watch.down = True
            return False
        return True


logging.getLogger("channels_redis.pubsub").addFilter(RedisOutageLogFilter())

PROBE_SECONDS = 1.0
PROBE_TIMEOUT = 2.0


class LayerWatch:
    def __init__(self):
        self.task: asyncio.Task | None = None
        self.counter = itertools.count()
        # Set by a Redis error (the probe's, or the layer's receive task's),
        # cleared by the next probe that comes back, which closes the sockets.
        self.down = False

    def ensure_running(self) -> None:
        """Start the probe on this event loop, once (called as a socket opens)."""
        if not settings.REDIS_URL:
            return
        loop = asyncio.get_running_loop()
        if self.task is None or self.task.done() or self.task.get_loop() is not loop:
            self.task = loop.create_task(self.run())

    async def run(self) -> None:
        from games.ws_auth import credential_watch

        layer = get_channel_layer()
        if layer is None:
            return
        channel = None
        while True:
            try:
                if channel is None:
                    channel = await layer.new_channel()
                await self.probe(layer, channel)
                if self.down:
                    self.down = False
                    logger.warning("redis is back; closing this process's sockets 4503 so they resync")
                    await close_sockets(credential_watch.sockets)
            except TimeoutError:
                # No answer in time: a busy process, or a subscription not yet
                # back. Only a Redis error means an outage (a slow machine
                # must not close every socket). The layer drops a channel
                # whose receive was cancelled: take a new one.
                channel = None
            except outages.REDIS_DOWN as exc:
                outages.warn("redis", "live events pause until it returns", exc)
                self.down = True
                channel = None
            await asyncio.sleep(PROBE_SECONDS)

    async def probe(self, layer, channel: str) -> None:
        number = next(self.counter)
        await layer.send(channel, {"type": "layer.probe", "number": number})
        async with asyncio.timeout(PROBE_TIMEOUT):
            # Drop any late answer to an earlier probe.
            while (await layer.receive(channel)).get("number") != number:
                pass


async def close_sockets(sockets) -> None:
    loop = asyncio.get_running_loop()
    for consumer in list(sockets):
        if getattr(consumer, "loop", None) is loop:
            await consumer.close(code=outages.CLOSE_UNAVAILABLE)


layer_watch = LayerWatch()
