"""The 帮助 path on named accounts (``/wechat/<slug>``) against the configured account's
``/wechat``, side by side on the same server in one run (issue 13: within 10%).

One gunicorn (2 sync workers) serves the ``SUNSHINE_WECHAT_*`` account and ``--accounts``
named ones (100 by default, a province's worth), added as ``sunshine account add`` does.
wrk replays pre-signed ``帮助`` deliveries from 5,000 residents: to ``/wechat``, or spread
over every named account, each signed (and in safe mode encrypted) with that account's own
keys. The two are measured alternately, ``--rounds`` times each; the median counts.
Also reported: database transactions per delivery (PostgreSQL's ``xact_commit`` +
``xact_rollback`` of the benchmark's database over the run), which must stay 0: a named
account is found in the worker's memory, its version read in the delivery's one Redis script.

    .venv/bin/python bench/accounts.py [--duration 10] [--rounds 3] [--accounts 100]

Needs wrk, Redis and PostgreSQL (this machine's loopback services by default).
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    flush_redis,
    median_run,
    needs_wrk,
    reset_database,
    save_results,
    serve,
    signed,
    wrk,
)
from bot import create_app, db  # noqa: E402
from bot.cases import privacy  # noqa: E402
from bot.seed import seed  # noqa: E402
from bot.staff import bodies  # noqa: E402
from bot.wechat import accounts  # noqa: E402
from bot.wechat.protocol import Keys  # noqa: E402

TOKEN = "benchToken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx-bench-appid"
RESIDENTS = 5000
WORKERS = 2
THREADS = 2
DEFAULT = "/wechat (SUNSHINE_WECHAT_*)"
NAMED = "/wechat/<slug> (named accounts)"
#: PostgreSQL 15 reports an idle backend's transactions within 10 s (PGSTAT_IDLE_INTERVAL).
STATS_DELAY_S = 11


def named_keys(count: int, safe: bool) -> dict[str, Keys]:
    """``count`` accounts, each with its own Token, AppID and (in safe mode) EncodingAESKey."""
    return {
        f"town{n:03d}": Keys(
            f"benchToken{n:03d}",
            base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=") if safe else None,
            f"wxbench{n:04d}",
        )
        for n in range(count)
    }


def add_accounts(env: dict[str, str], keys: dict[str, Keys]) -> None:
    app = create_app(
        {
            "DATABASE_URL": env["SUNSHINE_DATABASE_URL"],
            "REDIS_URL": env["SUNSHINE_REDIS_URL"],
            "DATA_KEY": env["SUNSHINE_DATA_KEY"],
            "INSTANCE_PATH": env["SUNSHINE_INSTANCE_PATH"],
            "WECHAT_APPID": APPID,
            "LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        session = db.get_session()
        seed(session)  # the town every account serves
        town = [bodies.chosen(session, None)]
        for slug, key in keys.items():
            given = accounts.Secrets(key.token, key.aes_key, None)
            accounts.add(session, "cli", slug, key.appid or "", given, privacy.seal, town)
        session.commit()
        accounts.announce(app.extensions["sunshine.redis"])
    app.extensions["sunshine.engine"].dispose()


def write(path: Path, count: int, first_id: int, safe: bool, named: dict[str, Keys]) -> None:
    """``count`` signed 帮助 deliveries: to /wechat, or (``named``) spread over those accounts."""
    slugs = list(named)
    default = Keys(TOKEN, AES_KEY, APPID)
    with path.open("w") as out:
        for n in range(count):
            message = {
                "FromUserName": f"o-bench-{n % RESIDENTS:05d}",
                "MsgType": "text",
                "Content": "帮助",
                "MsgId": first_id + n,
            }
            slug = slugs[n % len(slugs)] if slugs else ""
            keys, webhook = (named[slug], f"/wechat/{slug}") if slug else (default, "/wechat")
            [(target, body)] = signed(keys, [message], safe=safe, path=webhook)
            out.write(f"{target}\t{body}\n")


def transactions(database_url: str) -> int:
    engine = create_engine(make_url(database_url).set(database="postgres"))
    with engine.connect() as connection:
        count = connection.execute(
            text("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :name"),
            {"name": make_url(database_url).database},
        ).scalar_one()
    engine.dispose()
    return int(count)


def measure(safe: bool, args: argparse.Namespace, workdir: Path) -> dict[str, list[dict]]:
    env = {
        "SUNSHINE_WECHAT_TOKEN": TOKEN,
        "SUNSHINE_WECHAT_APPID": APPID,
        "SUNSHINE_REDIS_URL": args.redis_url,
        "SUNSHINE_DATABASE_URL": args.database_url,
        "SUNSHINE_SECRET_KEY": "bench",
        "SUNSHINE_DATA_KEY": Fernet.generate_key().decode(),
        "SUNSHINE_INSTANCE_PATH": str(workdir / "instance"),
    }
    if safe:
        env["SUNSHINE_WECHAT_AES_KEY"] = AES_KEY
    flush_redis(args.redis_url)
    reset_database(args.database_url)  # creates the database on first use
    named = named_keys(args.accounts, safe)
    add_accounts(env, named)
    targets = {DEFAULT: {}, NAMED: named}
    runs: dict[str, list[dict]] = {DEFAULT: [], NAMED: []}
    log = workdir / "gunicorn.log"
    with serve("bot:create_app()", env, workers=WORKERS, log=log, health_path="/healthz") as host:
        url = f"{host.base}/wechat"
        for offset, keys in enumerate(targets.values()):
            warmup = workdir / "warmup.txt"
            write(warmup, 4000, 10**12 + offset * 10**9, safe, keys)
            wrk(url, warmup, duration=2, connections=args.connections, threads=THREADS)
        time.sleep(STATS_DELAY_S)  # what the warm-up (and /healthz) did is counted before
        for round_ in range(args.rounds):
            for offset, (label, keys) in enumerate(targets.items()):  # alternated: drift hits both
                main = workdir / "main.txt"
                write(main, args.deliveries, (2 + round_) * 10**12 + offset * 10**11, safe, keys)
                before = transactions(args.database_url)
                result = wrk(
                    url, main, duration=args.duration, connections=args.connections, threads=THREADS
                )
                time.sleep(STATS_DELAY_S)
                result["transactions"] = transactions(args.database_url) - before
                result["rss_mb"] = host.memory_mb()["rss_mb"]
                if result["wrapped"]:
                    print(f"  warning: {label} replayed deliveries", file=sys.stderr)
                runs[label].append(result)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--deliveries", type=int, default=60_000, help="per run")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/sunshine_bench_accounts",
    )
    args = parser.parse_args()
    needs_wrk()
    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for safe in (False, True):
            runs = measure(safe, args, Path(tmp))
            results["safe" if safe else "plaintext"] = {
                label: median_run(found) for label, found in runs.items()
            }
    report(results, args)
    save_results("accounts", results)


def report(results: dict[str, dict[str, dict]], args: argparse.Namespace) -> None:
    print(
        f"\n{WORKERS} sync gunicorn workers, wrk {THREADS} threads x {args.connections} "
        f"connections, {args.duration}s, median of {args.rounds}; {args.accounts} named "
        f"accounts; {os.cpu_count()} cores\n"
    )
    print(
        "| mode | webhook | req/s | p50 ms | p99 ms | RSS/worker MiB | DB transactions | vs /wechat |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for mode, rows in results.items():
        base = rows[DEFAULT]["rps"]
        for label, r in rows.items():
            print(
                f"| {mode} | {label} | {r['rps']:.0f} | {r['p50_us'] / 1000:.2f} "
                f"| {r['p99_us'] / 1000:.2f} | {r['rss_mb']:.0f} | {r['transactions']} "
                f"| {r['rps'] / base:.2f}x |"
            )
    for mode, rows in results.items():
        ratio = rows[NAMED]["rps"] / rows[DEFAULT]["rps"]
        verdict = "PASS" if ratio >= 0.9 else "FAIL"
        print(f"{mode}: named accounts within 10% of /wechat: {verdict} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
