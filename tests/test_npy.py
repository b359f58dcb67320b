"""The index's ``.npy`` files read without :mod:`ast` (numpy's own reader parses headers with it, and
CPython 3.11's AST converter is not safe in two threads at once: see :mod:`evidence.npy`)."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from evidence.npy import map_array
from evidence.outputs import save_array

ARRAYS = {
    "int64": np.arange(-3, 7, dtype=np.int64),
    "int32 empty": np.zeros(0, dtype=np.int32),
    "uint8": np.arange(250, dtype=np.uint8),
    "uint32": np.array([0, 2**32 - 1], dtype=np.uint32),
    "float64 with nan": np.array([1.5, np.nan, -np.inf]),
    "big-endian": np.arange(5, dtype=">i4"),
    "two-dimensional": np.arange(12.0).reshape(3, 4),
    "Fortran order": np.asfortranarray(np.arange(12).reshape(3, 4)),
    "one element": np.array([7], dtype=np.int16),
}


@pytest.fixture
def no_ast(monkeypatch):
    """``ast``'s parsers replaced by ones that fail: a read that used them fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("ast used")
    monkeypatch.setattr(ast, "literal_eval", refuse)
    monkeypatch.setattr(ast, "parse", refuse)


@pytest.mark.parametrize("name", ARRAYS)
def test_an_array_reads_back_as_numpy_reads_it(tmp_path, name):
    path = tmp_path / "a.npy"
    save_array(path, ARRAYS[name])
    expected = np.load(path)
    mapped = map_array(path)
    assert (mapped.dtype, mapped.shape) == (expected.dtype, expected.shape)
    assert mapped.flags.f_contiguous == expected.flags.f_contiguous
    np.testing.assert_array_equal(mapped, expected)
    assert mapped.tobytes() == expected.tobytes()


def test_no_ast_is_used(tmp_path, no_ast):
    path = tmp_path / "a.npy"
    save_array(path, np.arange(10))
    with pytest.raises(AssertionError, match="ast used"):
        np.load(path)  # the test's own check: numpy's reader does use it
    assert map_array(path).tolist() == list(range(10))


@pytest.mark.parametrize("cut", [1, 8, 12, 60, 128, 130])
def test_a_cut_file_is_refused_naming_it(tmp_path, cut):
    path = tmp_path / "cut.npy"
    save_array(path, np.arange(4, dtype=np.int64))  # 128 bytes of header, 32 of data
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(ValueError, match="cut.npy"):
        map_array(path)


@pytest.mark.parametrize("header", [
    b"{'descr': '<i8', 'fortran_order': False, 'shape': (4,), 'extra': 1, }",
    b"{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (4,), }",
    b"{'descr': '<i8', 'fortran_order': Maybe, 'shape': (4,), }",
    b"__import__('os')",
])
def test_a_header_the_index_does_not_write_is_refused(tmp_path, header):
    path = tmp_path / "odd.npy"
    header = header + b" " * (117 - len(header)) + b"\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(32))
    with pytest.raises(ValueError, match="odd.npy: a .npy header"):
        map_array(path)


def test_not_an_npy_file(tmp_path):
    path = tmp_path / "text.npy"
    path.write_text("hello, world")
    with pytest.raises(ValueError, match="text.npy: not a .npy file"):
        map_array(path)
