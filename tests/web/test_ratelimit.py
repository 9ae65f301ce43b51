"""The token bucket behind the public endpoints' rate limits."""

from __future__ import annotations

from lawful.http.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_one_request_per_interval() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=3, clock=clock)
    assert [limiter.hit("1.2.3.4 POST /x") for _ in range(3)] == [None, None, None]
    wait = limiter.hit("1.2.3.4 POST /x")
    assert wait is not None
    assert 9.9 < wait <= 10.0  # 6 per minute: one every 10 seconds
    clock.now += 10
    assert limiter.hit("1.2.3.4 POST /x") is None
    assert limiter.hit("1.2.3.4 POST /x") is not None


def test_each_client_and_route_has_its_own_bucket() -> None:
    limiter = RateLimiter(per_minute=1, burst=1, clock=Clock())
    assert limiter.hit("1.2.3.4 POST /x") is None
    assert limiter.hit("1.2.3.4 POST /x") is not None
    assert limiter.hit("5.6.7.8 POST /x") is None
    assert limiter.hit("1.2.3.4 POST /y") is None
