"""Capacity: what one 2-core host carries at p99 < 1 s, and what a second host can add.

Three workloads, each a stream of signed deliveries replayed by wrk through gunicorn
(deploy/gunicorn.conf.py, sync workers) on real Redis and PostgreSQL:

* ``help``: 帮助, from 5,000 residents in turn;
* ``search``: 低保, against the seeded catalogue plus a generated town catalogue
  (``tests/data/town_catalogue.py``, ``--catalogue`` items);
* ``dialogue``: whole complaints, 6 messages per resident (投诉, the text, a photo,
  好了, 跳过, 确认); each resident's next message waits for the previous reply, and
  every 确认 files a case in PostgreSQL.

Three measurements, in one run:

1. Per message at saturation (closed loop: wrk keeps ``--connections`` requests in
   flight): msgs/s, p50, p99, memory per worker (RSS and PSS), CPU per message of the
   app, of its PostgreSQL backends and of the Redis server, beside the Flask echo
   webhook and WeRoBot's echo robot (``bench/baselines.py``) under the same gunicorn
   settings; ratios to both.
2. Capacity of this host (open loop: wrk paced to a fixed offered rate, through nginx
   as deployed): the rate is stepped up until p99 reaches ``--p99-limit-ms``, the load
   is no longer carried, or a resident is asked to send again; the capacity is the
   highest rate that held.
3. One app instance against two behind nginx, the load generator pinned to its own
   core with taskset. On one machine the two instances share the same cores, so
   this shows what contention costs, not what a second host adds; the report says
   what the figures do and do not support.

    .venv/bin/python bench/capacity.py [--duration 10] [--step-duration 10] [--rounds 1]
    .venv/bin/python bench/capacity.py --duration 3 --step-duration 3 --max-steps 3  # quick

It resets the database ``sunshine_bench_cap`` and empties Redis db 6 (see
--database-url and --redis-url). Needs wrk (Debian ``wrk``) and, for parts 2 and 3,
nginx and taskset. Writes bench/results/capacity-<time>.json.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import requests
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    CLOCK_TICKS,
    DEPLOY_CONFIG,
    REPLAY,
    Gunicorn,
    cpu_ticks,
    flush_redis,
    has_werobot,
    median_run,
    needs_wrk,
    reset_database,
    save_results,
    serve,
    signed,
    write_deliveries,
    wrk,
)
from bot.models.cases import Case  # noqa: E402
from bot.models.content import Item, bump_catalogue_revision  # noqa: E402
from bot.staff import bodies  # noqa: E402
from bot.wechat.protocol import Keys  # noqa: E402
from tests.data import town_catalogue  # noqa: E402
from tests.servers import balancer, find_nginx  # noqa: E402

TOKEN = "bench-token"
APPID = "wx-bench-appid"
COMPLAINT = ["投诉", "村口路灯坏了三天了，晚上很黑", "/image", "好了", "跳过", "确认"]
PHOTO = "https://mmbiz.qpic.cn/bench/photo.jpg"
#: Residents the help and search streams cycle through, per wrk thread.
RESIDENTS = 2500
#: A step holds only if at most this share of requests left the generator late (every
#: connection was busy: the load was not offered as scheduled) ...
LATE = 0.01
#: ... and this share of the offered load was answered within the step.
ANSWERED = 0.9
MAX_CONNECTIONS = 2000
#: Residents sending the first messages of the dialogue lanes side by side.
PRELUDE_SENDERS = 16
#: nginx holds two connections per request in flight (the client's and gunicorn's).
NGINX_CONNECTIONS = 2 * MAX_CONNECTIONS + 100


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    text: str | None  # the one message of a single-message workload


WORKLOADS = {
    "help": Workload("help", "帮助", "帮助"),
    "search": Workload("search", "search 低保", "低保"),
    "dialogue": Workload("dialogue", "complaint dialogue (6 messages)", None),
}


@dataclass(frozen=True)
class Server:
    name: str
    app: str
    health_path: str | None


SUNSHINE = Server("sunshine", "bot:create_app()", "/healthz")
FLASK_ECHO = Server("flask echo", "bench.baselines:flask_echo()", None)
WEROBOT_ECHO = Server("werobot echo", "bench.baselines:werobot_echo()", None)

# wrk's script for all three parts: bench/replay.lua's replay, paced to a rate per thread
# when one is given (open loop), counting receipts and requests to send again.
PACED_REPLAY = """\
dofile("{replay}")
local ffi = require("ffi")
ffi.cdef[[
typedef struct {{ long sec; long nsec; }} bench_timespec;
int clock_gettime(int clock, bench_timespec *out);
]]
local clock = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.sec) * 1000 + tonumber(clock.nsec) / 1e6
end

