"""Province scale: 900 bodies × 2,000 items in PostgreSQL, searched the way one worker does.

Seeds a PostgreSQL database (``sunshine_bench_province``, created on first use and kept:
a later run reuses the province it holds) with ``--bodies`` towns of ``--items`` items each
(the generated town catalogue of ``tests/data/town_catalogue.py``), then runs the same
stream of residents' searches twice, each time in a fresh process — one process is one
gunicorn worker — side by side:

* ``before``: what a worker did before ``bot.content.indexes`` — a town's index built
  before its first search is answered, and every index kept;
* ``sunshine``: ``bot.content.indexes`` as shipped — a town without an index in memory
  searched in the database while its index is built in the background once asked again,
  the least recently used indexes dropped beyond ``SUNSHINE_SEARCH_CACHE_ITEMS``.

The stream: ``--messages`` searches back to back, each from a town drawn from a Zipf
distribution (a few busy towns, a long tail of quiet ones) with a query from the residents'
query set. Measured per message: the handler's work in process (``listing.first_page``:
revision check, search, first page formatted), wall-clock and CPU; reported p50, p99 and
the worst, the first search of a town apart, the indexes built, and the worker's resident
set size at the end (VmRSS) and at its peak (VmHWM).

    .venv/bin/python bench/province.py [--bodies 900] [--items 2000] [--messages 10000]

Targets (issue 13): p99 < 20 ms for a town's query, no message waiting on an index build
(the first search after a worker starts included), resident set ≤ 300 MiB per worker.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database, percentile, save_results  # noqa: E402
from bench.search import QUERIES  # noqa: E402
from bot import clock, create_app, db  # noqa: E402
from bot.content import indexes  # noqa: E402
from bot.content.listing import first_page  # noqa: E402
from bot.models import Body  # noqa: E402
from bot.models.content import Item  # noqa: E402
from bot.seed import seed  # noqa: E402
from tests.data import town_catalogue  # noqa: E402

DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/sunshine_bench_province"
POLICIES = ("before", "sunshine")
INSTANCE = Path(tempfile.gettempdir()) / "sunshine-bench-province"
ZIPF_S = 1.0


def seed_province(url: str, bodies: int, items: int) -> None:
    """Fill the database with ``bodies`` towns of ``items`` published items each, unless it
    holds them already."""
    engine = create_engine(url)
    db.upgrade(engine)
    engine.dispose()
    app = bench_app(url)
    with app.app_context():
        session = db.get_session()
        if session.scalar(select(func.count()).select_from(Body)) == 0:
            seed(session)
            session.commit()
        held_bodies = session.scalar(select(func.count()).select_from(Body)) or 0
        held_items = session.scalar(select(func.count()).select_from(Item)) or 0
        if held_bodies == bodies and held_items == bodies * items:
            print(f"province already seeded: {bodies} bodies, {held_items:,} items")
            return
        started = time.perf_counter()
        first = session.scalar(select(func.min(Body.id)))
        session.execute(text("DELETE FROM catalogue_revision"))
        session.execute(text("DELETE FROM item"))
        session.execute(text("DELETE FROM body WHERE id <> :first"), {"first": first})
        rows = list(town_catalogue.rows(items, years=range(2008, 2027), body_id=first))
        for start in range(0, len(rows), 5000):
            session.execute(insert(Item), rows[start : start + 5000])
        session.execute(
            text(
                "INSERT INTO body (slug, name, authority, reconsideration_body) "
                "SELECT 'town-' || n, '第' || n || '镇人民政府党政办公室', '第' || n || '镇人民政府', "
                "'某市人民政府' FROM generate_series(2, :bodies) AS n"
            ),
            {"bodies": bodies},
        )
        columns = [
            "title",
            "category",
            "doc_number",
            "publisher",
            "published_on",
            "channel",
            "summary",
            "body",
            "link",
            "attachments",
            "status",
            "revision",
            "is_example",
        ]
        session.execute(
            text(
                f"INSERT INTO item (body_id, {', '.join(columns)}) "
                f"SELECT b.id, {', '.join('i.' + column for column in columns)} "
                "FROM body b CROSS JOIN item i WHERE i.body_id = :first AND b.id <> :first"
            ),
            {"first": first},
        )
        session.commit()
        print(f"seeded {bodies} bodies x {items} items in {time.perf_counter() - started:.0f} s")


def analyze(url: str) -> None:
    """Each town's items laid together, as importing a town's catalogue lays them (and as
    ``CLUSTER`` keeps them: deploy/README.md), and fresh planner statistics, as autovacuum
    keeps them; outside a transaction, or they are rolled back with it."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("CLUSTER item USING ix_item_body_status_published"))
        connection.execute(text("ANALYZE"))
    engine.dispose()


def bench_app(url: str) -> Any:
    return create_app(
        {
            "DATABASE_URL": url,
            "WECHAT_TOKEN": "bench-token",
            "PUBLIC_URL": "https://bench.example.gov.cn",
            "SECRET_KEY": "bench",
            "REDIS_URL": None,
            "INSTANCE_PATH": str(INSTANCE),
            "DATA_KEY": "dcrB9eGjP0ho1BOTv0dqO4_FuqejGo8XgCkAbNApomA=",  # a throwaway key: bench data only,
        }
    )


def memory_kib() -> dict[str, int]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def stream(body_ids: list[int], messages: int, seed_value: int) -> list[tuple[int, str]]:
    """The residents' searches: towns by a Zipf law over a shuffled order, random queries."""
    chooser = random.Random(seed_value)
    towns = body_ids[:]
    chooser.shuffle(towns)
    weights = [1 / (rank**ZIPF_S) for rank in range(1, len(towns) + 1)]
    picked = chooser.choices(towns, weights=weights, k=messages)
    return [(town, chooser.choice(QUERIES)) for town in picked]


