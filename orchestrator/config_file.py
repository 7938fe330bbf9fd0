"""Reading a config file safely: file kind, size, encoding and TOML syntax.

Every refusal is one line naming the file, and the line for syntax or encoding errors
(``FILE:LINE: reason``). Nothing is read from a FIFO or a device, and a symbolic-link loop
or a directory is named as such instead of raising an OS error.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tradefleet.orchestrator.errors import ConfigError

MAX_BYTES = 4 * 1024 * 1024
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def show_key(parts: Iterable[object]) -> str:
    """A dotted key safe to print on one line: odd parts (blank, NUL, bidi, huge) are quoted and cut."""
    out = []
    for part in parts:
        text = str(part)
        if _PLAIN_KEY.fullmatch(text):
            out.append(text)
            continue
        shown = repr(text) if len(text) <= 40 else repr(text[:40])[:-1] + f"...' ({len(text)} chars)"
        out.append(shown.encode("ascii", "backslashreplace").decode("ascii"))
    return ".".join(out) or "(top level)"


def show_value(value: object, limit: int = 60) -> str:
    """``repr`` of a value, ASCII-only and cut to ``limit`` characters (one line, no bidi tricks)."""
    text = repr(value).encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[:limit] + f"... ({len(str(value))} chars)"


def read_config_bytes(path: Path) -> bytes:
    """The file's bytes, or a ConfigError saying what the path is instead of a readable file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (run 'tradefleet init' to write one)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError(f"{path}: symbolic link loop; point it at a real file") from None
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{path}: is a directory, not a config file")
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{path}: not a regular file (a FIFO, socket or device); give a .toml file")
    if st.st_size > MAX_BYTES:
        raise ConfigError(f"{path}: {st.st_size:,} bytes; a config file is at most {MAX_BYTES:,}")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def decode_config(path: Path, raw: bytes) -> str:
    """UTF-8 text (a UTF-8 BOM is allowed); UTF-16/32 and stray bytes are named with their line."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{path}: UTF-16 text; save the file as UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {col}); "
                          "save the file as UTF-8") from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise ConfigError(f"{path}:{line}: NUL byte in the file (UTF-16 or binary?); save it as UTF-8 text")
    return text


def parse_toml(path: Path, text: str) -> dict[str, Any]:
    """Parse TOML; a syntax error is ``FILE:LINE: not valid TOML: reason (column N)``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = " ".join(str(exc).split())
        m = _TOML_POS.search(msg)
        if m is None:
            raise ConfigError(f"{path}: not valid TOML: {msg}") from None
        raise ConfigError(f"{path}:{m.group(1)}: not valid TOML: {msg[:m.start()]} (column {m.group(2)})") from None


def read_toml(path: Path) -> dict[str, Any]:
    """Read, decode and parse a TOML config file (one-line ConfigError on any failure)."""
    return parse_toml(path, decode_config(path, read_config_bytes(path)))
