"""The Redis cache keeps one client per connection pool, and still does what a cache does."""

import pytest
from django.conf import settings
from django.core.cache import caches

from config.redis_cache import RedisCache

pytestmark = pytest.mark.skipif(
    not settings.CACHES["pages"]["BACKEND"].endswith("redis_cache.RedisCache"),
    reason="REDIS_URL is not set: the caches are in memory",
)


def test_one_client_serves_every_operation():
    store = caches["pages"]
    assert isinstance(store, RedisCache)

    assert store._cache.get_client() is store._cache.get_client(write=True)

    store.set("kept-client-check", {"answer": 42}, 5)
    assert store.get("kept-client-check") == {"answer": 42}
    assert store.add("kept-client-check", "other", 5) is False
    store.delete("kept-client-check")
    assert store.get("kept-client-check") is None


def test_sessions_are_read_from_redis_and_kept_in_the_database():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    assert isinstance(caches[settings.SESSION_CACHE_ALIAS], RedisCache)
