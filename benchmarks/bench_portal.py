"""Project list latency under load: 50 concurrent clients against gunicorn.

``python -m benchmarks.bench_portal [--clients 50] [--requests 2000] [--projects 40]
[--videos 6] [--path /] [--server gunicorn|runserver]``

Makes a benchmark user with ``--projects`` projects of ``--videos`` video rows each in a fresh
database (a SQLite file in a temporary folder; with ``DATABASE_URL=postgres://...`` a new
database ``syncsite_bench_<pid>`` on that server, dropped afterwards), starts the production web
server (``deploy/gunicorn.conf.py``: WEB_WORKERS processes x WEB_THREADS threads; or
``manage.py runserver`` for comparison), logs ``--clients`` clients in, and has them fetch
``--path`` (the portal's project list; ``/api/v1/projects/`` is the API's) ``--requests`` times
in all, each client as fast as it can. Prints the p50, p95, p99 and max latency, the throughput,
and, measured in the seeding process, the time of the project list query alone and how many
queries one list takes, so the figures say whether the query is the cost.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-long"
SEED = r"""
import sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from projects import selectors
from projects.models import Project, Video
n_projects, n_videos, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
user = get_user_model().objects.create_user("bench", password=password)
for p in range(n_projects):
    project = Project.objects.create(owner=user, name=f"Event {p}", notes="notes " * 50)
    Video.objects.bulk_create(
        Video(project=project, original_name=f"cam{k}.mp4", file=f"bench/{p}/cam{k}.mp4",
              position=k, duration_s=60.0)
        for k in range(n_videos)
    )
other = get_user_model().objects.create_user("other", password=password)
for p in range(n_projects):  # another user's rows: the query must skip them
    project = Project.objects.create(owner=other, name=f"Other {p}")
    Video.objects.bulk_create(
        Video(project=project, original_name=f"o{k}.mp4", file=f"o/{p}/{k}.mp4", position=k)
        for k in range(n_videos)
    )
times = []
for _ in range(200):
    started = time.perf_counter()
    rows = [(q.pk, q.name, q.n_videos) for q in selectors.project_list_for_user(user=user)]
    times.append(time.perf_counter() - started)
assert len(rows) == n_projects and all(n == n_videos for _, _, n in rows)
with CaptureQueriesContext(connection) as queries:
    list(selectors.project_list_for_user(user=user))
times.sort()
print(f"{times[len(times) // 2] * 1000:.2f} {times[int(len(times) * 0.95)] * 1000:.2f} "
      f"{len(queries)}")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_in(port: int) -> str:
    """A session cookie for the benchmark user (the log-in form, with its CSRF token)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/accounts/login/")
    page = conn.getresponse()
    body = page.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode(
        {"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    conn.request(
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
    )
    answer = conn.getresponse()
    answer.read()
    session = re.search(r"sessionid=([^;]+)", answer.getheader("Set-Cookie", "") or "")
    if answer.status != 302 or session is None:
        raise SystemExit(f"log-in failed: HTTP {answer.status}")
    return f"sessionid={session.group(1)}"


def _client(port: int, path: str, cookie: str, count: int, out: list[float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for _ in range(count):
        started = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        out.append(time.perf_counter() - started)
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.close()


def _wait_up(port: int, server: subprocess.Popen, deadline_s: float = 180.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)  # polling until the server listens
    raise SystemExit("the server did not start")


def _database(tmp: Path) -> tuple[dict[str, str], str, object]:
    """Environment for a fresh database, a label, and a clean-up callable."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return {"SQLITE_PATH": str(tmp / "bench.sqlite3")}, "SQLite", lambda: None
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = f"syncsite_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return (
        {"DATABASE_URL": urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))},
        ("PostgreSQL"),
        drop,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--videos", type=int, default=6)
    parser.add_argument("--path", default="/")
    parser.add_argument("--server", choices=("gunicorn", "runserver"), default="gunicorn")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-portal-") as tmp_name:
        tmp = Path(tmp_name)
        db_env, label, drop = _database(tmp)
        port = _free_port()
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")},
            **db_env,
            "DJANGO_SETTINGS_MODULE": "syncsite.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "MEDIA_ROOT": str(tmp / "media"),
            "LOG_DIR": str(tmp / "logs"),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_ACCESS_LOG": str(tmp / "access.log"),
            # The benchmark's one address logs in once; never locked out by the limits.
            "LOGIN_MAX_FAILURES_PER_ADDRESS": "0",
            # Steady state: no worker replaced during the run (production replaces one every
            # GUNICORN_MAX_REQUESTS requests, which a 2000-request run would magnify).
            "GUNICORN_MAX_REQUESTS": os.environ.get("GUNICORN_MAX_REQUESTS", "0"),
        }
        try:
            run = lambda *a: subprocess.run(  # noqa: E731
                a, cwd=ROOT, env=env, check=True, capture_output=True, text=True
            )
            run(sys.executable, "manage.py", "migrate", "--no-input")
            seeded = run(sys.executable, "-c", SEED, str(args.projects), str(args.videos), PASSWORD)
            query_p50_ms, query_p95_ms, n_queries = seeded.stdout.split()
            if args.server == "gunicorn":
                argv_server = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
            else:
                argv_server = [sys.executable, "manage.py", "runserver", "--noreload"]
                argv_server.append(f"127.0.0.1:{port}")
            server = subprocess.Popen(
                argv_server,
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=(tmp / "server.log").open("wb"),
            )
            try:
                _wait_up(port, server)
                cookie = _log_in(port)
                # Warm every worker and thread (URLconf, templates) before measuring.
                warm = [
                    threading.Thread(target=_client, args=(port, args.path, cookie, 3, []))
                    for _ in range(16)
                ]
                for thread in warm:
                    thread.start()
                for thread in warm:
                    thread.join()
                per_client = [args.requests // args.clients] * args.clients
                for i in range(args.requests % args.clients):
                    per_client[i] += 1
                results: list[list[float]] = [[] for _ in per_client]
                threads = [
                    threading.Thread(target=_client, args=(port, args.path, cookie, n, out))
                    for n, out in zip(per_client, results, strict=True)
                ]
                started = time.perf_counter()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                wall_s = time.perf_counter() - started
            finally:
                server.terminate()
                server.wait(timeout=60)
        finally:
            drop()

    latencies = sorted(t for out in results for t in out)
    if len(latencies) != args.requests:
        raise SystemExit(f"{args.requests - len(latencies)} requests failed")

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    workers = os.environ.get("WEB_WORKERS", "2")
    threads_n = os.environ.get("WEB_THREADS", "4")
    shape = f"{workers} x {threads_n} threads" if args.server == "gunicorn" else "threaded"
    print(f"server:        {args.server} ({shape}), {label}, {os.cpu_count()} cores")
    print(f"load:          {args.requests} GET {args.path} from {args.clients} clients")
    print(f"data:          {args.projects} projects x {args.videos} videos (and another user's)")
    print(
        f"latency ms:    p50 {pct(0.50):.0f}  p95 {pct(0.95):.0f}  p99 {pct(0.99):.0f}  "
        f"max {latencies[-1] * 1000:.0f}  mean {statistics.fmean(latencies) * 1000:.0f}"
    )
    print(f"throughput:    {len(latencies) / wall_s:.0f} requests/s ({wall_s:.1f} s)")
    print(f"list query:    p50 {query_p50_ms} ms  p95 {query_p95_ms} ms  ({n_queries} query)")


if __name__ == "__main__":
    main()
