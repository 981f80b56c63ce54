"""Complaints end to end: many residents each file a whole complaint at the same time.

Every simulated resident sends the 6 messages of a complaint (投诉, the text, a
photo, 好了, 跳过, 确认) through gunicorn on real Redis and PostgreSQL, all
residents starting together, each waiting for a reply before the next message,
as a phone does. Reported: cases filed per second (wall clock from the first
message to the last receipt), latency per message (p50, p99, max, how many took
longer than WeChat's 5 s), and a check in the database that every resident has
exactly one case with the number on their receipt: none lost, none duplicated.

    .venv/bin/python bench/cases.py [--residents 200] [--workers 4] [--rounds 1]

It resets the database ``sunshine_bench`` and flushes Redis db 14 (see
--database-url and --redis-url).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import flush_redis, percentile, reset_database, serve  # noqa: E402
from bot.models.cases import Attachment, Case  # noqa: E402
from bot.wechat.chat import ChatClient, describe, http_transport  # noqa: E402
from bot.wechat.protocol import Keys  # noqa: E402

TOKEN = "bench-token"
MESSAGES = ["投诉", "村口路灯坏了三天了，晚上很黑", "/image", "好了", "跳过", "确认"]
WECHAT_DEADLINE_S = 5.0
NUMBER = re.compile(r"编号：(TS\d{8}-\d{4,})")


@dataclass
class Resident:
    openid: str
    latencies: list[float] = field(default_factory=list)
    number: str | None = None
    problem: str | None = None


def complain(base: str, resident: Resident, go: threading.Barrier) -> Resident:
    chat = ChatClient(
        http_transport(f"{base}/wechat", timeout=30), Keys(TOKEN), openid=resident.openid
    )
    go.wait()
    reply = ""
    for line in MESSAGES:
        began = time.perf_counter()
        try:
            reply = describe(chat.line(line))
        except Exception as error:  # any failure is reported, not raised
            resident.problem = f"{line!r}: {type(error).__name__}: {error}"
            return resident
        resident.latencies.append(time.perf_counter() - began)
    found = NUMBER.search(reply)
    if found is None:
        resident.problem = f"no receipt: {reply[:80]!r}"
    else:
        resident.number = found[1]
    return resident


def run(args: argparse.Namespace, workdir: Path) -> dict:
    reset_database(args.database_url)
    flush_redis(args.redis_url)
    env = {
        "SUNSHINE_WECHAT_TOKEN": TOKEN,
        "SUNSHINE_REDIS_URL": args.redis_url,
        "SUNSHINE_DATABASE_URL": args.database_url,
        "SUNSHINE_SECRET_KEY": "bench",
        "SUNSHINE_DATA_KEY": Fernet.generate_key().decode(),
        "SUNSHINE_INSTANCE_PATH": str(workdir / "instance"),
        "SUNSHINE_CASE_DAILY_LIMIT": "100",
    }
    residents = [Resident(f"o-bench-{n:04d}") for n in range(args.residents)]
    go = threading.Barrier(args.residents + 1)
    log = workdir / "gunicorn.log"
    with (
        serve(
            "bot:create_app()", env, workers=args.workers, log=log, health_path="/healthz"
        ) as host,
        ThreadPoolExecutor(args.residents) as pool,
    ):
        futures = [pool.submit(complain, host.base, r, go) for r in residents]
        go.wait()
        began = time.perf_counter()
        for future in futures:
            future.result()
        wall = time.perf_counter() - began
    return {"wall": wall, "residents": residents, "check": check(args.database_url, residents)}


def check(database_url: str, residents: list[Resident]) -> dict:
    """Compare the receipts residents got with what the database holds."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        cases = session.execute(select(Case.openid, Case.number)).all()
        attachments = session.scalar(select(func.count()).select_from(Attachment))
    engine.dispose()
    by_openid: dict[str, list[str]] = {}
    for openid, number in cases:
        by_openid.setdefault(openid, []).append(number)
    receipts = {r.openid: r.number for r in residents if r.number}
    lost = [r.openid for r in residents if by_openid.get(r.openid, []) != [receipts.get(r.openid)]]
    return {
        "cases": len(cases),
        "distinct_numbers": len({number for _, number in cases}),
        "attachments": attachments,
        "lost_or_duplicated": lost,
    }


def report(result: dict, args: argparse.Namespace) -> bool:
    residents: list[Resident] = result["residents"]
    latencies = [s for r in residents for s in r.latencies]
    problems = [r.problem for r in residents if r.problem]
    check = result["check"]
    messages = len(latencies)
    print(
        f"{args.residents} residents x {len(MESSAGES)} messages, {args.workers} sync gunicorn "
        f"workers, {os.cpu_count()} cores, Redis + PostgreSQL on loopback"
    )
    print(
        "| cases/s | messages/s | p50 ms | p99 ms | max ms | > 5 s | cases in DB | lost or duplicated |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {check['cases'] / result['wall']:.1f} | {messages / result['wall']:.0f} "
        f"| {statistics.median(latencies) * 1000:.0f} | {percentile(latencies, 0.99) * 1000:.0f} "
        f"| {max(latencies) * 1000:.0f} | {sum(s > WECHAT_DEADLINE_S for s in latencies)} "
        f"| {check['cases']} | {len(check['lost_or_duplicated']) + len(problems)} |"
    )
    for problem in problems[:5]:
        print(f"  problem: {problem}")
    ok = (
        not problems
        and check["cases"] == check["distinct_numbers"] == check["attachments"] == args.residents
        and not check["lost_or_duplicated"]
    )
    print("zero lost or duplicated: " + ("PASS" if ok else "FAIL"))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/sunshine_bench"
    )
    args = parser.parse_args()
    ok = True
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            ok = report(run(args, Path(tmp)), args) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
