"""What the benchmarks share: gunicorn on a free port, signed deliveries, wrk, what a run cost.

Each benchmark starts the server under test with ``serve`` (gunicorn, sync workers,
optionally with deploy/gunicorn.conf.py and pinned to some cores), feeds wrk a file
of pre-signed deliveries (``write_deliveries``; ``bench/replay.lua`` replays them,
each thread its own share) and reads back worker memory and CPU time from /proc.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import redis
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from bot import clock, db
from bot.seed import seed
from bot.wechat.protocol import Keys, message_xml, sign_delivery

ROOT = Path(__file__).resolve().parent.parent
REPLAY = ROOT / "bench" / "replay.lua"
DEPLOY_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
RESULTS = ROOT / "bench" / "results"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(command: list[str], cpus: str | None) -> list[str]:
    """``command`` run on the CPUs ``cpus`` (taskset's list, e.g. ``"0"`` or ``"0,1"``)."""
    return ["taskset", "-c", cpus, *command] if cpus else command


# ---- the server under test ----


@dataclass
class Gunicorn:
    """A running gunicorn master; its workers are its children."""

    process: subprocess.Popen
    base: str
    log: Path

    def workers(self) -> list[int]:
        pid = self.process.pid
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def memory_mb(self) -> dict[str, float]:
        """Mean resident (RSS) and proportional (PSS: shared pages split) memory per worker."""
        rss, pss = [], []
        for pid in self.workers():
            fields = _smaps_rollup(pid)
            if fields:
                rss.append(fields["Rss"] / 1024)
                pss.append(fields["Pss"] / 1024)
        return {
            "rss_mb": statistics.mean(rss) if rss else 0.0,
            "pss_mb": statistics.mean(pss) if pss else 0.0,
        }

    def cpu_seconds(self) -> float:
        """CPU time of the master and all its workers so far, those recycled included."""
        pid = self.process.pid
        total = cpu_ticks(pid, children_waited_for=True) or 0
        total += sum(cpu_ticks(worker) or 0 for worker in self.workers())
        return total / CLOCK_TICKS


def _smaps_rollup(pid: int) -> dict[str, int]:
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:  # the worker was just recycled
        return {}
    fields = {}
    for line in lines[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value)
    return fields


def cpu_ticks(pid: int, *, children_waited_for: bool = False) -> int | None:
    """utime + stime of ``pid`` (fields 14, 15 of /proc/pid/stat), plus the cutime + cstime
    of its children it waited for; None when the process is gone (or not on this machine)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    ticks = int(fields[11]) + int(fields[12])
    if children_waited_for:
        ticks += int(fields[13]) + int(fields[14])
    return ticks


@contextmanager
def serve(
    app: str,
    env: dict[str, str],
    *,
    workers: int,
    log: Path,
    config: Path | None = None,
    cpus: str | None = None,
    health_path: str | None = None,
) -> Iterator[Gunicorn]:
    """Run ``app`` under gunicorn (sync workers) on a free port until the block ends.

    Ready when every worker has booted and ``health_path`` answers 200 (or, without
    one, the port accepts connections). Output goes to ``log``.
    """
    port = free_port()
    command = [sys.executable, "-m", "gunicorn"]
    if config is not None:
        command += ["--config", str(config)]
    command += [
        "--workers", str(workers), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
        "--backlog", "2048", "--timeout", "30", "--log-level", "warning", app,
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            pinned(command, cpus),
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Gunicorn(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_ready(server, workers, health_path)
        yield server
    finally:
        stop(process)


def _wait_until_ready(server: Gunicorn, workers: int, health_path: str | None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            output = server.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{output}")
        if len(server.workers()) >= workers and _answers(server.base, health_path):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{server.base} was not ready within 60 s")


def _answers(base: str, health_path: str | None) -> bool:
    host, port = base.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1) as sock:
            if health_path is None:
                return True
            sock.sendall(f"GET {health_path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            return sock.recv(64).split(b" ")[1] == b"200"
    except (OSError, IndexError):
        return False


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ---- deliveries and wrk ----


def signed(
    keys: Keys, messages: Iterable[dict[str, Any]], *, safe: bool = False, path: str = "/wechat"
) -> Iterator[tuple[str, str]]:
    """Each of ``messages`` (with its ``FromUserName``) as WeChat delivers it: the target
    (``path?`` and the signed query) and the body."""
    now = int(time.time())
    for fields in messages:
        openid = str(fields["FromUserName"])
        xml = message_xml({"ToUserName": "gh_bench", "CreateTime": now, **fields})
        delivery = sign_delivery(keys, xml, safe_mode=safe, openid=openid, timestamp=now)
        yield f"{path}?{urlencode(delivery.query)}", delivery.body


def write_deliveries(
    path: Path,
    keys: Keys,
    messages: Iterable[dict[str, Any]],
    *,
    safe: bool = False,
    webhook: str = "/wechat",
) -> None:
    """Write signed deliveries of ``messages`` to ``webhook``, one a line: ``target<TAB>body``,
    as bench/replay.lua reads them."""
    with path.open("w") as out:
        for target, body in signed(keys, messages, safe=safe, path=webhook):
            out.write(f"{target}\t{body}\n")


def wrk(
    url: str,
    lines: Path,
    *,
    duration: float,
    connections: int,
    threads: int,
    script: Path = REPLAY,
    script_args: Sequence[str] = (),
    timeout_s: float | None = None,
    cpus: str | None = None,
) -> dict[str, Any]:
    """Run wrk with ``script`` over the deliveries in ``lines``; return what the script's
    ``done`` printed (the JSON objects of its last lines, merged), with ``rps`` and the
    CPU time wrk itself used (``wrk_cpu_s``)."""
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency",
    ]  # fmt: skip
    if timeout_s is not None:
        command.append(f"--timeout={timeout_s:g}s")
    command += ["-s", str(script), url, "--", str(lines), str(threads), *script_args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(pinned(command, cpus), capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr[-2000:]}")
    result: dict[str, Any] = {}
    for line in completed.stdout.strip().splitlines():
        if line.startswith("{"):
            result |= json.loads(line)
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["wrk_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


# ---- services ----


def ensure_database(database_url: str) -> None:
    """Create the benchmark's PostgreSQL database when the server does not have it yet.

    A fresh database server holds only its defaults; the benchmarks name databases of
    their own (``sunshine_bench*``) so that they never touch the tests' or production's.
    """
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql") or not url.database:
        return
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        ).scalar()
        if not exists:
            print(f"creating database {url.database}", file=sys.stderr)
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    server.dispose()


def reset_database(database_url: str) -> None:
    """An empty schema at the newest revision, seeded as ``sunshine seed`` does."""
    ensure_database(database_url)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    db.upgrade(engine)
    with Session(engine) as session:
        seed(session)
    engine.dispose()


def flush_redis(url: str) -> None:
    """Empty the one Redis database the benchmark was given (never the whole server)."""
    redis.Redis.from_url(url).flushdb()


# ---- figures ----


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def median_run(runs: list[dict[str, Any]], key: str = "rps") -> dict[str, Any]:
    """The run with the median ``key`` (the upper one of an even count)."""
    ordered = sorted(runs, key=lambda r: r[key])
    return ordered[len(ordered) // 2]


def has_werobot() -> bool:
    try:
        import werobot  # noqa: F401
    except ImportError:
        print("werobot not installed: skipping its row (pip install werobot)", file=sys.stderr)
        return False
    return True


def needs_wrk() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")


def save_results(name: str, results: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return path
