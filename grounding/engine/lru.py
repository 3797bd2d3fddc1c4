"""A bounded least-recently-used map with hit and miss counts.

``functools.lru_cache`` memoises a function and hides its entries; the engine needs to clear a cache
when the scene changes, to count hits for its stats, and to key entries by values it builds itself.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LRUCache(Generic[V]):
    """At most ``capacity`` entries; the least recently used one goes first. ``capacity`` 0 stores nothing."""

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f"LRUCache.capacity: expected >= 0, got {capacity}")
        self.capacity = capacity
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self.hits = 0
        """Lookups that found their key."""
        self.misses = 0
        """Lookups that did not."""

    def get(self, key: Hashable) -> V | None:
        """The value of ``key`` (now the most recent), or None."""
        if key in self._items:
            self._items.move_to_end(key)
            self.hits += 1
            return self._items[key]
        self.misses += 1
        return None

    def put(self, key: Hashable, value: V) -> None:
        """Store ``value`` under ``key``, evicting the least recent entry when full."""
        if self.capacity == 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry (the counts stay)."""
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items
