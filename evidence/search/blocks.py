"""Whoosh's posting blocks read in bulk: document numbers, weights and positions as numpy arrays.

Whoosh reads a posting list one posting at a time through a matcher; these functions take a term's
whole list a block (128 postings) at a time, straight from the codec's block layout
(``whoosh.codec.whoosh3``: a pickled info tuple, then the pickled ``(ids, weights, values)``,
zlib-compressed, ids delta-encoded), and decode ``Positions`` values without a Python loop per value.
"""

from __future__ import annotations

import zlib
from pickle import loads

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher


def read_all(m, values: bool):
    """Every posting of a raw (unfiltered) leaf matcher: docnums, weights and (optionally) values."""
    if type(m) is W3LeafMatcher:
        ids, weights, vals = [], [], []
        while True:
            count = m._blocklength
            data = m._postfile.get(m._dataoffset, m._nextoffset - m._dataoffset)
            if m._compression:
                data = zlib.decompress(data)
            bids, bweights, bvalues = loads(data)
            ids.append(np.cumsum(np.asarray(bids, dtype=np.int64)))
            if bweights is None:
                weights.append(np.ones(count))
            elif isinstance(bweights, float):
                weights.append(np.full(count, bweights))
            else:
                weights.append(np.asarray(bweights, dtype=np.float64))
            if values:
                vals.extend(bvalues if isinstance(bvalues, (list, tuple)) else [None] * count)
            if m._lastblock:
                break
            m._goto(m._nextoffset)
        return np.concatenate(ids), np.concatenate(weights), vals
    ids, weights, vals = [], [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        if values:
            vals.append(m.value())
        m.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64), vals


_PROTO = np.frombuffer(b"\x80\x02]q\x00", dtype=np.uint8)  # PROTO 2, EMPTY_LIST, BINPUT 0
_K, _M, _J = 0x4B, 0x4D, 0x4A  # BININT1 (1 byte), BININT2 (2 bytes), BININT (4 bytes, signed)
_MARK, _APPEND, _APPENDS, _STOP = 0x28, 0x61, 0x65, 0x2E


def decode_positions(values: list, fallback) -> tuple[np.ndarray, np.ndarray]:
    """``(value index, position)`` of every position in Whoosh ``Positions`` values, vectorised.

    A value is a 4-byte big-endian count, then the position deltas as the protocol-2 pickle of a
    list (``whoosh.formats.Positions.encode``): the header ``PROTO 2, EMPTY_LIST, BINPUT 0``, then
    one item and ``APPEND`` or ``MARK``, the items and ``APPENDS``, then ``STOP``; each item is
    ``BININT1``/``BININT2``/``BININT`` with its 1, 2 or 4 bytes. Items are read in lockstep across all
    values (one numpy step per item index). Anything else — a list of over 1,000 items, which pickle
    splits into batches, or a value that does not parse exactly — goes to ``fallback`` (Whoosh's own
    ``Positions.decode_positions``).
    """
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lens = np.fromiter(map(len, values), dtype=np.int64, count=n)
    buf = np.frombuffer(b"".join(values) + bytes(8), dtype=np.uint8)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    b = buf[starts[:, None] + np.arange(4)].astype(np.int64)
    count = (b[:, 0] << 24) | (b[:, 1] << 16) | (b[:, 2] << 8) | b[:, 3]
    single = count == 1
    ok = (count >= 1) & (count <= 1000) & (lens >= 13)
    ok &= (buf[starts[:, None] + 4 + np.arange(5)] == _PROTO).all(axis=1)
    ok &= single | (buf[starts + 9] == _MARK)
    offset = np.zeros(n, dtype=np.int64)
    np.cumsum(np.where(ok, count, 0)[:-1], out=offset[1:])
    out = np.zeros(int(np.where(ok, count, 0).sum()), dtype=np.int64)
    live = np.nonzero(ok)[0]
    cur = starts[live] + np.where(single[live], 9, 10)
    acc = np.zeros(len(live), dtype=np.int64)
    j = 0
    while len(live):
        op = buf[cur]
        a1, a2, a3, a4 = (buf[cur + k].astype(np.int64) for k in range(1, 5))
        arg = np.where(op == _K, a1, np.where(op == _M, a1 | (a2 << 8), a1 | (a2 << 8) | (a3 << 16) | (a4 << 24)))
        good = ((op == _K) | (op == _M) | ((op == _J) & (a4 < 128))) & (cur < starts[live] + lens[live])
        ok[live[~good]] = False
        acc += arg
        out[offset[live] + j] = acc
        cur += np.where(op == _K, 2, np.where(op == _M, 3, 5))
        j += 1
        done = count[live] == j
        if done.any():
            end = cur[done]
            closer = np.where(single[live[done]], _APPEND, _APPENDS)
            exact = (buf[end] == closer) & (buf[end + 1] == _STOP) & (end + 2 == starts[live[done]] + lens[live[done]])
            ok[live[done][~exact]] = False
        keep = ~done & good
        live, cur, acc = live[keep], cur[keep], acc[keep]
    owner = np.repeat(np.arange(n), np.where(ok, count, 0))
    spans = np.repeat(offset, np.where(ok, count, 0)) + (np.arange(len(owner)) - np.repeat(
        np.cumsum(np.where(ok, count, 0)) - np.where(ok, count, 0), np.where(ok, count, 0)))
    doc_of, positions = owner, out[spans]
    slow = np.nonzero(~ok)[0]
    if len(slow):
        extra = [(i, p) for i in slow.tolist() for p in fallback(values[i])]
        doc_of = np.concatenate([doc_of, np.array([i for i, _ in extra], dtype=np.int64)])
        positions = np.concatenate([positions, np.array([p for _, p in extra], dtype=np.int64)])
        order = np.lexsort((positions, doc_of))
        doc_of, positions = doc_of[order], positions[order]
    return doc_of, positions
