"""Bytes to text: UTF-8 with or without a byte-order mark, and nothing else.

Any other encoding is refused with a message that says how to save the file
again, because guessing (Latin-1? Windows-1252? Mac Roman?) silently turns
"Møller" into "MÃ¸ller" in the curated data.
"""

from __future__ import annotations

import codecs

HOW_TO = {
    "csv": "in Excel choose File › Save As › 'CSV UTF-8 (Comma delimited) (*.csv)' "
           "(Danish Excel: 'CSV UTF-8 (kommasepareret)'), then import that file",
    "bibtex": "export it again as UTF-8 (Zotero and Mendeley do so by default; in JabRef set the "
              "library encoding to UTF-8; in EndNote choose 'Unicode (UTF-8)' as the export encoding)",
    "ris": "export it again as UTF-8 (in EndNote choose 'Unicode (UTF-8)' as the export encoding; "
           "Zotero, Scopus and Web of Science export UTF-8)",
}


class DecodeError(ValueError):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def _sample(data: bytes, start: int) -> str:
    """The line around a bad byte, read as Windows-1252, to show what went wrong."""
    begin = data.rfind(b"\n", 0, start) + 1
    end = data.find(b"\n", start)
    line = data[begin: end if end != -1 else len(data)][:80]
    return line.decode("cp1252", errors="replace").strip()


def decode(data: bytes, kind: str) -> str:
    """``data`` as text; raises DecodeError (with the line) for anything but UTF-8."""
    how = HOW_TO[kind]
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DecodeError(f"the file is UTF-16 ('Unicode text'), not UTF-8; {how}")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise DecodeError(f"the file contains NUL bytes, so it is not a text file (or it is UTF-16); {how}", line)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        raise DecodeError(
            f"the file is not UTF-8 text: byte 0x{byte:02X} cannot be read (the line reads "
            f"{_sample(data, exc.start)!r} in Latin-1/Windows-1252, a common older encoding); {how}",
            line,
        ) from None
    return text.lstrip("\ufeff")
