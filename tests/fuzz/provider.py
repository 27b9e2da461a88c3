"""Turning fuzz bytes into values: atheris's provider when installed, else a small one.

The harnesses take their values through the few provider methods below, so they run
unchanged under libFuzzer (``atheris.FuzzedDataProvider``) and under pytest without
atheris (`BytesProvider`). The two read bytes differently: a corpus file means different
messages to each, which is fine for seeds, whose job is to start the search somewhere.
"""

from __future__ import annotations

import contextlib
import math
import struct
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

__all__ = [
    "BytesProvider",
    "Provider",
    "ProviderFactory",
    "atheris_provider",
    "available_providers",
    "instrumented",
]

T = TypeVar("T")

# Floats a fuzzer should meet early rather than by luck: the ones that break arithmetic.
_SPECIAL_FLOATS = [
    math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    5e-324,
    -1.0,
    1e22,  # beyond this, adding a day to a timestamp no longer changes it
    1.7976931348623157e308,
    -1.7976931348623157e308,
]


class Provider(Protocol):
    """The subset of ``atheris.FuzzedDataProvider`` the harnesses use."""

    def ConsumeIntInRange(self, min: int, max: int) -> int: ...
    def ConsumeBool(self) -> bool: ...
    def ConsumeFloat(self) -> float: ...
    def ConsumeUnicode(self, count: int) -> str: ...
    def PickValueInList(self, values: list[Any]) -> Any: ...
    def remaining_bytes(self) -> int: ...


ProviderFactory = Callable[[bytes], Provider]


class BytesProvider:
    """A tiny stand-in for atheris's provider: reads the bytes front to back.

    Once the bytes run out every method answers its smallest value, as atheris's does,
    so any input, the empty one included, describes a finite run.
    """

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def _take(self, count: int) -> bytes:
        chunk = self._data[self._at : self._at + count]
        self._at += len(chunk)
        return chunk

    def remaining_bytes(self) -> int:
        return len(self._data) - self._at

    def ConsumeIntInRange(self, min: int, max: int) -> int:
        span = max - min
        if span <= 0:
            return min
        width = (span.bit_length() + 7) // 8
        return min + int.from_bytes(self._take(width), "little") % (span + 1)

    def ConsumeBool(self) -> bool:
        return bool(self.ConsumeIntInRange(0, 1))

    def ConsumeFloat(self) -> float:
        kind = self.ConsumeIntInRange(0, 3)
        if kind == 0:
            return float(self.PickValueInList(_SPECIAL_FLOATS))
        raw = self._take(8).ljust(8, b"\0")
        return float(struct.unpack("<d", raw)[0])

    def ConsumeUnicode(self, count: int) -> str:
        # Like atheris: ASCII, UTF-16 code units (lone surrogates included) or code points.
        kind = self.ConsumeIntInRange(0, 2)
        if kind == 0:
            return "".join(chr(byte & 0x7F) for byte in self._take(count))
        width = 2 if kind == 1 else 4
        raw = self._take(count * width)
        units = (int.from_bytes(raw[i : i + width], "little") for i in range(0, len(raw), width))
        return "".join(chr(unit % 0x110000) for unit in units)

    def PickValueInList(self, values: list[T]) -> T:
        return values[self.ConsumeIntInRange(0, len(values) - 1)]


def atheris_provider(data: bytes) -> Provider:
    """Atheris's provider over `data` (atheris must be installed)."""
    import atheris  # type: ignore[import-untyped]

    provider: Provider = atheris.FuzzedDataProvider(data)
    return provider


def available_providers() -> list[ProviderFactory]:
    """Our provider, and atheris's when it is installed: the smoke tests run both."""
    factories: list[ProviderFactory] = [BytesProvider]
    try:
        import atheris  # noqa: F401
    except ImportError:
        return factories
    factories.append(atheris_provider)
    return factories


@contextlib.contextmanager
def instrumented(fuzzing: bool, *packages: str) -> Iterator[None]:
    """Instrument `packages` for coverage while they are imported, when `fuzzing`.

    Only a harness run as the fuzzer (``__main__``) needs the coverage feedback; imported
    by pytest it must not require atheris.
    """
    if not fuzzing:
        yield
        return
    import atheris

    with atheris.instrument_imports(include=list(packages)):
        yield
