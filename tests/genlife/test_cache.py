"""The Redis cache backend's own behaviour (its outage handling is in tests/faults)."""

from genlife.cache import ResilientRedisCache


def test_the_redis_cache_keeps_one_client_per_connection_pool():
    # Two servers: writes go to the first, reads to the second (Django's replica rule).
    cache = ResilientRedisCache("redis://127.0.0.1:9/0,redis://127.0.0.1:9/1", {})
    writer = cache._cache.get_client("a", write=True)
    reader = cache._cache.get_client("a")
    assert cache._cache.get_client("b", write=True) is writer
    assert cache._cache.get_client("b") is reader
    assert reader is not writer
    assert writer.connection_pool.connection_kwargs["db"] == 0
    assert reader.connection_pool.connection_kwargs["db"] == 1
