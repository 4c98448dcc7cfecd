"""ZIP download benchmark: a real server streams a multi-GB export; its memory must stay flat.

``python -m benchmarks.bench_zip [--gb 6] [--files 3] [--out benchmarks/out/zip]``

Generates ``--files`` sparse ``*_synced.mp4`` files (``--gb`` in all; sparse, so they cost no
disk and read as zeros) as the outputs of a finished render owned by a benchmark user in a
fresh SQLite database, starts ``manage.py runserver`` (no reloader, no threading surprises),
downloads the ZIP over HTTP while polling the server's VmRSS every 20 ms from /proc, and prints:
bytes received, wall time and throughput, the server's RSS before the download, its peak during
it, and the growth. The ZIP is checked: its end-of-central-directory record names every file.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUP = r"""
import sys
from pathlib import Path
import django
django.setup()
from django.contrib.auth import get_user_model
from projects.models import Project, Render, RenderOutput, SyncRun, Video
media, n_files, size = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
user = get_user_model().objects.create_user("bench", password="bench-password")
project = Project.objects.create(owner=user, name="Bench")
run = SyncRun.objects.create(project=project, status="done", progress=1.0)
render = Render.objects.create(run=run, status="done", verified=True, progress=1.0)
folder = media / "projects" / str(project.pk) / "renders" / str(render.pk)
folder.mkdir(parents=True)
for k in range(n_files):
    video = Video.objects.create(project=project, original_name=f"cam{k}.mp4", position=k)
    path = folder / f"cam{k}_synced.mp4"
    with path.open("wb") as fh:
        fh.truncate(size)
    RenderOutput.objects.create(render=render, video=video, file=str(path.relative_to(media)))
print(render.pk)
"""


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _tree_rss_mb(pid: int) -> float:
    """RSS of the server process and its children (runserver serves in the same process)."""
    total = _rss_mb(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        for child in children.read_text().split():
            total += _tree_rss_mb(int(child))
    return total


class _Poller(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mb, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak_mb = max(self.peak_mb, _tree_rss_mb(self.pid))
            time.sleep(0.02)


def _login_cookie(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/")
    page = conn.getresponse()
    body = page.read().decode()
    csrf = next(
        c.split("=", 1)[1].split(";")[0]
        for c in page.headers.get_all("Set-Cookie")
        if c.startswith("csrftoken=")
    )
    token = body.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    conn.request(
        "POST",
        "/accounts/login/",
        body=f"username=bench&password=bench-password&csrfmiddlewaretoken={token}",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
        },
    )
    done = conn.getresponse()
    done.read()
    session = next(
        c.split(";")[0] for c in done.headers.get_all("Set-Cookie") if c.startswith("sessionid=")
    )
    return f"{session}; csrftoken={csrf}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=6.0, help="total size of the files")
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "zip")
    args = parser.parse_args()
    out = args.out.resolve()
    subprocess.run(["rm", "-rf", str(out)], check=True)
    out.mkdir(parents=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "syncsite.settings",
        "DEBUG": "0",
        "SQLITE_PATH": str(out / "db.sqlite3"),
        "MEDIA_ROOT": str(out / "media"),
        "LOG_DIR": str(out / "logs"),
        "PYTHONPATH": str(ROOT),
    }
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    size = int(args.gb * 1e9 / args.files)
    render_id = subprocess.run(
        [py, "-c", SETUP, str(out / "media"), str(args.files), str(size)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    server = subprocess.Popen(
        [py, "manage.py", "runserver", "--noreload", f"127.0.0.1:{args.port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                cookie = _login_cookie(args.port)
                break
            except (ConnectionRefusedError, StopIteration, OSError):
                time.sleep(0.2)
        else:
            raise SystemExit("the server did not start")
        before_mb = _tree_rss_mb(server.pid)
        poller = _Poller(server.pid)
        poller.start()
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=600)
        started = time.perf_counter()
        conn.request("GET", f"/renders/{render_id}/synced.zip", headers={"Cookie": cookie})
        response = conn.getresponse()
        if response.status != 200:
            raise SystemExit(f"download failed: HTTP {response.status} {response.read()[:200]}")
        total, tail = 0, b""
        while chunk := response.read(1 << 20):
            total += len(chunk)
            tail = (tail + chunk)[-65536:]
        elapsed = time.perf_counter() - started
        poller.stop.set()
        poller.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    eocd = tail[tail.rindex(b"PK\x05\x06") :] if b"PK\x05\x06" in tail else b""
    entries = int.from_bytes(eocd[10:12], "little") if eocd else -1
    print(f"files            {args.files} x {size / 1e9:.2f} GB (sparse)")
    print(
        f"received         {total / 1e9:.3f} GB in {elapsed:.1f} s "
        f"({total / 1e6 / elapsed:.0f} MB/s)"
    )
    print(f"zip entries      {entries} (expected {args.files})")
    print(
        f"server RSS       {before_mb:.0f} MB before, {poller.peak_mb:.0f} MB peak during, "
        f"+{poller.peak_mb - before_mb:.0f} MB"
    )
    subprocess.run(["rm", "-rf", str(out)], check=False)


if __name__ == "__main__":
    main()
