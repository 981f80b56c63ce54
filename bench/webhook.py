"""Webhook throughput: Sunshine's 帮助 path against minimal echo webhooks, side by side in one run.

Each server runs under gunicorn (2 sync workers) on loopback, one after another,
and wrk drives it with pre-signed deliveries: every delivery a new MsgId from one
of 5,000 residents, so Sunshine does its full work (claim + lock + session load in
one Redis script, handler, reply cached + session saved in another). Plaintext and
safe mode. Reported: req/s, p50, p99, worker memory, and throughput as a ratio of
the Flask echo baseline measured in the same run.

    .venv/bin/python bench/webhook.py [--duration 10] [--connections 16] [--rounds 2]

Needs wrk (Debian package ``wrk``), Redis and PostgreSQL (this machine's loopback
services by default; see --redis-url and --database-url).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import redis
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import db  # noqa: E402
from bot.protocol import Keys, message_xml, sign_delivery  # noqa: E402

TOKEN = "bench-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx-bench-appid"
RESIDENTS = 5000
WORKERS = 2
THREADS = 2


@dataclass(frozen=True)
class Server:
    name: str
    app: str
    uses_redis: bool
    health_path: str | None = None


SERVERS = [
    Server("sunshine 帮助 (Redis: dedup+lock+session)", "bot:create_app()", True, "/healthz"),
    Server("flask echo (baseline)", "bench.baselines:flask_echo()", False),
    Server("flask echo + Redis GET/SET", "bench.baselines:flask_echo_redis()", True),
    Server("werobot echo", "bench.baselines:werobot_echo()", False),
]
BASELINE = SERVERS[1].name


def deliveries(path: Path, count: int, first_id: int, safe: bool) -> None:
    """Write ``count`` signed deliveries of ``帮助``, one per line: ``target<TAB>body``."""
    keys = Keys(TOKEN, AES_KEY, APPID)
    now = int(time.time())
    with path.open("w") as out:
        for n in range(count):
            openid = f"o-bench-{n % RESIDENTS:05d}"
            xml = message_xml(
                {
                    "ToUserName": "gh_bench",
                    "FromUserName": openid,
                    "CreateTime": now,
                    "MsgType": "text",
                    "Content": "帮助",
                    "MsgId": first_id + n,
                }
            )
            signed = sign_delivery(keys, xml, safe_mode=safe, openid=openid, timestamp=now)
            out.write(f"/wechat?{urlencode(signed.query)}\t{signed.body}\n")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(server: Server, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            server.app,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{server.name} exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                time.sleep(0.5)  # both workers booted
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not start")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def worker_rss_mb(master: int) -> float:
    """Mean resident memory of the master's worker processes, in MiB."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return statistics.mean(sizes) if sizes else 0.0


def wrk(base: str, lines: Path, duration: int, connections: int) -> dict:
    script = ROOT / "bench" / "replay.lua"
    output = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-s",
            str(script),
            f"{base}/wechat",
            "--",
            str(lines),
            str(THREADS),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def measure(server: Server, safe: bool, args: argparse.Namespace, workdir: Path) -> dict:
    env = {
        "BENCH_TOKEN": TOKEN,
        "BENCH_APPID": APPID,
        "BENCH_REDIS_URL": args.redis_url,
        "SUNSHINE_WECHAT_TOKEN": TOKEN,
        "SUNSHINE_REDIS_URL": args.redis_url,
        "SUNSHINE_DATABASE_URL": args.database_url,
        "SUNSHINE_SECRET_KEY": "bench",
        "SUNSHINE_INSTANCE_PATH": str(workdir / "instance"),
    }
    if safe:
        env |= {
            "BENCH_AES_KEY": AES_KEY,
            "SUNSHINE_WECHAT_AES_KEY": AES_KEY,
            "SUNSHINE_WECHAT_APPID": APPID,
        }
    redis.Redis.from_url(args.redis_url).flushdb()
    warmup, main = workdir / "warmup.txt", workdir / "main.txt"
    deliveries(warmup, 4000, first_id=10**12, safe=safe)
    deliveries(main, args.deliveries, first_id=2 * 10**12, safe=safe)
    process, base = start(server, env)
    try:
        wrk(base, warmup, 2, args.connections)
        result = wrk(base, main, args.duration, args.connections)
        result["rss_mb"] = worker_rss_mb(process.pid)
    finally:
        stop(process)
    if result["wrapped"]:
        print(f"  warning: {server.name} replayed deliveries (raise --deliveries)", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="runs per server; the median counts")
    parser.add_argument("--deliveries", type=int, default=80_000, help="signed deliveries per run")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/sunshine_bench_webhook",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    db.upgrade(create_engine(args.database_url))
    servers = [s for s in SERVERS if s.name != "werobot echo" or _has_werobot()]

    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for safe in (False, True):
            mode = "safe" if safe else "plaintext"
            runs: dict[str, list[dict]] = {s.name: [] for s in servers}
            for _ in range(args.rounds):
                for server in servers:  # interleaved, so drift affects all alike
                    runs[server.name].append(measure(server, safe, args, Path(tmp)))
            results[mode] = {name: _median(r) for name, r in runs.items()}

    report(results, args)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"webhook-{stamp}.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))


def _median(runs: list[dict]) -> dict:
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[len(ordered) // 2]


def _has_werobot() -> bool:
    try:
        import werobot  # noqa: F401
    except ImportError:
        print("werobot not installed: skipping its row (pip install werobot)", file=sys.stderr)
        return False
    return True


def report(results: dict[str, dict[str, dict]], args: argparse.Namespace) -> None:
    print(
        f"\n{WORKERS} sync gunicorn workers, wrk {THREADS} threads x {args.connections} "
        f"connections, {args.duration}s, median of {args.rounds}; {os.cpu_count()} cores\n"
    )
    for mode, rows in results.items():
        base = rows[BASELINE]["rps"]
        print(f"{mode}:")
        print("| server | req/s | p50 ms | p99 ms | RSS/worker MiB | non-2xx | vs baseline |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, r in rows.items():
            print(
                f"| {name} | {r['rps']:.0f} | {r['p50_us'] / 1000:.2f} | {r['p99_us'] / 1000:.2f} "
                f"| {r['rss_mb']:.0f} | {r['non2xx'] + r['socket_errors']} | {r['rps'] / base:.2f}x |"
            )
        ours = rows[SERVERS[0].name]
        ratio = ours["rps"] / base
        print(
            f"target: >= 0.70x baseline: {'PASS' if ratio >= 0.7 else 'FAIL'} ({ratio:.2f}x); "
            f"p99 < 50 ms: {'PASS' if ours['p99_us'] < 50_000 else 'FAIL'} "
            f"({ours['p99_us'] / 1000:.1f} ms)\n"
        )


if __name__ == "__main__":
    main()