local counted = {{}}
local replay_setup, replay_init, replay_request, replay_done = setup, init, request, done

function setup(thread)
  replay_setup(thread)
  table.insert(counted, thread)
end

function init(args)
  replay_init(args)
  local rate = tonumber(args[3])
  interval = rate > 0 and 1000 / rate or 0
  first_slot, slots, sent, late, worst_lag, receipts, resend = nil, 0, 0, 0, 0, 0, 0
end

function request()
  sent = sent + 1
  return replay_request()
end

-- Each request takes the thread's next slot on a fixed schedule; a slot already past
-- (every connection was busy) is sent at once and counted late.
function delay()
  if interval == 0 then return 0 end
  local now = now_ms()
  first_slot = first_slot or now
  local wait = first_slot + slots * interval - now
  slots = slots + 1
  if wait >= 0 then return math.floor(wait) end
  late = late + 1
  if -wait > worst_lag then worst_lag = -wait end
  return 0
end

function response(status, headers, body)
  if body:find("{receipt}", 1, true) then receipts = receipts + 1 end
  if body:find("{resend}", 1, true) then resend = resend + 1 end
end

function done(summary, latency, requests)
  replay_done(summary, latency, requests)
  local totals = {{sent = 0, late = 0, worst_lag = 0, receipts = 0, resend = 0}}
  for _, thread in ipairs(counted) do
    totals.sent = totals.sent + thread:get("sent")
    totals.late = totals.late + thread:get("late")
    totals.worst_lag = math.max(totals.worst_lag, thread:get("worst_lag"))
    totals.receipts = totals.receipts + thread:get("receipts")
    totals.resend = totals.resend + thread:get("resend")
  end
  io.write(string.format(
    '{{"sent": %d, "late": %d, "worst_lag_ms": %.1f, "receipts": %d, "resend": %d}}\\n',
    totals.sent, totals.late, totals.worst_lag, totals.receipts, totals.resend))
