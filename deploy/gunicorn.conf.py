"""gunicorn settings for production: ``gunicorn -c deploy/gunicorn.conf.py deploy.wsgi:app``.

Every setting can be overridden on the command line (``--workers 8``) or with
gunicorn's own environment variables (``WEB_CONCURRENCY``, ``GUNICORN_CMD_ARGS``);
see docs/production.md for the reasoning behind each value.
"""

import ctypes
import ctypes.util
import gc
import multiprocessing
import os

# Where to listen. Behind a load balancer, bind to the address it reaches.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Searching is CPU-bound Python: one worker process per core, plus one to cover
# the time a worker waits on PostgreSQL. Each worker holds its own open index.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
# Threads, not one request per process: a slow or half-open client holds one thread (reading its
# request or writing its response), not a whole worker, so a few of them cannot starve the server.
# The app is thread-safe (one searcher per thread, sessions per request).
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))

# Load the app once in the master, then fork: the workers share its code and
# read-only data pages, and a broken release fails before any worker starts.
preload_app = True

# A request that takes longer than this is stuck: the master kills and replaces the worker.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so slow growth of a worker's memory is bounded.
max_requests = 20000
max_requests_jitter = 2000
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# glibc's malloc raises its mmap threshold (and with it the trim threshold, to twice that) each time a
# large block is freed, up to 32 MB: after a few requests every numpy temporary of a search stays in
# the heap, and each of a worker's thread arenas keeps up to 64 MB of freed memory it never returns.
# A fixed threshold (setting it turns the adjustment off; the trim threshold stays at its 128 kB
# default) lets freed memory go back to the system. At 20k studies, 3 workers, 1,400 distinct
# requests (benchmarks/memory.py, with pre_fork's health check): Pss_Anon 294-297 -> 262 MB, at
# ~0.7 ms more system time a request. At 100k: Pss_Anon 612.6 -> 283.3 MB (PSS 1,271.8 -> 943.3),
# but system time 1.6 -> 13.7 s over the 1,400 requests (~8.6 ms a request: freed memory is
# returned and faulted in again; a 32 MiB threshold costs the same, the trimming is what costs).
# Off by default (glibc's own adjustment: more memory, less CPU), because search latency is the
# promise: EVIDENCE_MALLOC_MMAP_THRESHOLD=1048576 buys the memory back where it is tight.
MALLOC_MMAP_THRESHOLD = int(os.environ.get("EVIDENCE_MALLOC_MMAP_THRESHOLD", 0))
# What does hold a worker's freed memory is its number of arenas: glibc gives threads up to 8 per core,
# and each keeps its own freed search temporaries. A worker's threads take turns on the GIL, so one
# arena serves them without waiting for its lock. At 100k studies, 3 workers, 1,400 distinct requests
# (benchmarks/memory.py, three runs each, index read with pread): PSS 664/518/510 -> 473/442/473 MB
# (Pss_Anon 621/474/465 -> 429/398/428), CPU of the server 28.9/28.6/31.7 -> 31.0/28.3/28.6 s: the
# same within a loaded machine's noise. EVIDENCE_MALLOC_ARENA_MAX=0 leaves glibc's default.
MALLOC_ARENA_MAX = int(os.environ.get("EVIDENCE_MALLOC_ARENA_MAX", 1))
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # <malloc.h>


def _steady_malloc():
    if MALLOC_MMAP_THRESHOLD <= 0 and MALLOC_ARENA_MAX <= 0:
        return
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is None or not hasattr(libc, "mallopt"):  # glibc (not musl)
        return
    if MALLOC_MMAP_THRESHOLD > 0:
        libc.mallopt(M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD)
    if MALLOC_ARENA_MAX > 0:
        libc.mallopt(M_ARENA_MAX, MALLOC_ARENA_MAX)


_steady_malloc()  # in the master, before the app loads: the workers inherit the setting

# Logs to stdout/stderr: the process supervisor (systemd, a container runtime) collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
capture_output = True

