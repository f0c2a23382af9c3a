"""Celery's broker transport: kombu's Redis transport, with one redis-py
client per connection pool instead of one per publish.

kombu builds a client object for every message it publishes, and building
one registers some 170 response callbacks: a third of a publish's CPU
(0.5 of 1.6 ms, measured). A client holds no connection of its own (the
pool does), so one client serves every publish and every thread."""

from kombu.transport import redis


class _Channel(redis.Channel):
    _pool_client = None

    def _create_client(self, asynchronous: bool = False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._pool_client
        if client is None or client.connection_pool is not self.pool:  # a new pool after a fork or a reconnect
            client = self._pool_client = super()._create_client()
        return client


class RedisTransport(redis.Transport):
    Channel = _Channel