end
"""


# ---- deliveries ----

_MSG_IDS = itertools.count(10**12)
_RUNS = itertools.count(1)


class Deliveries:
    """Messages of ``workload`` for wrk's threads, from residents no earlier run used.

    ``help`` and ``search``: each thread's residents take turns. ``dialogue``: each thread
    runs ``lanes`` residents side by side, message ``i`` belonging to lane ``i % lanes``,
    so one resident's next message comes ``lanes`` requests later (when the previous
    reply is in, if the lanes are enough). A lane starts part-way through its first
    complaint (lane ``j`` after ``j % 6`` messages, sent beforehand by ``prelude``), so
    every step of the dialogue is equally frequent from the first second.
    """

    def __init__(self, workload: Workload, *, threads: int, lanes: int) -> None:
        run = f"r{next(_RUNS)}"
        self.prelude: list[list[dict[str, Any]]] = []
        if workload.text is not None:
            self.streams = [_turns(run, t, workload.text) for t in range(threads)]
            return
        by_thread = [[_complaints(run, t, j) for j in range(lanes)] for t in range(threads)]
        for lanes_of_thread in by_thread:
            for number, lane in enumerate(lanes_of_thread):
                started = [next(lane) for _ in range(number % len(COMPLAINT))]
                if started:
                    self.prelude.append(started)
        self.streams = [_side_by_side(lanes_of_thread) for lanes_of_thread in by_thread]

    def write(self, path: Path, count: int) -> None:
        """``count`` deliveries; line ``n`` goes to thread ``n % threads`` (bench/replay.lua)."""
        per_thread = math.ceil(count / len(self.streams))
        interleaved = (next(stream) for _ in range(per_thread) for stream in self.streams)
        write_deliveries(path, Keys(TOKEN), interleaved)


def _turns(run: str, thread: int, content: str) -> Iterator[dict[str, Any]]:
    for n in itertools.count():
        yield text_message(f"o-{run}-{thread}-{n % RESIDENTS}", content, next(_MSG_IDS))


def _side_by_side(lanes: list[Iterator[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    for lane in itertools.cycle(lanes):
        yield next(lane)


def _complaints(run: str, thread: int, lane: int) -> Iterator[dict[str, Any]]:
    """One lane: residents filing a complaint each, one after another."""
    for number in itertools.count():
        openid = f"o-{run}-{thread}-{lane}-{number}"
        for line in COMPLAINT:
            msg_id = next(_MSG_IDS)
            if line == "/image":
                yield {
                    "FromUserName": openid,
                    "MsgType": "image",
                    "PicUrl": PHOTO,
                    "MediaId": f"bench-media-{msg_id}",
                    "MsgId": msg_id,
                }
            else:
                yield text_message(openid, line, msg_id)


def text_message(openid: str, content: str, msg_id: int) -> dict[str, Any]:
    return {"FromUserName": openid, "MsgType": "text", "Content": content, "MsgId": msg_id}


def send_in_order(base: str, sequences: list[list[dict[str, Any]]]) -> None:
    """Send each sequence's messages one after another (each waits for its reply); the
    sequences side by side. Complains about a reply that is not a plain answer."""
    http = threading.local()
    problems: list[str] = []

    def send(sequence: list[dict[str, Any]]) -> None:
        session = getattr(http, "session", None) or requests.Session()
        http.session = session
        for target, body in signed(Keys(TOKEN), sequence):
            response = session.post(f"{base}{target}", data=body.encode(), timeout=30)
            if response.status_code != 200 or "再发" in response.text:
                problems.append(f"{response.status_code} {response.text[:200]}")

    with ThreadPoolExecutor(PRELUDE_SENDERS) as pool:
        list(pool.map(send, sequences))
    if problems:
        print(f"  warning: {len(problems)} dialogue starts not taken, e.g. {problems[0]}")


# ---- what a run cost outside the app: PostgreSQL backends and the Redis server ----


class ServiceCpu:
    """CPU seconds used by this database's PostgreSQL backends and by the Redis server.

    The backends are read from /proc (so PostgreSQL must run on this machine); Redis
    reports its own, for the whole server: other clients of a shared Redis count too.
    """

    def __init__(self, database_url: str, redis_url: str) -> None:
        self.engine = create_engine(database_url)
        self.redis = redis.Redis.from_url(redis_url)

    def sample(self) -> dict[str, Any]:
        with self.engine.connect() as connection:
            pids = connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            backends = {pid: cpu_ticks(pid) for pid in pids}
        cpu = self.redis.info("cpu")
        return {
            "postgres": {pid: t for pid, t in backends.items() if t is not None},
            "redis": cpu["used_cpu_user"] + cpu["used_cpu_sys"],
        }

    @staticmethod
    def used(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float | None]:
        backends = after["postgres"]
        postgres = (
            sum(t - before["postgres"].get(pid, 0) for pid, t in backends.items()) / CLOCK_TICKS
            if backends
            else None
        )
        return {"postgres": postgres, "redis": after["redis"] - before["redis"]}

    def close(self) -> None:
        self.engine.dispose()
        self.redis.close()


# ---- the benchmark ----


class Bench:
    def __init__(self, args: argparse.Namespace, folder: Path, nginx: str | None) -> None:
        self.args = args
        self.folder = folder
        self.nginx = nginx
        self.script = folder / "paced.lua"
        self.script.write_text(
            PACED_REPLAY.format(replay=REPLAY, receipt="编号：", resend="再发"), encoding="utf-8"
        )
        self.services = ServiceCpu(args.database_url, args.redis_url)
        self.data_key = Fernet.generate_key().decode()

    def env(self, instance: str = "instance") -> dict[str, str]:
        return {
            "BENCH_TOKEN": TOKEN,
            "BENCH_APPID": APPID,
            "BENCH_REDIS_URL": self.args.redis_url,
            "SUNSHINE_WECHAT_TOKEN": TOKEN,
            "SUNSHINE_REDIS_URL": self.args.redis_url,
            "SUNSHINE_DATABASE_URL": self.args.database_url,
            "SUNSHINE_SECRET_KEY": "bench",
            "SUNSHINE_DATA_KEY": self.data_key,
            "SUNSHINE_PUBLIC_URL": "https://bench.example.gov.cn",
            "SUNSHINE_INSTANCE_PATH": str(self.folder / instance),
        }

    def start(self, server: Server, *, name: str, cpus: str | None = None) -> Any:
        return serve(
            server.app,
            self.env(f"instance-{name}"),
            workers=self.args.workers,
            log=self.folder / f"{name}.log",
            config=DEPLOY_CONFIG,
            cpus=cpus,
            health_path=server.health_path,
        )

    def replay(
        self,
        base: str,
        workload: Workload,
        *,
        duration: float,
        connections: int,
        rate: float = 0,
        count: int | None = None,
        cpus: str | None = None,
    ) -> dict[str, Any]:
        """Replay fresh deliveries of ``workload`` at ``base``: paced at ``rate`` msgs/s, or as
        fast as the replies come (``rate`` 0)."""
        lines = self.prepare(
            base, workload, duration=duration, connections=connections, rate=rate, count=count
        )
        return self.run(
            base, lines, duration=duration, connections=connections, rate=rate, cpus=cpus
        )

    def prepare(
        self,
        base: str,
        workload: Workload,
        *,
        duration: float,
        connections: int,
        rate: float = 0,
        count: int | None = None,
    ) -> Path:
        """Write the deliveries of a run and send its dialogues' first messages; return the file.

        Paced, one resident's messages are ``--typing-gap`` seconds apart; closed loop, four
        times as many residents take turns as there are connections.
        """
        threads = self.threads(connections)
        if rate:
            count = math.ceil(rate * (duration + 1) * 1.1)
            lanes = max(len(COMPLAINT), math.ceil(self.args.typing_gap * rate / threads))
        else:
            count = count or self.args.deliveries
            lanes = 4 * math.ceil(connections / threads)
        deliveries = Deliveries(workload, threads=threads, lanes=lanes)
        lines = self.folder / "deliveries.txt"
        deliveries.write(lines, count)
        send_in_order(base, deliveries.prelude)
        return lines

    def run(
        self,
        base: str,
        lines: Path,
        *,
        duration: float,
        connections: int,
        rate: float = 0,
        cpus: str | None = None,
    ) -> dict[str, Any]:
        threads = self.threads(connections)
        result = wrk(
            f"{base}/wechat",
            lines,
            duration=duration,
            connections=connections,
            threads=threads,
            script=self.script,
            script_args=[f"{rate / threads:.3f}"],
            timeout_s=10,
            cpus=cpus,
        )
        result["errors"] = result["non2xx"] + result["socket_errors"]
        if result["wrapped"]:
            print("  warning: deliveries replayed more than once (raise --deliveries)")
        return result

    def threads(self, connections: int) -> int:
        return min(self.args.threads, connections)

    def warm_up(self, base: str, workload: Workload, cpus: str | None = None) -> None:
        self.replay(
            base,
            workload,
            duration=self.args.warmup,
            connections=self.args.connections,
            count=self.args.deliveries // 4,
            cpus=cpus,
        )

    # ---- 1: per message at saturation ----

    def saturation(self, server: Server, workload: Workload) -> dict[str, Any]:
        flush_redis(self.args.redis_url)
        with self.start(server, name=f"{server.name}-{workload.key}".replace(" ", "-")) as host:
            self.warm_up(host.base, workload)
            duration, connections = self.args.duration, self.args.connections
            lines = self.prepare(host.base, workload, duration=duration, connections=connections)
            cases_before = self.cases()
            services_before, app_before = self.services.sample(), host.cpu_seconds()
            result = self.run(host.base, lines, duration=duration, connections=connections)
            app_used = host.cpu_seconds() - app_before
            services = ServiceCpu.used(services_before, self.services.sample())
            result |= host.memory_mb()
        result["cases_filed"] = self.cases() - cases_before
        messages = max(1, result["requests"])
        result["cpu_ms_per_msg"] = {
            "app": 1000 * app_used / messages,
            "postgres": None
            if services["postgres"] is None
            else 1000 * services["postgres"] / messages,
            "redis": 1000 * services["redis"] / messages,
            "wrk": 1000 * result["wrk_cpu_s"] / messages,
        }
        return result

    def cases(self) -> int:
        with Session(self.services.engine) as session:
            return session.scalar(select(func.count()).select_from(Case)) or 0

    # ---- 2: capacity, stepping up the offered load ----

    def capacity(self, workload: Workload, saturated_rps: float) -> dict[str, Any]:
        args = self.args
        rate = args.start_rate or max(10.0, round(saturated_rps * 0.5))
        steps: list[dict[str, Any]] = []
        flush_redis(args.redis_url)
        with self.fleet(1, name=f"capacity-{workload.key}") as (base, _):
            self.warm_up(base, workload)
            retreats = 0
            while len(steps) < args.max_steps:
                step = self.step(base, workload, rate)
                steps.append(step)
                self.print_step(workload, step)
                if step["held"]:
                    rate = round(rate * args.step_factor)
                elif any(s["held"] for s in steps) or retreats == 2:
                    break
                else:  # even the first rate was too much: start lower
                    retreats += 1
                    rate = max(5.0, round(rate / args.step_factor**3))
        held = [s for s in steps if s["held"]]
        best = max(held, key=lambda s: s["offered"]) if held else None
        failed_above = [
            s["offered"] for s in steps if not s["held"] and best and s["offered"] > best["offered"]
        ]
        return {
            "steps": steps,
            "capacity_msgs_per_s": best["offered"] if best else None,
            "first_failed_offered": min(failed_above) if failed_above else None,
        }

    def step(self, base: str, workload: Workload, rate: float) -> dict[str, Any]:
        args = self.args
        connections = min(
            MAX_CONNECTIONS, max(4 * args.threads, math.ceil(rate * args.p99_limit_ms / 1000 * 1.5))
        )
        result = self.replay(
            base, workload, duration=args.step_duration, connections=connections, rate=rate
        )
        requests_done = max(1, result["requests"])
        # Little's law: what was still waiting at the end, in seconds of offered load, is
        # how long a message sent then would wait; it grows without end past capacity.
        queued_s = (result["sent"] - result["requests"]) / rate
        limit_s = args.p99_limit_ms / 1000
        reasons = []
        if result["p99_us"] >= limit_s * 1e6:
            reasons.append(f"p99 {result['p99_us'] / 1000:.0f} ms")
        if queued_s >= limit_s:
            reasons.append(f"{queued_s:.1f} s of messages queued at the end")
        if result["rps"] < ANSWERED * rate:
            reasons.append(f"answered {result['rps'] / rate:.0%}")
        if result["late"] > LATE * requests_done:
            reasons.append(f"{result['late']} sent late")
        if result["errors"]:
            reasons.append(f"{result['errors']} errors")
        if result["resend"]:
            reasons.append(f"{result['resend']} asked to send again")
        return {
            "offered": rate,
            "achieved": result["rps"],
            "queued_s": queued_s,
            "connections": connections,
            "held": not reasons,
            "why_not": ", ".join(reasons),
            **{k: result[k] for k in ("p50_us", "p99_us", "max_us", "late", "worst_lag_ms")},
            **{k: result[k] for k in ("errors", "resend", "receipts", "sent", "requests")},
        }

    @staticmethod
    def print_step(workload: Workload, step: dict[str, Any]) -> None:
        verdict = "held" if step["held"] else f"failed: {step['why_not']}"
        print(
            f"  {workload.key}: offered {step['offered']:.0f}/s, answered {step['achieved']:.0f}/s, "
            f"p50 {step['p50_us'] / 1000:.1f} ms, p99 {step['p99_us'] / 1000:.1f} ms, "
            f"{step['receipts']} receipts — {verdict}",
            flush=True,
        )

    # ---- 3: one instance or two behind one address ----

    @contextmanager
    def fleet(self, count: int, *, name: str) -> Iterator[tuple[str, list[Gunicorn]]]:
        """``count`` Sunshine instances behind nginx, as deployed: nginx takes the
        connections and hands gunicorn's sync workers whole requests only (a worker that
        accepted an idle connection would wait on it). Yields nginx's base URL and the hosts."""
        with ExitStack() as stack:
            hosts: list[Gunicorn] = [
                stack.enter_context(self.start(SUNSHINE, name=f"{name}-{n}")) for n in range(count)
            ]
            upstreams = [h.base.removeprefix("http://") for h in hosts]
            base = stack.enter_context(
                balancer(
                    self.nginx,
                    upstreams,
                    self.folder / f"nginx-{name}",
                    worker_connections=NGINX_CONNECTIONS,
                )
            )
            yield base, hosts

    def scaling(self, workload: Workload) -> dict[str, Any]:
        """One instance, then two, ``--rounds`` times in turn; the median of each counts."""
        runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
        for _ in range(self.args.rounds):
            for count in runs:
                runs[count].append(self.instances(count, workload))
        return {
            "workload": workload.key,
            "generator_cpu": self.args.generator_cpu,
            "runs": {
                f"{count} instance{'s' if count > 1 else ''}": median_run(results)
                for count, results in runs.items()
            },
        }

    def instances(self, count: int, workload: Workload) -> dict[str, Any]:
        args = self.args
        flush_redis(args.redis_url)
        with self.fleet(count, name=f"scaling-{count}") as (base, hosts):
            self.warm_up(base, workload, cpus=args.generator_cpu)
            duration, connections = args.duration, args.connections
            lines = self.prepare(base, workload, duration=duration, connections=connections)
            before = sum(h.cpu_seconds() for h in hosts)
            result = self.run(
                base, lines, duration=duration, connections=connections, cpus=args.generator_cpu
            )
            used = sum(h.cpu_seconds() for h in hosts) - before
        result["app_cpu_ms_per_msg"] = 1000 * used / max(1, result["requests"])
        return result


