"""A bounded least-recently-used cache, safe across threads: the read side's rankings and spelling
corrections per index version, and the pages' rendered responses."""

from __future__ import annotations

import threading
from collections import OrderedDict


class LRU:
    """A least-recently-used cache of at most ``size`` entries and ``max_weight`` (bytes, as weighed by the caller)."""

    def __init__(self, size: int, max_weight: int | None = None):
        self.size = size
        self.max_weight = max_weight
        self.weight = 0
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key, default=None):
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key][0]
        return default

    def put(self, key, value, weight: int = 0) -> None:
        with self.lock:
            if self.max_weight is not None and weight > self.max_weight:
                return
            if key in self.entries:
                self.weight -= self.entries[key][1]
            self.entries[key] = (value, weight)
            self.entries.move_to_end(key)
            self.weight += weight
            while len(self.entries) > self.size or (self.max_weight is not None and self.weight > self.max_weight):
                self.weight -= self.entries.popitem(last=False)[1][1]
