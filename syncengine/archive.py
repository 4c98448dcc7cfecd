"""Package rendered outputs: a ZIP holding only the ``_synced`` files, streamed to disk."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from syncengine.errors import ParameterError
from syncengine.types import RenderResult

__all__ = ["zip_outputs"]


def zip_outputs(result: RenderResult, zip_path: str | os.PathLike[str]) -> Path:
    """Write the ``_synced`` outputs of ``result`` (and nothing else) into one ZIP.

    Entries are stored, not deflated (video does not compress further), and copied file by file
    in chunks, so memory stays small whatever the sizes. The ZIP appears only once complete.

    Raises
    ------
    ParameterError
        An output is missing, is not a ``_synced`` file, or two share a name.
    """
    names = [Path(f.output).name for f in result.files]
    for f in result.files:
        path = Path(f.output)
        if not path.stem.endswith("_synced") or not path.is_file():
            raise ParameterError(f"'{path.name}' is not a rendered _synced file")
    if len(set(names)) != len(names):
        raise ParameterError("two rendered files share a name; they cannot share one ZIP")
    target = Path(zip_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with (
            os.fdopen(fd, "wb") as fh,
            zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf,
        ):
            for f, name in zip(result.files, names, strict=True):
                zf.write(f.output, arcname=name)  # streams in chunks
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return target
