"""Rate limits for public endpoints: a token bucket per client IP and route.

`RateLimiter` keeps its buckets in this process: behind several server processes each
counts apart. `RedisRateLimiter` (with `LAWFUL_RATE_LIMIT_REDIS_URL`) keeps them in Redis,
shared by every process and server, updated atomically by one Lua script. Behind a reverse
proxy, list it in LAWFUL_TRUSTED_PROXIES so the client IP is the person's, not the proxy's;
no other client's X-Forwarded-For is believed (`lawful.cli.web.proxy_options`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis

logger = logging.getLogger("lawful.web")

MAX_BUCKETS = 100_000  # beyond this, full (idle) buckets are dropped to bound memory


@dataclass
class _Bucket:
    tokens: float
    updated: float


class Limiter(Protocol):
    def hit(self, key: str) -> float | None:
        """Take one token for `key`: None if allowed, else seconds until one is available."""

    def close(self) -> None: ...


class RateLimiter:
    """`burst` requests at once, then `per_minute` per minute, per key (in this process)."""

    def __init__(
        self, *, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Take one token for `key`: None if allowed, else seconds until one is available."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                self._prune(now)
                bucket = self._buckets[key] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return (1 - bucket.tokens) / self.rate

    def close(self) -> None:
        self._buckets.clear()

    def _prune(self, now: float) -> None:
        if len(self._buckets) < MAX_BUCKETS:
            return
        refill = self.burst / self.rate
        for key in [k for k, b in self._buckets.items() if now - b.updated >= refill]:
            del self._buckets[key]
        if len(self._buckets) >= MAX_BUCKETS:  # all busy: forget the least recent half
            by_age = sorted(self._buckets, key=lambda k: self._buckets[k].updated)
            for key in by_age[: len(by_age) // 2]:
                del self._buckets[key]


# KEYS[1]: the bucket; ARGV: rate per second, burst. Redis's own clock, so servers agree.
_TAKE = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(b[1]) or burst
local updated = tonumber(b[2]) or t
tokens = math.min(burst, tokens + math.max(0, t - updated) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(t))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(wait)
"""


class RedisRateLimiter:
    """The same buckets in Redis, shared by every process. Keys are hashed (a client IP is
    personal data) and expire once full again. If Redis is unreachable the request is let
    through and the outage logged: a limiter must not take the privacy center down."""

    def __init__(
        self, url: str, *, per_minute: int, burst: int, prefix: str = "lawful:rl:"
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.prefix = prefix
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._take = self._redis.register_script(_TAKE)

    def hit(self, key: str) -> float | None:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        try:
            wait = float(self._take(keys=[self.prefix + digest], args=[self.rate, self.burst]))
        except redis.RedisError as error:
            logger.warning(
                "rate limiter: Redis unreachable (%s); request let through", type(error).__name__
            )
            return None
        return None if wait <= 0 else wait

    def close(self) -> None:
        self._redis.close()
