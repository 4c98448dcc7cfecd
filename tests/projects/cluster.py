"""A real ``manage.py qcluster`` for the tests that need a worker of its own process.

The cluster runs in a session of its own, with its output in a log file; on leaving, its main
process is asked to stop (it stops its own workers; signalling them too stalls its shutdown),
and whatever is left is killed with its process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def qcluster(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``manage.py qcluster`` with ``env`` (its output in ``log``) for the ``with`` block."""
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield worker
        finally:
            worker.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=15)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
