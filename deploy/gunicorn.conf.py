"""gunicorn settings for Sunshine: ``gunicorn --config deploy/gunicorn.conf.py 'bot:create_app()'``.

Sync workers, each serving one request at a time. A delivery that waits for its
own retry or for the resident's lock sleeps for up to 4 s (``SUNSHINE_RETRY_WAIT``,
``SUNSHINE_LOCK_WAIT``) without using the CPU, so there are more workers than
cores. Command-line options and ``GUNICORN_CMD_ARGS`` override what is set here
(the containers use ``--bind 0.0.0.0:8000``).

WeChat's 5-second reply deadline is kept by the app (its waits end at 4 s) and by
nginx (``proxy_read_timeout 5s`` on ``/wechat``); ``timeout`` below is only the
last resort against a stuck worker, so it must also let the staff console's
slower requests (exports, PDF generation) finish.
"""

import glob
import os
import shutil
import tempfile


def _cores() -> int:
    """CPUs this process may run on (respects ``taskset`` and cpusets, unlike ``cpu_count``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _workers() -> int:
    """``WEB_CONCURRENCY`` when set, else gunicorn's rule of thumb: two per core plus one.

    Containers should set it: a CPU quota does not show in the affinity mask.
    """
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    return int(configured) if configured else 2 * _cores() + 1


bind = "127.0.0.1:8000"
worker_class = "sync"
workers = _workers()

# A worker silent this long is killed and replaced. Dedup and the resident's lock make a
# kill in the middle of a message safe; the console's longest requests fit well inside.
timeout = 30
graceful_timeout = 10
# Sync workers close the connection after every response (gunicorn ignores keep-alive
# for them): nginx keeps connections to clients alive and buffers slow ones.

# Recycle workers now and then so that a slow leak in a library cannot grow for weeks;
# the jitter keeps them from restarting together. Not too often: a new worker spends about
# a second importing and then rebuilds its search index, and at 5,000 a busy host's
# workers restarted every few seconds, which showed as p99 spikes in bench/capacity.py.
max_requests = 100_000
max_requests_jitter = 10_000

# The heartbeat file on tmpfs: on a disk-backed /tmp (some container overlays) its
# fchmod can block a worker (gunicorn's "Blocking os.fchmod" FAQ).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The proxy headers are trusted by the app only, and only when SUNSHINE_PROXY_FIX says
# how many proxies stand in front (werkzeug's ProxyFix). gunicorn itself must not turn
# X-Forwarded-Proto into https on its own: that would be a second, silent switch.
secure_scheme_headers: dict[str, str] = {}

# Logs to stdout/stderr: journald under systemd, `docker compose logs` in containers.
accesslog = "-"
errorlog = "-"
loglevel = "info"
# No query string and no referrer: WeChat puts the resident's openid and the delivery's
# signature, timestamp and nonce in the query. %(U)s is the path alone; %(M)s is milliseconds.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
proc_name = "sunshine"
# gunicorn 27's control socket sits at one path per user ($HOME/.gunicorn/gunicorn.ctl): a
# second master on the host (another instance, a test, a benchmark) would take it over.
# Reload with `systemctl reload sunshine` (HUP) instead.
control_socket_disable = True

_METRICS_FOLDER_PREFIX = "sunshine-metrics-"


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    """Give the workers one empty folder for their Prometheus counts, so /metrics adds them up.

    prometheus_client's multiprocess mode reads ``PROMETHEUS_MULTIPROC_DIR`` when the app is
    imported, in each worker after the fork; it runs here, once per start (not on reload).
    """
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(
        prefix=_METRICS_FOLDER_PREFIX
    )
    os.makedirs(folder, exist_ok=True)
    for stale in glob.glob(os.path.join(folder, "*.db")):  # counts of an earlier run
        os.remove(stale)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    """Keep what the worker built at start-up out of the garbage collector's way.

    The modules, the app and its router live as long as the worker: some 200,000 objects
    that every full collection would walk again (90 ms each on this kind of host, while a
    resident waits). ``gc.freeze`` sets them aside; a collection then walks what was made
    since (bench/province.py measures a worker this way).
    """
    import gc

    gc.collect()
    gc.freeze()


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if os.path.basename(folder).startswith(_METRICS_FOLDER_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)
