"""The production path end to end: scripts/serve (gunicorn + the worker) behind Debian's nginx.

nginx runs unprivileged ports with the server block of deploy/nginx.conf (rendered into a
temporary folder, with its pid, logs and temporary files there too); scripts/serve runs with
production settings (DEBUG off, SECRET_KEY, collected static files, SENDFILE_BACKEND=nginx) on
its own SQLite database. A real browser, only ever talking to nginx, signs up, makes a project,
uploads two generated clips, syncs them on the worker, exports the synced files and downloads
one: nginx sent it (the header its internal location adds, a 206 for a Range request), and
another user gets 404 for the same link. ./scripts/test installs nginx; without it this skips.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.test_portal import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _shot

NGINX = "/usr/sbin/nginx"
REPO = Path(__file__).resolve().parent.parent.parent
PASSWORD = "a-long-pass-phrase"
# scripts/serve may first bring the venv up to date, then migrates and collects static files.
START_TIMEOUT_S = float(os.environ.get("SYNCSITE_SERVE_START_TIMEOUT_S", "600"))

pytestmark = [
    pytest.mark.skipif(
        not os.access(NGINX, os.X_OK),
        reason=f"{NGINX} is missing: apt-get install -y nginx (./scripts/test does it as root)",
    ),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: apt-get install -y chromium"
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def render_nginx_conf(folder: Path, *, listen: str, upstream: str, media_root: Path) -> Path:
    """deploy/nginx.conf with its placeholders filled, inside a main nginx.conf in ``folder``."""
    server = (REPO / "deploy" / "nginx.conf").read_text()
    for name, value in {
        "@LISTEN@": listen,
        "@SERVER_NAME@": "127.0.0.1",
        "@UPSTREAM@": upstream,
        "@MEDIA_ROOT@": str(media_root),
    }.items():
        server = server.replace(name, value)
    assert "@" not in re.sub(r"#.*", "", server), "a placeholder is left in deploy/nginx.conf"
    (folder / "syncsite.conf").write_text(server)
    temp = {kind: folder / kind for kind in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    # As root, nginx's workers would run as nobody, who may not read pytest's private folders.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    main = f"""{user}daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder / "access.log"};
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {folder / "syncsite.conf"};
}}
"""
    conf = folder / "nginx.conf"
    conf.write_text(main)
    return conf


@dataclass(frozen=True)
class Stack:
    base_url: str
    media_root: Path
    database: Path
    serve_log: Path


def _wait_until_up(url: str, processes: dict[str, subprocess.Popen], logs: list[Path]) -> None:
    """Poll ``url`` until it answers 200; fail with the logs if a process exits first."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                tails = "\n".join(p.read_text()[-3000:] for p in logs if p.exists())
                pytest.fail(f"{name} exited with {process.returncode} while starting:\n{tails}")
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            tails = "\n".join(p.read_text()[-3000:] for p in logs if p.exists())
            pytest.fail(f"{url} did not answer within {START_TIMEOUT_S:.0f} s:\n{tails}")
        time.sleep(0.25)  # polling for a state, not waiting a fixed time


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.fixture()
def stack(tmp_path: Path) -> Iterator[Stack]:
    media_root = tmp_path / "media"
    media_root.mkdir()
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    web_port, nginx_port = _free_port(), _free_port()
    drop = {"DATABASE_URL", "Q_BROKER", "CACHE_BACKEND", "DEBUG", "Q_SYNC", "SECRET_KEY", "HTTPS"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        MEDIA_ROOT=str(media_root),
        STATIC_ROOT=str(tmp_path / "static"),
        LOG_DIR=str(tmp_path / "logs"),
        GUNICORN_BIND=f"127.0.0.1:{web_port}",
        GUNICORN_PID_FILE=str(tmp_path / "gunicorn.pid"),
        SENDFILE_BACKEND="nginx",
        TRUSTED_PROXIES="127.0.0.1",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        WEB_WORKERS="1",
        Q_WORKERS="1",
    )
    serve_log = tmp_path / "serve.log"
    with serve_log.open("wb") as out:
        serve = subprocess.Popen(
            [str(REPO / "scripts" / "serve")],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    conf = render_nginx_conf(
        nginx_dir,
        listen=f"127.0.0.1:{nginx_port}",
        upstream=f"127.0.0.1:{web_port}",
        media_root=media_root,
    )
    nginx = subprocess.Popen(
        [NGINX, "-p", str(nginx_dir), "-c", str(conf), "-e", str(nginx_dir / "error.log")],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{nginx_port}"
    try:
        _wait_until_up(
            f"{base_url}/accounts/login/",
            {"scripts/serve": serve, "nginx": nginx},
            [serve_log, nginx_dir / "error.log"],
        )
        yield Stack(base_url, media_root, tmp_path / "db.sqlite3", serve_log)
    finally:
        _stop(nginx, signal.SIGQUIT)  # graceful: finish the open answers
        _stop(serve)  # its trap stops gunicorn and the worker


def test_the_walk_through_runs_through_nginx_and_nginx_sends_the_files(clips, stack) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = stack.base_url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{base}/accounts/signup/")
            # Static files with DEBUG off: WhiteNoise, content-hashed names from collectstatic.
            css = page.locator("link[rel=stylesheet]").first.get_attribute("href") or ""
            assert re.search(r"\.[0-9a-f]{12}\.css$", css), css
            assert page.request.get(f"{base}{css}").status == 200
            page.fill("#id_username", "alice")
            page.fill("#id_password1", PASSWORD)
            page.fill("#id_password2", PASSWORD)
            page.get_by_role("button", name="Create account").click()
            page.wait_for_url(f"{base}/")

            page.get_by_role("link", name="Create your first project").click()
            page.fill("#id_name", "Concert")
            page.get_by_role("button", name="Create project").click()
            page.wait_for_url(re.compile(r"/projects/\d+/$"))
            page.set_input_files("#upload-input", [clips["a"], clips["b_late"]])
            expect(page.locator("#upload-list li[data-state=done]")).to_have_count(
                2, timeout=TIMEOUT_MS
            )
            expect(page.locator("#video-rows tr[data-video-id]")).to_have_count(
                2, timeout=TIMEOUT_MS
            )

            page.select_option("#id_method", "audio")
            page.get_by_role("button", name="Start sync").click()
            page.wait_for_url(re.compile(r"/runs/\d+/$"))
            run_url = page.url
            expect(page.locator("#run-status-badge")).to_have_text(
                "Done", timeout=TIMEOUT_MS
            )  # on the worker
            expect(page.locator("tr.offset-row")).to_have_count(2, timeout=TIMEOUT_MS)

            page.select_option("#id_mode", "union")
            page.get_by_role("button", name="Make synced files").click()
            render = page.locator("#export .render").first
            expect(render.locator(".render-badge")).to_have_text("Done", timeout=TIMEOUT_MS)
            rows = render.locator("table.render-outputs tbody tr")
            expect(rows).to_have_count(2, timeout=TIMEOUT_MS)
            _shot(page, "nginx_export_panel")

            link = rows.nth(1).get_by_role("link", name="Download")
            with page.expect_download() as info:
                link.click()
            downloaded = Path(info.value.path())
            assert info.value.suggested_filename == "b_late_synced.mov"
            body = downloaded.read_bytes()
            assert len(body) > 10_000

            # Django checked the owner and answered X-Accel-Redirect; nginx sent the file.
            url = f"{base}{link.get_attribute('href')}"
            whole = page.request.get(url)
            assert whole.status == 200
            assert whole.headers.get("x-syncsite-sent-by") == "nginx", whole.headers
            assert "x-accel-redirect" not in whole.headers  # nginx keeps it to itself
            assert whole.headers["content-disposition"].startswith("attachment")
            assert whole.headers["content-security-policy"] == "sandbox; default-src 'none'"
            assert whole.body() == body
            stored = list(stack.media_root.rglob("b_late_synced.mov"))
            assert len(stored) == 1 and stored[0].read_bytes() == body
            part = page.request.get(url, headers={"Range": "bytes=100-199"})
            assert part.status == 206
            assert part.headers["content-range"] == f"bytes 100-199/{len(body)}"
            assert part.body() == body[100:200]
            # The internal location answers nginx's redirects only, never a client.
            relative = stored[0].relative_to(stack.media_root).as_posix()
            assert page.request.get(f"{base}/_media_internal/{relative}").status == 404

            # Another user gets 404 for the same link, the run and a missing page, which
            # lists no URL patterns (DEBUG is off).
            other = browser.new_context().new_page()
            other.set_default_timeout(TIMEOUT_MS)
            other.goto(f"{base}/accounts/signup/")
            other.fill("#id_username", "mallory")
            other.fill("#id_password1", PASSWORD)
            other.fill("#id_password2", PASSWORD)
            other.get_by_role("button", name="Create account").click()
            other.wait_for_url(f"{base}/")
            for address in (url, run_url, f"{base}/no-such-page/"):
                answer = other.request.get(address)
                assert answer.status == 404, address
                assert "URLconf" not in answer.text() and "urlpatterns" not in answer.text()

            # A brute force on alice's account: the log-in form itself says it is locked.
            guesser = browser.new_context().new_page()
            guesser.set_default_timeout(TIMEOUT_MS)
            for attempt in range(6):
                guesser.goto(f"{base}/accounts/login/")
                guesser.fill("#id_username", "alice")
                guesser.fill("#id_password", f"guess-{attempt}")
                with guesser.expect_response(re.compile(r"/accounts/login/$")) as answer:
                    guesser.get_by_role("button", name="Log in").click()
                assert answer.value.status == 200
            expect(guesser.locator(".form-errors")).to_have_text(
                "Too many failed log-in attempts. Try again in 15 minutes."
            )
        except Exception:
            for i, open_context in enumerate(browser.contexts):
                for j, open_page in enumerate(open_context.pages):
                    _shot(open_page, f"nginx_failure_{i}_{j}")
            raise
        finally:
            browser.close()

    # The production path creates no account: only the two who signed up exist.
    with sqlite3.connect(stack.database) as db:
        users = sorted(name for (name,) in db.execute("SELECT username FROM auth_user"))
    assert users == ["alice", "mallory"]
