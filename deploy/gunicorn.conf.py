"""gunicorn configuration for Syncsite's web process (behind deploy/nginx.conf).

    gunicorn -c deploy/gunicorn.conf.py        # from anywhere; scripts/serve does this

Every value can be changed by an environment variable (below, and in .env.example). Workers
are ``gthread``: each worker process serves WEB_THREADS requests at once, and its main thread
keeps telling the arbiter it is alive while a request runs, so an upload of several gigabytes
(read from nginx, written to disk, fsynced, probed) is never killed as a hung worker; ``timeout``
only catches a worker whose whole process stopped answering. nginx buffers slow clients' uploads
and sends media itself (X-Accel-Redirect), so threads are busy only while Django works.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The production path: settings refuse to start without SECRET_KEY (never the checkout's key).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syncsite.settings")
os.environ.setdefault("SYNCSITE_REQUIRE_SECRET_KEY", "1")
if os.environ["SYNCSITE_REQUIRE_SECRET_KEY"] == "1" and not os.environ.get("SECRET_KEY"):
    sys.exit(
        "gunicorn: SECRET_KEY is not set. Set it to a long random string shared by the web "
        "server and every worker: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

chdir = str(Path(__file__).resolve().parent.parent)  # the repository: syncsite is importable
wsgi_app = "syncsite.wsgi:application"
# Django is imported once, in the arbiter, before the workers fork: a new worker (at start, after
# max_requests, after a crash) is ready at once instead of importing everything again. Code
# changes therefore need a restart (SIGTERM and start), not a SIGHUP reload.
preload_app = True

# nginx reaches gunicorn here; keep it on the loopback address (or a unix: socket) so clients
# cannot bypass nginx's limits and its X-Real-IP header.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))

# Seconds a worker process may stay silent before the arbiter restarts it (see above: not a
# limit on one request). graceful_timeout: a stop or reload lets running requests finish.
timeout = int(os.environ.get("GUNICORN_TIMEOUT_S", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT_S", "60"))
keepalive = 5
# A fresh process now and then bounds what the media libraries' caches may grow to.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = max_requests // 10
# The heartbeat file on tmpfs: a busy disk (uploads) never makes a worker look hung.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# nginx's address: gunicorn believes its X-Forwarded-Proto (Django reads it too, with HTTPS=1).
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "") or "127.0.0.1"
# gunicorn's control socket (gunicornc) is off unless given a path: its default path is one per
# user, which a second gunicorn on the machine would take over.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
pidfile = os.environ.get("GUNICORN_PID_FILE") or None


def post_fork(server: object, worker: object) -> None:
    """A worker never shares a database connection with the arbiter it was forked from."""
    from django.db import connections

    connections.close_all()