# ---- the report ----


def print_saturation(rows: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"\n## 1. Per message at saturation\n\n{args.workers} sync workers per server "
        f"(deploy/gunicorn.conf.py), wrk {args.threads} threads x {args.connections} connections, "
        f"{args.duration:g} s, median of {args.rounds}; {os.cpu_count()} cores shared with "
        "wrk, Redis and PostgreSQL.\n"
    )
    flask = rows.get("flask echo", {}).get("rps")
    werobot = rows.get("werobot echo", {}).get("rps")
    print(
        "| server | msgs/s | p50 ms | p99 ms | RSS/worker MiB | PSS/worker MiB "
        "| CPU ms/msg app | PostgreSQL | Redis* | errors | vs flask echo | vs werobot echo |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows.items():
        cpu = r["cpu_ms_per_msg"]
        postgres = "—" if cpu["postgres"] is None else f"{cpu['postgres']:.2f}"
        print(
            f"| {name} | {r['rps']:.0f} | {r['p50_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} "
            f"| {r['rss_mb']:.0f} | {r['pss_mb']:.0f} | {cpu['app']:.2f} | {postgres} "
            f"| {cpu['redis']:.2f} | {r['errors'] + r['resend']} "
            f"| {_ratio(r['rps'], flask)} | {_ratio(r['rps'], werobot)} |"
        )
    print(
        "\n*Redis: the whole server's CPU (other clients of a shared Redis count too). "
        "errors: non-2xx, socket errors and replies asking to send again."
    )
    dialogue = rows.get("sunshine: dialogue")
    if dialogue:
        print(
            f"Complaint dialogue: {dialogue['cases_filed']} cases filed, "
            f"{dialogue['receipts']} receipts seen by wrk (in-flight at the end account for the rest)."
        )


def _ratio(value: float, base: float | None) -> str:
    return f"{value / base:.2f}x" if base else "—"


def print_capacity(
    found: dict[str, dict[str, Any]], rows: dict[str, Any], args: argparse.Namespace
) -> None:
    print(
        f"\n## 2. Capacity of this host at p99 < {args.p99_limit_ms:g} ms\n\n"
        f"Open loop through nginx: wrk paced to a fixed offered rate, {args.step_duration:g} s "
        f"per step, the rate x{args.step_factor:g} per step. A step holds when p99 stays under "
        "the limit, the messages still queued at the end would also wait less than that, "
        f"at least {ANSWERED:.0%} of the offered load was answered within the step, at most "
        f"{LATE:.0%} of requests left the generator late, and nothing failed or asked a "
        "resident to send again. The capacity is the highest offered rate that held; a rate "
        "over capacity by less than about 1 s / step duration can still hold, so longer "
        "steps sharpen it.\n"
    )
    print("| workload | capacity msgs/s | next step failed at | CPU-bound ceiling msgs/s** |")
    print("| --- | ---: | ---: | ---: |")
    for key, result in found.items():
        capacity = result["capacity_msgs_per_s"]
        failed = result["first_failed_offered"]
        ceiling = _ceiling(rows.get(f"sunshine: {key}"))
        print(
            f"| {WORKLOADS[key].title} | {'—' if capacity is None else f'{capacity:.0f}'} "
            f"| {'—' if failed is None else f'{failed:.0f}'} | {ceiling} |"
        )
    dialogue = found.get("dialogue", {}).get("capacity_msgs_per_s")
    if dialogue:
        print(f"\nComplaint dialogues: {dialogue / len(COMPLAINT):.0f} cases filed per second.")
    print(
        f"\n**{os.cpu_count()} cores x 1000 ms / (app + PostgreSQL + Redis CPU ms per message, "
        "part 1): the rate at which this host's cores would be fully busy, wrk excluded."
    )


def _ceiling(row: dict[str, Any] | None) -> str:
    if not row:
        return "—"
    cpu = row["cpu_ms_per_msg"]
    per_message = cpu["app"] + (cpu["postgres"] or 0) + cpu["redis"]
    return f"{(os.cpu_count() or 1) * 1000 / per_message:.0f}" if per_message else "—"


def print_scaling(result: dict[str, Any], rows: dict[str, Any], args: argparse.Namespace) -> None:
    runs = result["runs"]
    print(
        f"\n## 3. One instance or two behind nginx ({WORKLOADS[result['workload']].title})\n\n"
        f"{args.workers} workers per instance, wrk pinned to CPU {result['generator_cpu']}, "
        f"{args.connections} connections, closed loop.\n"
    )
    print("| instances | msgs/s | p50 ms | p99 ms | app CPU ms/msg | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, r in runs.items():
        print(
            f"| {name} | {r['rps']:.0f} | {r['p50_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} "
            f"| {r['app_cpu_ms_per_msg']:.2f} | {r['errors'] + r['resend']} |"
        )
    one, two = runs["1 instance"], runs["2 instances"]
    ratio = two["rps"] / one["rps"]
    print(
        f"\nTwo instances carried {ratio:.2f}x what one did, at "
        f"{two['app_cpu_ms_per_msg'] / one['app_cpu_ms_per_msg']:.2f}x the app CPU per message. "
        "Both ran on the same cores: this measures what contention costs (more processes, "
        "more database connections), not what a second host adds, which one machine "
        "cannot show."
    )
    if ratio > 1.1:
        print(
            "More than one instance's worth from the same cores means the runs were disturbed "
            "(other work on the machine): compare the rounds in the JSON, or run again."
        )
    row = rows.get(f"sunshine: {result['workload']}")
    if row and row["cpu_ms_per_msg"]["postgres"] is not None:
        cpu = row["cpu_ms_per_msg"]
        shared = cpu["postgres"] + cpu["redis"]
        print(
            f"What the figures do support: the app's own CPU ({cpu['app']:.2f} ms per message, "
            f"part 1) is {cpu['app'] / (cpu['app'] + shared):.0%} of the work and is spent on "
            "the app hosts, so a second app host can add about one host's capacity (part 2) "
            f"while the shared services keep up: PostgreSQL and Redis used {shared:.2f} ms of "
            f"CPU per message, about {1000 / shared:.0f} msgs/s per core of theirs (less when "
            "Redis serves other clients too). Two real hosts would confirm it."
        )


# ---- main ----


def prepare(args: argparse.Namespace) -> None:
    """A fresh database: schema, seed, and the generated town catalogue for the search."""
    reset_database(args.database_url)
    engine = create_engine(args.database_url)
    with Session(engine) as session:
        town = bodies.default(session)
        assert town is not None, "reset_database seeds the first body"
        session.execute(insert(Item), list(town_catalogue.rows(args.catalogue, body_id=town.id)))
        bump_catalogue_revision(session, town.id)
        session.commit()
    engine.dispose()
    flush_redis(args.redis_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds before each server")
    parser.add_argument("--connections", type=int, default=32, help="closed-loop connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * len(os.sched_getaffinity(0)) + 1,
        help="gunicorn workers per instance (deploy/gunicorn.conf.py's rule: 2 per core + 1)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="runs in parts 1 and 3; the median counts"
    )
    parser.add_argument("--deliveries", type=int, default=80_000, help="closed-loop deliveries")
    parser.add_argument("--workloads", default="help,search,dialogue")
    parser.add_argument("--catalogue", type=int, default=300, help="generated catalogue items")
    parser.add_argument("--step-duration", type=float, default=10, help="seconds per step")
    parser.add_argument(
        "--start-rate", type=float, help="first offered rate (default: half of part 1)"
    )
    parser.add_argument("--step-factor", type=float, default=1.25)
    parser.add_argument("--max-steps", type=int, default=12)
    parser.add_argument("--p99-limit-ms", type=float, default=1000)
    parser.add_argument(
        "--typing-gap",
        type=float,
        default=1.0,
        help="seconds between one resident's messages (paced)",
    )
    parser.add_argument(
        "--generator-cpu",
        default=str(max(os.sched_getaffinity(0))),
        help="CPU wrk is pinned to in part 3",
    )
    parser.add_argument("--skip-capacity", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/6")
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/sunshine_bench_cap"
    )
    args = parser.parse_args()
    needs_wrk()
    workloads = [WORKLOADS[key] for key in args.workloads.split(",")]
    nginx = find_nginx()
    if nginx is None and not (args.skip_capacity and args.skip_scaling):
        sys.exit(
            "nginx is not installed (Debian: apt-get install nginx); parts 2 and 3 put it in "
            "front of gunicorn as deployed. Or pass --skip-capacity --skip-scaling."
        )
    baselines = [FLASK_ECHO, *([WEROBOT_ECHO] if has_werobot() else [])]
    prepare(args)

    results: dict[str, Any] = {"settings": vars(args), "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="sunshine-bench-") as folder:
        bench = Bench(args, Path(folder), nginx)
        try:
            print("1. per message at saturation", flush=True)
            runs: dict[str, list[dict[str, Any]]] = {}
            for _ in range(args.rounds):
                for workload in workloads:  # interleaved with the baselines: drift hits all
                    runs.setdefault(f"sunshine: {workload.key}", []).append(
                        bench.saturation(SUNSHINE, workload)
                    )
                for server in baselines:  # an echo costs the same whatever the message
                    runs.setdefault(server.name, []).append(
                        bench.saturation(server, WORKLOADS["help"])
                    )
            rows = {name: median_run(r) for name, r in runs.items()}
            results["saturation"] = rows
            print_saturation(rows, args)

            if not args.skip_capacity:
                print("\n2. capacity, stepping up the offered load", flush=True)
                found = {
                    w.key: bench.capacity(w, rows[f"sunshine: {w.key}"]["rps"]) for w in workloads
                }
                results["capacity"] = found
                print_capacity(found, rows, args)

            if not args.skip_scaling:
                print("\n3. one instance or two", flush=True)
                workload = WORKLOADS["dialogue"] if "dialogue" in args.workloads else workloads[0]
                results["scaling"] = bench.scaling(workload)
                print_scaling(results["scaling"], rows, args)
        finally:
            bench.services.close()
    print(f"\nwritten to {save_results('capacity', results).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
