"""Webhook throughput: Sunshine's 帮助 path against minimal echo webhooks, side by side in one run.

Each server runs under gunicorn (2 sync workers) on loopback, one after another,
and wrk drives it with pre-signed deliveries: every delivery a new MsgId from one
of 5,000 residents, so Sunshine does its full work: for ``帮助`` outside a dialogue one
Redis script claims the delivery, checks the resident's lock and session and stores
the reply. Plaintext and safe mode. Reported: req/s, p50, p99, worker memory, and throughput as a ratio of
the Flask echo baseline and of the lean floor (the echo plus one Redis script that
claims the MsgId and reads the session) measured in the same run; the target is judged
on Sunshine's ratio to the floor run right after it, the median over the rounds.

    .venv/bin/python bench/webhook.py [--duration 10] [--connections 16] [--rounds 2]

Needs wrk (Debian package ``wrk``), Redis and PostgreSQL (this machine's loopback
services by default; see --redis-url and --database-url).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    ensure_database,
    flush_redis,
    has_werobot,
    median_run,
    needs_wrk,
    save_results,
    serve,
    write_deliveries,
    wrk,
)
from bot import db  # noqa: E402
from bot.wechat.protocol import Keys  # noqa: E402

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
    Server("flask echo + one Redis script", "bench.baselines:flask_echo_script()", True),
    Server("flask echo + claim script (lean floor)", "bench.baselines:flask_echo_claim()", True),
    Server("werobot echo", "bench.baselines:werobot_echo()", False),
]
OURS = SERVERS[0].name
BASELINE = SERVERS[1].name
#: The least a webhook that takes each message once and knows the resident's dialogue does.
FLOOR = SERVERS[4].name


def deliveries(path: Path, count: int, first_id: int, safe: bool) -> None:
    """Write ``count`` signed deliveries of ``帮助``, one per line: ``target<TAB>body``."""
    messages = (
        {
            "FromUserName": f"o-bench-{n % RESIDENTS:05d}",
            "MsgType": "text",
            "Content": "帮助",
            "MsgId": first_id + n,
        }
        for n in range(count)
    )
    write_deliveries(path, Keys(TOKEN, AES_KEY, APPID), messages, safe=safe)


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
    flush_redis(args.redis_url)
    warmup, main = workdir / "warmup.txt", workdir / "main.txt"
    deliveries(warmup, 4000, first_id=10**12, safe=safe)
    deliveries(main, args.deliveries, first_id=2 * 10**12, safe=safe)
    log = workdir / "gunicorn.log"
    with serve(server.app, env, workers=WORKERS, log=log, health_path=server.health_path) as host:
        url = f"{host.base}/wechat"
        wrk(url, warmup, duration=2, connections=args.connections, threads=THREADS)
        result = wrk(
            url, main, duration=args.duration, connections=args.connections, threads=THREADS
        )
        result["rss_mb"] = host.memory_mb()["rss_mb"]
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
    needs_wrk()
    ensure_database(args.database_url)
    db.upgrade(create_engine(args.database_url))
    servers = [s for s in SERVERS if s.name != "werobot echo" or has_werobot()]

    # Sunshine and the floor back to back in every round, the others after them.
    order = sorted(servers, key=lambda s: s.name not in (OURS, FLOOR))
    results: dict[str, dict[str, dict]] = {}
    paired: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for safe in (False, True):
            mode = "safe" if safe else "plaintext"
            runs: dict[str, list[dict]] = {s.name: [] for s in servers}
            for _ in range(args.rounds):
                for server in order:  # interleaved, so drift affects all alike
                    runs[server.name].append(measure(server, safe, args, Path(tmp)))
            results[mode] = {s.name: median_run(runs[s.name]) for s in servers}
            paired[mode] = [
                ours["rps"] / floor["rps"]
                for ours, floor in zip(runs[OURS], runs[FLOOR], strict=True)
            ]

    report(results, paired, args)
    save_results("webhook", {"medians": results, "paired_ratios": paired})


def report(
    results: dict[str, dict[str, dict]], paired: dict[str, list[float]], args: argparse.Namespace
) -> None:
    """The tables, and the target judged on the paired ratio: the host's drift moves every
    server's req/s by several percent from one run to the next, so Sunshine is compared with
    the floor measured just after it, round by round, and the median of those ratios counts."""
    print(
        f"\n{WORKERS} sync gunicorn workers, wrk {THREADS} threads x {args.connections} "
        f"connections, {args.duration}s, median of {args.rounds}; {os.cpu_count()} cores\n"
    )
    for mode, rows in results.items():
        base = rows[BASELINE]["rps"]
        print(f"{mode}:")
        floor = rows[FLOOR]["rps"]
        print(
            "| server | req/s | p50 ms | p99 ms | RSS/worker MiB | non-2xx | vs echo | vs floor |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, r in rows.items():
            print(
                f"| {name} | {r['rps']:.0f} | {r['p50_us'] / 1000:.2f} | {r['p99_us'] / 1000:.2f} "
                f"| {r['rss_mb']:.0f} | {r['non2xx'] + r['socket_errors']} "
                f"| {r['rps'] / base:.2f}x | {r['rps'] / floor:.2f}x |"
            )
        ours = rows[OURS]
        ratio = statistics.median(paired[mode])
        rounds = ", ".join(f"{r:.2f}" for r in paired[mode])
        print(
            f"target: >= 0.85x the lean floor: {'PASS' if ratio >= 0.85 else 'FAIL'} "
            f"({ratio:.2f}x, median of the rounds' paired ratios {rounds}); "
            f"p99 < 50 ms: {'PASS' if ours['p99_us'] < 50_000 else 'FAIL'} "
            f"({ours['p99_us'] / 1000:.1f} ms)\n"
        )


if __name__ == "__main__":
    main()
