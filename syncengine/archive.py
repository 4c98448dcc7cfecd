"""Package rendered outputs: a ZIP of the ``_synced`` files (and, when asked, an editor timeline
beside them), streamed chunk by chunk.

Conventions
-----------
Entries are stored, not deflated (video does not compress further). :func:`iter_zip` yields the
archive as it is built, so a multi-GB ZIP can be sent over HTTP or written to disk while memory
holds about one chunk; ZIP64 records are used for members over 4 GB.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from syncengine.errors import ParameterError
from syncengine.types import RenderResult

__all__ = ["CHUNK_BYTES", "check_synced_outputs", "iter_zip", "zip_outputs"]

CHUNK_BYTES = 1 << 20


class _Sink:
    """A write-only, unseekable file for ZipFile: it collects bytes until drained."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def check_synced_outputs(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The paths, checked: each an existing ``*_synced.*`` file, no two with the same name.

    Raises
    ------
    ParameterError
        A path is missing or is not a ``_synced`` file, or two share a name.
    """
    checked = [Path(p) for p in paths]
    for path in checked:
        if not path.stem.endswith("_synced") or not path.is_file():
            raise ParameterError(f"'{path.name}' is not a rendered _synced file")
    names = [p.name for p in checked]
    if len(set(names)) != len(names):
        raise ParameterError("two rendered files share a name; they cannot share one ZIP")
    return checked


def _check_extras(extras: Sequence[tuple[str, bytes]], names: set[str]) -> None:
    for name, data in extras:
        if not name or "/" in name or "\\" in name or name in (".", "..") or name in names:
            raise ParameterError(
                f"'{name}' cannot go beside the synced files: a bare file name of its own"
            )
        if not isinstance(data, bytes):
            raise ParameterError(f"'{name}' must be bytes")
        names.add(name)


def iter_zip(
    paths: Sequence[str | os.PathLike[str]],
    *,
    chunk_bytes: int = CHUNK_BYTES,
    extras: Sequence[tuple[str, bytes]] = (),
) -> Iterator[bytes]:
    """Yield a ZIP of ``paths`` (stored under their own names) piece by piece.

    Parameters
    ----------
    paths : sequence of path-like
        ``_synced`` files, checked by :func:`check_synced_outputs` before anything is yielded.
    chunk_bytes : int
        Read size; each yielded piece is about this long (headers come as small pieces).
    extras : sequence of (str, bytes)
        Small files the caller asked for beside the synced files (an editor timeline that
        names them by relative path), ``(file name, content)``, written after them, deflated.
        Default none: the ZIP holds only the synced files.

    Raises
    ------
    ParameterError
        See :func:`check_synced_outputs`; also ``chunk_bytes`` < 1, an extra whose name is not
        a bare file name or is taken.
    """
    if chunk_bytes < 1:
        raise ParameterError(f"chunk_bytes must be positive, got {chunk_bytes}")
    checked = check_synced_outputs(paths)
    _check_extras(extras, {p.name for p in checked})
    return _generate(checked, chunk_bytes, list(extras))


def _generate(
    paths: list[Path], chunk_bytes: int, extras: list[tuple[str, bytes]]
) -> Iterator[bytes]:
    sink = _Sink()
    # An unseekable sink makes ZipFile write sizes after each member (data descriptors).
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for path in paths:
            info = zipfile.ZipInfo.from_file(path, arcname=path.name)
            info.compress_type = zipfile.ZIP_STORED
            with path.open("rb") as src, zf.open(info, "w") as dest:
                while chunk := src.read(chunk_bytes):
                    dest.write(chunk)
                    yield sink.drain()
            yield sink.drain()
        for name, data in extras:
            zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
            yield sink.drain()
    yield sink.drain()  # the central directory, written on close


def zip_outputs(result: RenderResult, zip_path: str | os.PathLike[str]) -> Path:
    """Write the ``_synced`` outputs of ``result`` (and nothing else) into one ZIP on disk.

    The ZIP is streamed to a hidden partial file and appears only once complete.

    Raises
    ------
    ParameterError
        An output is missing, is not a ``_synced`` file, or two share a name.
    """
    chunks = iter_zip([f.output for f in result.files])
    target = Path(zip_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return target