def run_policy(policy: str, url: str, messages: int, seed_value: int) -> dict[str, Any]:
    """One worker's run (in this process): the stream under ``policy``."""
    if policy == "before":
        indexes.INLINE_BUILD_ITEMS = 10**12  # every index built before answering
    app = bench_app(url)
    gc.collect()
    gc.freeze()  # as deploy/gunicorn.conf.py's post_worker_init does in each worker
    cache = app.extensions["sunshine.search"]
    if policy == "before":
        cache.budget_items = 10**12  # and kept for ever
    with app.app_context():
        body_ids = list(db.get_session().scalars(select(Body.id).order_by(Body.id)))
    searches = stream(body_ids, messages, seed_value)
    started_rss = memory_kib()
    wall: list[float] = []
    cpu: list[float] = []
    first_wall: list[float] = []
    seen: set[int] = set()
    run_started = time.perf_counter()
    for town, query in searches:
        with app.test_request_context():
            began, began_cpu = time.perf_counter(), time.thread_time()
            first_page({}, db.get_session().get_one(Body, town), query)
            cpu.append(time.thread_time() - began_cpu)
            elapsed = time.perf_counter() - began
            wall.append(elapsed)
            if town not in seen:
                seen.add(town)
                first_wall.append(elapsed)
    run_s = time.perf_counter() - run_started
    cache.wait_for_builds(timeout=120)
    ended_rss = memory_kib()
    return {
        "policy": policy,
        "messages": messages,
        "towns_asked": len(seen),
        "run_s": round(run_s, 1),
        "wall": summary(wall),
        "cpu": summary(cpu),
        "first_search_of_a_town": summary(first_wall),
        "indexes_held": len(cache.held_scopes()),
        "items_held": cache.items_held,
        "rss_mib_start": round(started_rss["VmRSS"] / 1024),
        "rss_mib_end": round(ended_rss["VmRSS"] / 1024),
        "rss_mib_peak": round(ended_rss["VmHWM"] / 1024),
    }


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(samples, 0.50) * 1000, 2),
        "p99_ms": round(percentile(samples, 0.99) * 1000, 2),
        "max_ms": round(max(samples) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bodies", type=int, default=900)
    parser.add_argument("--items", type=int, default=2000, help="items per body")
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--policy", choices=POLICIES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.policy:  # a child: one worker
        print(json.dumps(run_policy(args.policy, args.database_url, args.messages, args.seed)))
        return
    ensure_database(args.database_url)
    seed_province(args.database_url, args.bodies, args.items)
    analyze(args.database_url)
    runs = {}
    for policy in POLICIES:
        child = subprocess.run(
            [sys.executable, __file__, "--policy", policy, *_passed(args)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "SUNSHINE_LOG_LEVEL": "WARNING"},
        )
        runs[policy] = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{policy}: {json.dumps(runs[policy], ensure_ascii=False)}")
    results = {
        "when": clock.now().isoformat(timespec="seconds"),
        "bodies": args.bodies,
        "items_per_body": args.items,
        "cache_items": bench_app(args.database_url).config["SEARCH_CACHE_ITEMS"],
        "runs": runs,
    }
    path = save_results("province", results)
    print_table(results)
    print(f"saved {path}")


def _passed(args: argparse.Namespace) -> list[str]:
    return [
        "--messages",
        str(args.messages),
        "--seed",
        str(args.seed),
        "--database-url",
        args.database_url,
    ]


def print_table(results: dict[str, Any]) -> None:
    before, now = results["runs"]["before"], results["runs"]["sunshine"]
    print(
        f"\n{results['bodies']} bodies x {results['items_per_body']} items, "
        f"{now['messages']} searches from {now['towns_asked']} towns (Zipf s={ZIPF_S}), "
        f"one worker; SUNSHINE_SEARCH_CACHE_ITEMS={results['cache_items']:,}\n"
    )
    print("| | before (index built first, all kept) | sunshine | ratio |")
    print("| --- | ---: | ---: | ---: |")
    rows = (
        ("p50 ms", before["wall"]["p50_ms"], now["wall"]["p50_ms"]),
        ("p99 ms", before["wall"]["p99_ms"], now["wall"]["p99_ms"]),
        ("worst ms", before["wall"]["max_ms"], now["wall"]["max_ms"]),
        ("p99 CPU ms", before["cpu"]["p99_ms"], now["cpu"]["p99_ms"]),
        (
            "first search of a town, p99 ms",
            before["first_search_of_a_town"]["p99_ms"],
            now["first_search_of_a_town"]["p99_ms"],
        ),
        ("indexes held at the end", before["indexes_held"], now["indexes_held"]),
        ("RSS at the end MiB", before["rss_mib_end"], now["rss_mib_end"]),
        ("RSS peak MiB", before["rss_mib_peak"], now["rss_mib_peak"]),
        ("whole stream s", before["run_s"], now["run_s"]),
    )
    for label, old, new in rows:
        ratio = f"{new / old:.2f}x" if old else "-"
        print(f"| {label} | {old} | {new} | {ratio} |")
    print(
        f"\ntargets: p99 < 20 ms: {'PASS' if now['wall']['p99_ms'] < 20 else 'FAIL'} "
        f"({now['wall']['p99_ms']} ms); worst message {now['wall']['max_ms']} ms; "
        f"RSS <= 300 MiB: {'PASS' if now['rss_mib_peak'] <= 300 else 'FAIL'} "
        f"({now['rss_mib_peak']} MiB peak)"
    )


if __name__ == "__main__":
    main()
