"""The shared rate limiter on a real Redis: buckets are shared by every process, and Redis
being down lets people through rather than taking the privacy center down."""

from __future__ import annotations

import uuid

from lawful.http.ratelimit import RedisRateLimiter

REDIS = "redis://127.0.0.1:6379/3"


def _limiter(prefix: str, *, url: str = REDIS) -> RedisRateLimiter:
    # One token every 10 s: a slow machine cannot refill the bucket during a test.
    return RedisRateLimiter(url, per_minute=6, burst=3, prefix=prefix)


def test_two_processes_share_one_bucket_per_client() -> None:
    prefix = f"lawful:test:{uuid.uuid4().hex}:"
    first, second = _limiter(prefix), _limiter(prefix)  # as two server processes would
    try:
        assert [first.hit("203.0.113.9 POST /x"), second.hit("203.0.113.9 POST /x")] == [None] * 2
        assert first.hit("203.0.113.9 POST /x") is None
        wait = second.hit("203.0.113.9 POST /x")
        assert wait is not None
        assert 0 < wait <= 10.0  # 6 a minute: one more within ten seconds
        assert first.hit("198.51.100.7 POST /x") is None  # another client has its own bucket
    finally:
        first.close()
        second.close()


def test_client_addresses_are_not_stored_in_clear() -> None:
    prefix = f"lawful:test:{uuid.uuid4().hex}:"
    limiter = _limiter(prefix)
    try:
        limiter.hit("203.0.113.9 POST /x")
        keys = [
            k.decode() if isinstance(k, bytes) else k for k in limiter._redis.keys(prefix + "*")
        ]
        assert len(keys) == 1
        assert "203.0.113.9" not in keys[0]
        assert 0 < limiter._redis.ttl(keys[0]) <= 31  # gone once the bucket is full again
    finally:
        limiter.close()


def test_redis_down_lets_the_request_through() -> None:
    limiter = _limiter("lawful:test:", url="redis://127.0.0.1:1/0")  # nothing listens there
    try:
        assert all(limiter.hit("203.0.113.9 POST /x") is None for _ in range(5))
    finally:
        limiter.close()
