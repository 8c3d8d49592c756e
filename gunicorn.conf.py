"""gunicorn settings for every way the site is served: the Dockerfile and docker-compose's web
service, and the servers the browser and fault tests start (`gunicorn -c gunicorn.conf.py`).
Options given on the command line (the bind address, the tests' worker counts) win.

Threaded workers: a sync worker is held by one client for as long as that client takes to
send its request, so three slow clients stalled all three workers and /healthz with them
(bench/slow_clients.py). A gthread worker waits for a silent connection in its poller and
gives each request a thread, so slow clients take threads, not workers: with the defaults
below it takes 24 of them, at once, to stall the site. A buffering proxy in front (one that
reads whole requests before passing them on) removes the limit altogether.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A worker whose threads are all taken stops accepting, so the next connection goes to a worker
# with a free thread instead of queueing behind the slow ones (gunicorn's default is 1000).
worker_connections = threads
# A request longer than this is killed with its worker (the database's statement timeout, 15 s,
# normally ends a slow query well before).
timeout = 60
graceful_timeout = 30
keepalive = 5
