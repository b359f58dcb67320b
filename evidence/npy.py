"""Reading the ``.npy`` files the build writes (:func:`evidence.outputs.save_array`), without :mod:`ast`.

``numpy.load`` reads a header with ``ast.literal_eval``. CPython 3.11 keeps the AST converter's recursion
depth per interpreter, not per thread, so two threads converting at once can fail with ``SystemError: AST
constructor recursion depth mismatch`` (python/cpython#106905 and the reports linked there). CI met it when
one thread checked a new index version while a page's thread opened the index. The files are the project's
own, written by ``numpy.lib.format.write_array``, so the header's three keys are read here by a pattern and
the data mapped with :class:`numpy.memmap`; anything else in a header is a damaged file (ValueError).
"""

from __future__ import annotations

import math
import os
import re
import struct

import numpy as np

MAGIC = b"\x93NUMPY"
#: Format major version -> (the header length's struct format, the header's encoding), as numpy.lib.format.
LENGTHS = {1: ("<H", "latin1"), 2: ("<I", "latin1"), 3: ("<I", "utf8")}
#: The dictionary ``write_array`` writes: keys sorted, each value's repr, then spaces and a newline.
HEADER = re.compile(r"\{'descr': '([<>|=][a-zA-Z][0-9]*)', 'fortran_order': (False|True), "
                    r"'shape': \(((?:[0-9]+, ?)*[0-9]*)\), \} *\n\Z")


def read_header(handle, name) -> tuple[np.dtype, tuple[int, ...], bool, int]:
    """The dtype, shape, Fortran order and data offset of the ``.npy`` file open as ``handle``."""
    prefix = handle.read(len(MAGIC) + 2)
    if len(prefix) < len(MAGIC) + 2 or prefix[:len(MAGIC)] != MAGIC or prefix[len(MAGIC)] not in LENGTHS:
        raise ValueError(f"{name}: not a .npy file")
    length_format, encoding = LENGTHS[prefix[len(MAGIC)]]
    raw = handle.read(struct.calcsize(length_format))
    if len(raw) < struct.calcsize(length_format):
        raise ValueError(f"{name}: the .npy header is cut short")
    header = handle.read(struct.unpack(length_format, raw)[0])
    found = HEADER.match(header.decode(encoding, errors="replace"))
    if found is None:
        raise ValueError(f"{name}: a .npy header this index does not write: {header[:120]!r}")
    descr, fortran, shape = found.groups()
    return np.dtype(descr), tuple(int(n) for n in shape.split(",") if n.strip()), fortran == "True", handle.tell()


def map_array(path) -> np.memmap:
    """The array saved at ``path``, memory-mapped read-only. A file shorter than its header says raises
    ValueError here (as ``numpy.load`` does), not a SIGBUS at the first read past its end."""
    with open(path, "rb") as handle:
        dtype, shape, fortran, offset = read_header(handle, os.fspath(path))
        size = os.fstat(handle.fileno()).st_size
    needed = offset + dtype.itemsize * math.prod(shape)
    if size < needed:
        raise ValueError(f"{os.fspath(path)}: {size} bytes, its header says {needed}")
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C")
