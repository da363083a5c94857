"""Django's Redis cache, keeping one client per connection pool.

Django's client builds a new `redis.Redis` for every operation, and building one (its table of
response handlers) costs about as much as the round trip it then makes: a page served from the
page cache reads two keys (its session and its content), so it paid that twice per request.
A `redis.Redis` is safe to share, and each cache object belongs to one thread anyway.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _KeptClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _KeptClient
