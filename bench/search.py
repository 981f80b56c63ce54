"""Search and report-PDF timings: what a resident waits for, at a town's size and at 100,000 items.

For each catalogue size (generated realistic titles and summaries of a town's
disclosure catalogue, ``tests/data/town_catalogue.py``) it measures, over a set
of queries residents type:

* the index build (once per process, and after every catalogue change);
* in process: the search handler's work for one message — revision check,
  search, first page formatted (``listing.first_page``) — p50 and p99;
* through the webhook: a signed text message posted to ``/wechat`` (Flask test
  client, in-process store), dedup, lock, router, search, reply XML — p50 and p99;

then the 2017 report's PDF: generated (cold) and served from the cache.

    .venv/bin/python bench/search.py [--sizes 300,100000] [--rounds 5] [--database-url URL]

SQLite in a temporary folder by default. Target: p99 < 20 ms in process at 100k.
Both wall-clock and CPU time are reported: on a machine shared with other work
the CPU time is the search's own cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import clock, create_app, db  # noqa: E402
from bot.content import pdf  # noqa: E402
from bot.content.indexes import index_of  # noqa: E402
from bot.content.listing import first_page  # noqa: E402
from bot.content.reports import report_for  # noqa: E402
from bot.models import Body  # noqa: E402
from bot.models.content import Item, bump_catalogue_revision  # noqa: E402
from bot.seed import seed  # noqa: E402
from bot.wechat.chat import ChatClient, describe  # noqa: E402
from bot.wechat.protocol import Keys  # noqa: E402
from tests.data import town_catalogue  # noqa: E402
from tests.support import town_id  # noqa: E402
from tests.test_search_quality import NOTHING_HELD, PAIRS  # noqa: E402

TOKEN = "bench-token"
YEARS = range(2008, 2027)
QUERIES = (
    *(query for query, _ in PAIRS),
    *NOTHING_HELD,
    "低保",
    "危改",
    "公示",
    "通知",
    "情况",
    "2017",
    "2017年低保",
    "我想查一下低保名单",
    "村",
)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(samples, 0.50) * 1000, 2),
        "p99_ms": round(percentile(samples, 0.99) * 1000, 2),
        "max_ms": round(max(samples) * 1000, 2),
        "mean_ms": round(statistics.fmean(samples) * 1000, 2),
        "samples": len(samples),
    }


def load_catalogue(app: Any, size: int) -> None:
    with app.app_context():
        session = db.get_session()
        session.execute(delete(Item))
        town = town_id(session)
        rows = list(town_catalogue.rows(size, body_id=town, years=YEARS))
        for start in range(0, len(rows), 5000):
            session.execute(insert(Item), rows[start : start + 5000])
        bump_catalogue_revision(session, town)
        session.commit()


def webhook_client(app: Any) -> ChatClient:
    test_client = app.test_client()

    def post(query: dict[str, str], body: bytes) -> tuple[int, str]:
        response = test_client.post(
            "/wechat", query_string=query, data=body, content_type="text/xml"
        )
        return response.status_code, response.get_data(as_text=True)

    return ChatClient(post, Keys(TOKEN), openid="o-bench-resident")


class Timer:
    """Wall-clock and CPU time of each call: on a shared machine the CPU time is what the
    search itself costs, the wall-clock time adds whatever else the cores were doing."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __call__(self, work: Any, *args: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        result = work(*args)
        self.cpu.append(time.thread_time() - cpu)
        self.wall.append(time.perf_counter() - wall)
        return result

    def summary(self) -> dict[str, dict[str, float]]:
        return {"wall": summary(self.wall), "cpu": summary(self.cpu)}


def measure_size(app: Any, size: int, rounds: int) -> dict[str, Any]:
    load_catalogue(app, size)
    result: dict[str, Any] = {"items": size, "queries": len(QUERIES)}
    engine, handler, webhook = Timer(), Timer(), Timer()
    with app.test_request_context():
        session = db.get_session()
        started = time.perf_counter()
        town = town_id(session)
        index = index_of(session, town)
        result["index_build_s"] = round(time.perf_counter() - started, 3)
        assert len(index) == size
        for _ in range(rounds):
            for query in QUERIES:
                engine(index.search, query)
                handler(first_page, {}, session.get_one(Body, town), query)
    client = webhook_client(app)
    for _ in range(rounds):
        for query in QUERIES:
            reply = describe(webhook(client.text, query))
            assert "请稍后再发一次" not in reply, reply
    result["engine"] = engine.summary()
    result["in_process"] = handler.summary()
    result["webhook"] = webhook.summary()
    return result


def measure_pdf(app: Any, rounds: int) -> dict[str, Any]:
    cold: list[float] = []
    cached: list[float] = []
    with app.app_context():
        session = db.get_session()
        for _ in range(rounds):
            report = report_for(session, town_id(session), 2017)
            report.generated_pdf_key = None
            session.commit()
            started = time.perf_counter()
            document = pdf.report_pdf(session, report)
            cold.append(time.perf_counter() - started)
            session.expire_all()
            started = time.perf_counter()
            pdf.report_pdf(session, report_for(session, town_id(session), 2017))
            cached.append(time.perf_counter() - started)
    return {"bytes": len(document.data), "cold": summary(cold), "cached": summary(cached)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="300,100000", help="catalogue sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the query set")
    parser.add_argument("--database-url", help="a database to use (its items are replaced)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite"
        engine = create_engine(url)
        db.upgrade(engine)
        engine.dispose()
        app = create_app(
            {
                "DATABASE_URL": url,
                "WECHAT_TOKEN": TOKEN,
                "PUBLIC_URL": "https://bench.example.gov.cn",
                "SECRET_KEY": "bench",
                "REDIS_URL": None,
            }
        )
        with app.app_context():
            seed(db.get_session())
            backend = db.get_engine().dialect.name
            with db.get_engine().connect() as connection:
                connection.execute(text("SELECT 1"))
        results: dict[str, Any] = {
            "when": clock.now().isoformat(timespec="seconds"),
            "database": backend,
            "sizes": [measure_size(app, int(size), args.rounds) for size in args.sizes.split(",")],
            "report_pdf": measure_pdf(app, max(2, args.rounds // 2)),
        }
        app.extensions["sunshine.engine"].dispose()
    print_table(results)
    out = ROOT / "bench" / "results" / f"search-{clock.now():%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten to {out.relative_to(ROOT)}")


def print_table(results: dict[str, Any]) -> None:
    print(f"Search on {results['database']}, {len(QUERIES)} queries per round")
    print(f"{'items':>8} {'build':>7}  {'what':<11} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
          f"  {'cpu p50':>7} {'cpu p99':>7}")  # fmt: skip
    for size in results["sizes"]:
        for what in ("engine", "in_process", "webhook"):
            wall, cpu = size[what]["wall"], size[what]["cpu"]
            build = f"{size['index_build_s']:.2f}s" if what == "engine" else ""
            print(
                f"{size['items']:>8} {build:>7}  {what:<11} {wall['p50_ms']:>7} {wall['p99_ms']:>7} "
                f"{wall['max_ms']:>7}  {cpu['p50_ms']:>7} {cpu['p99_ms']:>7}"
            )
    report = results["report_pdf"]
    print(
        f"2017 report PDF ({report['bytes']:,} bytes): generated p50 {report['cold']['p50_ms']} ms, "
        f"from cache p50 {report['cached']['p50_ms']} ms"
    )


if __name__ == "__main__":
    main()