# Trust X-Forwarded-* only from the load balancer (comma-separated addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_fork(server, worker):
    """Open the search index, compile the templates and freeze the preloaded objects before forking a worker.

    The master opens the published index once and builds its engine and speller, so the
    structures every worker would build for itself (the index metadata and facet
    vocabulary, the engine, the spelling dictionaries: ~30 MB a worker at 100k
    studies) are made once and shared by the workers' copy-on-write pages; the
    memory-mapped files are shared mappings either way.
    ``gc.freeze()`` moves everything the master has loaded (code, the app,
    vocabularies, the open index) into a permanent generation that the collector
    never scans, so a worker's garbage collections do not write to those pages
    and copy them: more memory stays shared between the workers (see
    docs/benchmarks.md).
    """
    _open_index(server)
    _compile_templates(server)
    gc.collect()
    gc.freeze()


def _compile_templates(server):
    """Compile every template in the master (24 templates, ~0.6 s), so the workers share the compiled code.

    Jinja compiles a template at its first use in each process: after the fork, in every worker, at its
    first pages (tens of ms each, and by several threads at once when they ask together). The benchmark's
    warm-up reached one worker of three; the others compiled during the measured load."""
    try:
        env = server.app.wsgi().jinja_env
        for name in env.list_templates():
            env.get_template(name)
    except Exception as exc:  # noqa: BLE001 - a warm-up only: each worker compiles what it renders
        server.log.info("templates not compiled before forking workers: %s", exc)


def _open_index(server):
    try:
        app = server.app.wsgi()
        holder = app.extensions["evidence.search"]
        from evidence.search.spelling import speller
        from evidence.services.search import facet_labels, facet_values
        from evidence.web.i18n import LANGUAGES

        opened = holder.current()  # the published index: its metadata and memory-mapped columns
        opened.engine()  # the vectorised matcher every query runs
        # the spelling dictionaries (letter counts of every indexed word), which a worker would otherwise
        # build at its first query with an unknown word
        speller(opened)
        for lang in LANGUAGES:  # the facet lists' labels, which a worker would make at its first search in each
            facet_labels(opened, lang)
        facet_values(opened)  # each document's facet values (~4 MB at 100k studies), which every search counts
    except Exception as exc:  # noqa: BLE001 - no index yet, or a damaged one: each worker opens it (or says 503)
        server.log.info("search index not opened before forking workers: %s", exc)
        return
    _open_database(server, app)


def _open_database(server, app):
    """Answer one health check before forking: the read side's database engine, its dialect and
    statements are then made once and shared (at 20k studies each worker's first request copied
    or allocated ~7 MB less: 24.5 -> 14.5 MB). The master's connections close; the engines stay."""
    try:
        status = app.test_client().get("/healthz").status_code
        if status != 200:
            server.log.info("health check before forking workers: %s", status)
    except Exception as exc:  # noqa: BLE001 - a warm-up only: each worker makes what it needs
        server.log.info("health check before forking workers failed: %s", exc)
    read_side = app.extensions.get("evidence.read")
    if read_side is not None:
        read_side.dispose(keep=True)


def post_fork(server, worker):
    """Give every worker its own database connections and index handles.

    With ``preload_app`` the app is made before the fork; nothing may be shared
    that holds a socket or a file position. SQLAlchemy's documented recipe:
    ``engine.dispose(close=False)`` in the child drops the inherited pool
    without closing the parent's connections. The search index the master
    opened stays: its files are read through memory maps (no file position to
    share), and its structures are read-only once built.
    """
    try:
        app = worker.app.wsgi()
    except Exception:  # noqa: BLE001 - never stop a worker from starting over this
        return
    for extension in getattr(app, "extensions", {}).values():
        bind = getattr(extension, "kw", {}).get("bind") if hasattr(extension, "kw") else None
        if bind is not None and hasattr(bind, "dispose"):
            bind.dispose(close=False)
        if hasattr(extension, "dispose") and hasattr(extension, "pinned"):  # evidence.readside.ReadSide
            extension.dispose(close=False, keep=True)
