"""Short-lived per-app caches of values that may lag the database a little."""

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import TTLCache
from flask import current_app

# The app.extensions key of a clock replacing time.time for caches and windows.
CLOCK = "forum_clock"


def app_clock() -> Callable[[], float]:
    """The current app's clock: seconds since the epoch, time.time by default."""
    return current_app.extensions.get(CLOCK, time.time)


class TimedCache:
    """A thread-safe cachetools TTLCache."""

    def __init__(self, seconds: float, timer: Callable[[], float], maxsize=2048):
        self.lock = threading.Lock()
        self.cache: TTLCache[Hashable, Any] = TTLCache(
            maxsize=maxsize, ttl=seconds, timer=timer
        )

    def get(self, key: Hashable) -> Any:
        """The cached value, or None when absent or expired."""
        with self.lock:
            return self.cache.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        """Keep a value for the cache's time."""
        with self.lock:
            self.cache[key] = value


def app_cache(name: str, setting: str) -> TimedCache | None:
    """The current app's cache ``name``, keeping entries for the config value
    ``setting`` seconds; None when that is 0 (the cache is off)."""
    seconds = current_app.config[setting]
    if seconds <= 0:
        return None
    key = f"forum_cache_{name}"
    cache = current_app.extensions.get(key)
    if cache is None:
        with _create_lock:
            cache = current_app.extensions.setdefault(
                key, TimedCache(seconds, app_clock())
            )
    return cache


_create_lock = threading.Lock()
