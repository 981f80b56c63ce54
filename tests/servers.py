"""Real servers for the tests that need them: the app in a thread, gunicorn (one host or several
behind an nginx balancer), a Redis server and a PostgreSQL cluster of the test's own."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
import requests
from flask import Flask
from werkzeug.serving import make_server

from bot.wechat.chat import ChatClient, describe
from bot.wechat.protocol import Keys

ROOT = Path(__file__).resolve().parent.parent
#: How often a server in a thread looks for its shutdown (werkzeug's 0.5 s ended each test late).
SHUTDOWN_POLL_S = 0.05


@contextmanager
def serve_in_thread(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free loopback port; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    env: dict[str, str], *, workers: int = 2, app: str = "tests.apps:create_test_app()"
) -> Iterator[str]:
    """Run gunicorn (sync workers) on a free port with ``env``; yield its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "30",
        "--graceful-timeout",
        "2",
        app,
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_until_healthy(base: str, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"server exited with {process.returncode}:\n{output}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base} did not become healthy in {timeout}s")


# ---- several app hosts, a balancer in front, a PostgreSQL of the test's own ----

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"


@dataclass
class Instance:
    """One gunicorn master with its workers: an app host. Its output goes to ``log``."""

    process: subprocess.Popen
    base: str
    log: Path

    @property
    def address(self) -> str:
        return self.base.removeprefix("http://")

    def workers(self) -> list[int]:
        """The pids of the master's worker processes."""
        pid = self.process.pid
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), then for good; see ``stop_all`` for several at once."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def stop_all(instances: list[Instance]) -> None:
    for instance in instances:  # all told first: they stop side by side
        if instance.process.poll() is None:
            instance.process.send_signal(signal.SIGTERM)
    for instance in instances:
        instance.stop()


@contextmanager
def gunicorn_instances(
    envs: list[dict[str, str]],
    folder: Path,
    *,
    workers: int = 2,
    app: str = "bot:create_app()",
    config: Path | None = GUNICORN_CONF,
) -> Iterator[list[Instance]]:
    """Start one gunicorn per ``envs`` (with deploy/gunicorn.conf.py by default) on free ports.

    They boot side by side; yields them once every one answers ``/healthz`` with 200.
    """
    instances: list[Instance] = []
    try:
        for number, env in enumerate(envs, 1):
            port = free_port()
            command = [sys.executable, "-m", "gunicorn"]
            if config is not None:
                command += ["--config", str(config)]
            command += ["--workers", str(workers), "--bind", f"127.0.0.1:{port}", app]
            log = folder / f"gunicorn-{number}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env={**os.environ, **env},
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            instances.append(Instance(process, f"http://127.0.0.1:{port}", log))
        for instance in instances:
            try:
                wait_until_healthy(instance.base, instance.process, timeout=30)
            except RuntimeError as error:
                raise RuntimeError(f"{error}\n{instance.output()[-3000:]}") from None
        yield instances
    finally:
        stop_all(instances)


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


#: The balancer names the instance that answered in this response header.
UPSTREAM_HEADER = "X-Upstream"


@contextmanager
def balancer(
    nginx: str, upstreams: list[str], folder: Path, *, worker_connections: int = 1024
) -> Iterator[str]:
    """nginx on a free loopback port, round robin over ``upstreams`` (``host:port``).

    One worker process, so requests alternate strictly between the upstreams; a POST
    is never retried on another upstream (as deploy/README.md asks of a load balancer).
    Each proxied request holds two of ``worker_connections`` (client and upstream).
    Yields the balancer's base URL.
    """
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    servers = "".join(f"        server {upstream};\n" for upstream in upstreams)
    temp = "".join(
        f"    {kind}_temp_path {folder}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers may read this root-only folder
    conf = folder / "nginx.conf"
    conf.write_text(
        f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        f"events {{ worker_connections {worker_connections}; }}\n"
        f"http {{\n{temp}    access_log {folder}/access.log;\n"
        f"    upstream fleet {{\n{servers}    }}\n"
        "    server {\n"
        f"        listen 127.0.0.1:{port};\n"
        "        client_max_body_size 256k;\n"
        "        location / {\n"
        "            proxy_pass http://fleet;\n"
        "            proxy_next_upstream off;\n"
        "            proxy_read_timeout 10s;\n"
        f"            add_header {UPSTREAM_HEADER} $upstream_addr always;\n"
        "        }\n"
        "    }\n"
        "}\n",
        encoding="utf-8",
    )
    command = [nginx, "-p", f"{folder}/", "-c", str(conf), "-e", f"{folder}/error.log"]
    process = subprocess.Popen(
        [*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"nginx exited with {process.returncode}: {errors}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not listen on {port} within 10 s") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def postgres_bindir() -> Path | None:
    """Where PostgreSQL's server programs are (Debian keeps them in /usr/lib/postgresql/N/bin)."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster of the test's own, never the machine's shared one.

    Its data, socket and log live in a temporary folder owned by the ``postgres`` user
    (initdb refuses to run as root); it listens on 127.0.0.1 on a free port, with
    trust authentication and without fsync.
    """

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="sunshine-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            self._as_owner = ["runuser", "-u", "postgres", "--"]

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            [*self._as_owner, str(self.bindir / program), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{program} {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
            )

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-N")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop at once, as a crash or a restart does: open sessions are cut off."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


#: Debian's redis-server, for the tests that stop and start a Redis of their own.
REDIS_SERVER = shutil.which("redis-server")


class OwnRedis:
    """A throwaway redis-server on a free loopback port, without persistence, like production's.

    ``stop`` ends it as a crash or a restart does (everything it held is lost);
    ``start`` brings a new, empty one up on the same port.
    """

    def __init__(self) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError(
                "redis-server is not installed (Debian: apt-get install redis-server)"
            )
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Phone:
    """A resident's phone writing to a webhook over HTTP (real gunicorn workers, nginx);
    ``answered_by`` keeps each answer's ``UPSTREAM_HEADER`` (which host served it)."""

    def __init__(self, url: str, keys: Keys, openid: str, *, safe: bool = False) -> None:
        self.openid = openid
        self.answered_by: list[str] = []
        session = requests.Session()

        def post(query: dict[str, str], body: bytes) -> tuple[int, str]:
            response = session.post(url, params=query, data=body, timeout=15)
            self.answered_by.append(response.headers.get(UPSTREAM_HEADER, "?"))
            return response.status_code, response.text

        self.chat = ChatClient(post, keys, safe_mode=safe, openid=openid)

    def says(self, line: str) -> str:
        return describe(self.chat.line(line))

    def goes_through(self, lines: list[str]) -> str:
        """Send ``lines`` one after another; return the last reply."""
        reply = ""
        for line in lines:
            reply = self.says(line)
        return reply
