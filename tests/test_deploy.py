"""deploy/ as an operator uses it: the settings template, gunicorn, nginx, systemd, proxy headers.

The nginx and systemd checks run the real tools when they are installed (Debian's
``nginx``; ``systemd-analyze`` comes with systemd) and skip with the reason
otherwise. nginx runs unprivileged from a throwaway prefix, on free ports, with a
certificate made for the test, in front of the app served in a thread.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask, jsonify, request
from gunicorn.app.base import Application

from bot import clock, create_app
from bot.config import DEFAULTS, STRING_SETTINGS
from bot.urls import public_url
from bot.wechat.chat import ChatClient, Transport, describe, http_transport
from bot.wechat.protocol import Keys, sign_delivery
from tests.servers import find_nginx, free_port, serve_in_thread, wait_until_healthy
from tests.support import TOKEN, needs_program

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
ENV_TEMPLATE = DEPLOY / "sunshine.env.example"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
NGINX_SITE = DEPLOY / "nginx" / "sunshine.conf"
UNITS = sorted((DEPLOY / "systemd").iterdir())
SETTING_LINE = re.compile(r"^(?P<commented>#\s*)?SUNSHINE_(?P<key>[A-Z0-9_]+)=(?P<value>.*)$")
SERVER_NAME = "sunshine.example.gov.cn"
LIMIT = DEFAULTS["WECHAT_MAX_BODY"]


def replaced(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced; fails when the file no longer has ``old`` to replace."""
    assert old in text, f"expected {old!r} in the deploy file"
    return text.replace(old, new)


# ---- the settings template ----


def template_settings() -> list[tuple[str, str, bool]]:
    """(key, value, commented) for each ``SUNSHINE_*`` line of the template."""
    found = []
    for line in ENV_TEMPLATE.read_text(encoding="utf-8").splitlines():
        match = SETTING_LINE.match(line)
        if match:
            found.append((match["key"], match["value"], bool(match["commented"])))
    return found


def test_the_env_template_documents_every_setting_once() -> None:
    keys = [key for key, _, _ in template_settings()]
    missing = set(DEFAULTS) - set(keys)
    assert not missing, f"add to deploy/sunshine.env.example: {sorted(missing)}"
    unknown = set(keys) - set(DEFAULTS)
    assert not unknown, f"not settings of bot/config.py: {sorted(unknown)}"
    assert len(keys) == len(set(keys)), "a setting appears twice"


def test_the_env_template_shows_the_true_defaults() -> None:
    for key, value, commented in template_settings():
        default = DEFAULTS[key]
        if not commented or default is None:
            continue  # a value to fill in, or an example of one
        shown = value if key in STRING_SETTINGS else json.loads(value)
        assert shown == default, (
            f"SUNSHINE_{key}: the template says {value}, the default is {default}"
        )


def test_the_env_template_read_as_systemd_does_configures_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key, value, commented in template_settings():
        if not commented:
            monkeypatch.setenv(f"SUNSHINE_{key}", value)
    # Where this machine's services are not the template's.
    monkeypatch.setenv("SUNSHINE_DATABASE_URL", f"sqlite:///{tmp_path / 'sunshine.sqlite'}")
    monkeypatch.delenv("SUNSHINE_REDIS_URL")
    monkeypatch.setenv("SUNSHINE_INSTANCE_PATH", str(tmp_path))

    config = create_app().config

    assert config["PROXY_FIX"] == 1
    assert config["PUBLIC_URL"] == f"https://{SERVER_NAME}"
    assert config["WECHAT_TOKEN"] is None  # left empty: "not set", never ""
    assert config["WECHAT_MAX_SKEW"] == 300
    assert config["COOKIE_SECURE"] is True


# ---- proxy headers ----


@pytest.mark.parametrize(
    ("proxies", "link", "client"),
    [
        (0, "http://localhost/report/2017", "127.0.0.1"),
        (1, f"https://{SERVER_NAME}/report/2017", "203.0.113.9"),
    ],
)
def test_links_follow_proxy_headers_only_when_configured(
    make_app: Callable[..., Flask], proxies: int, link: str, client: str
) -> None:
    app = make_app(PROXY_FIX=proxies, PUBLIC_URL=None)
    app.add_url_rule("/probe", "probe", probe)
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": SERVER_NAME,
        # A client's own entry first, then the one the trusted proxy appended.
        "X-Forwarded-For": "6.6.6.6, 203.0.113.9",
    }

    seen = app.test_client().get("/probe", headers=forwarded).get_json()

    assert seen == {"link": link, "client": client}


def probe():
    return jsonify(link=public_url("/report/2017"), client=request.remote_addr)


# ---- gunicorn ----


def stop(process: subprocess.Popen, sig: signal.Signals = signal.SIGTERM) -> None:
    """Stop a server this test started: gracefully, then for good."""
    process.send_signal(sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class DeployConfig(Application):
    """gunicorn's own reading of deploy/gunicorn.conf.py (it validates every setting)."""

    def load_config(self) -> None:
        self.namespace = self.get_config_from_filename(str(GUNICORN_CONF))
        self.load_config_from_file(str(GUNICORN_CONF))

    def load(self) -> None:
        raise NotImplementedError  # never serves


def deploy_config(monkeypatch: pytest.MonkeyPatch, web_concurrency: str | None) -> DeployConfig:
    if web_concurrency is None:
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    else:
        monkeypatch.setenv("WEB_CONCURRENCY", web_concurrency)
    return DeployConfig()


def test_the_gunicorn_config_holds_only_settings_gunicorn_knows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = deploy_config(monkeypatch, None)
    names = {
        name
        for name, value in loaded.namespace.items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    unknown = names - set(loaded.cfg.settings)
    assert not unknown, f"gunicorn ignores these silently: {sorted(unknown)}"
    assert loaded.cfg.worker_class_str == "sync"
    assert loaded.cfg.secure_scheme_headers == {}  # only SUNSHINE_PROXY_FIX trusts proxies
    assert not {"%(r)s", "%(q)s", "%(f)s"} & set(
        re.findall(r"%\([^)]*\)s", loaded.cfg.access_log_format)
    )


def test_gunicorn_workers_come_from_the_cores_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert deploy_config(monkeypatch, None).cfg.workers == 2 * len(os.sched_getaffinity(0)) + 1
    assert deploy_config(monkeypatch, "3").cfg.workers == 3


@pytest.mark.slow
def test_gunicorn_with_the_deploy_config_serves_the_app(
    fresh_database: str, fresh_store: str | None, tmp_path: Path
) -> None:
    """The one-host path: gunicorn as the systemd unit starts it, a health check, a message."""
    port, log = free_port(), tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "SUNSHINE_WECHAT_TOKEN": TOKEN,
        "SUNSHINE_DATABASE_URL": fresh_database,
        "SUNSHINE_INSTANCE_PATH": str(tmp_path / "instance"),
        "SUNSHINE_SECRET_KEY": "test-secret-key",
        # The in-process store serves one process only.
        "WEB_CONCURRENCY": "2" if fresh_store else "1",
    }
    if fresh_store:
        env["SUNSHINE_REDIS_URL"] = fresh_store
    command = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF)]
    command += ["--bind", f"127.0.0.1:{port}", "bot:create_app()"]
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        try:
            wait_until_healthy(base, process)
            resident = ChatClient(
                http_transport(f"{base}/wechat"), Keys(TOKEN), openid="o-deploy-1"
            )
            reply = describe(resident.text("帮助"))
            scrapes = [requests.get(f"{base}/metrics", timeout=10).text for _ in range(4)]
        finally:
            stop(process)
    logged = log.read_text(errors="replace")
    assert "帮助" in reply, logged
    # One delivery counted, whichever worker answers the scrape: the workers' counts add up.
    for metrics in scrapes:
        assert 'sunshine_webhook_seconds_count{status="200"} 1.0' in metrics, metrics
    assert '"POST /wechat HTTP/1.1" 200' in logged
    assert "signature" not in logged and "o-deploy-1" not in logged


# ---- systemd ----


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = needs_program(
        shutil.which("systemd-analyze"), "systemd-analyze is not installed (Debian: systemd)"
    )
    for unit in UNITS:  # installed paths → this checkout, so the executables exist
        text = unit.read_text(encoding="utf-8")
        text = text.replace("/opt/sunshine/.venv", sys.prefix).replace("/opt/sunshine", str(ROOT))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), (
        result.stdout + result.stderr
    )


def test_the_systemd_units_run_commands_that_exist(make_app: Callable[..., Flask]) -> None:
    runner = make_app().test_cli_runner()
    for unit in UNITS:
        for line in unit.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^Exec\w*=/opt/sunshine/\.venv/bin/sunshine (.+)$", line)
            if match:
                result = runner.invoke(args=[*match[1].split(), "--help"])
                assert result.exit_code == 0, f"{unit.name}: sunshine {match[1]}: {result.output}"


# ---- nginx ----


def needs_nginx() -> str:
    return needs_program(find_nginx(), "nginx is not installed (Debian: apt-get install nginx)")


def self_signed_certificate(folder: Path) -> Path:
    """A certificate for the site's name and 127.0.0.1; returns the chain file (also the CA)."""
    folder.mkdir()
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME)])
    now = clock.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(SERVER_NAME), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    chain = folder / "fullchain.pem"
    chain.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain


def nginx_prefix(prefix: Path, site: str) -> Path:
    """A throwaway nginx prefix whose http block includes ``site``; returns nginx.conf."""
    for folder in ("logs", "temp", "www"):
        (prefix / folder).mkdir(exist_ok=True)
    (prefix / "sunshine.conf").write_text(site, encoding="utf-8")
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers may read this root-only prefix
    temp = "".join(
        f"    {kind}_temp_path {prefix}/temp/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log;\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n{temp}    access_log {prefix}/logs/access.log;\n"
        f"    include {prefix}/sunshine.conf;\n}}\n",
        encoding="utf-8",
    )
    return conf


def site_for(prefix: Path) -> str:
    """The site with this machine's paths for the certificate, logs, webroot and checkout."""
    site = NGINX_SITE.read_text(encoding="utf-8")
    site = replaced(site, "/etc/ssl/sunshine/", f"{prefix}/tls/")
    site = replaced(site, "/var/log/nginx/", f"{prefix}/logs/")
    site = replaced(site, "/var/www/html", f"{prefix}/www")
    return replaced(site, "/opt/sunshine/", f"{ROOT}/")


def nginx_command(nginx: str, prefix: Path, conf: Path) -> list[str]:
    return [nginx, "-p", f"{prefix}/", "-c", str(conf), "-e", f"{prefix}/logs/error.log"]


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    nginx = needs_nginx()
    self_signed_certificate(tmp_path / "tls")
    conf = nginx_prefix(tmp_path, site_for(tmp_path))
    result = subprocess.run(
        [*nginx_command(nginx, tmp_path, conf), "-t"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "[warn]" not in result.stderr and "[emerg]" not in result.stderr, result.stderr


@dataclass(frozen=True)
class Site:
    https: str
    http: str
    ca: Path

    def session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE would win over session.verify
        session.verify = str(self.ca)
        return session

    def transport(self) -> Transport:
        session = self.session()

        def post(query: dict[str, str], body: bytes) -> tuple[int, str]:
            response = session.post(f"{self.https}/wechat", params=query, data=body, timeout=10)
            return response.status_code, response.text

        return post

    def get_from(self, source: str, path: str) -> tuple[int, str]:
        """GET over TLS from a given local source address."""
        host, port = self.https.removeprefix("https://").split(":")
        context = ssl.create_default_context(cafile=str(self.ca))
        connection = http.client.HTTPSConnection(
            host, int(port), context=context, source_address=(source, 0), timeout=10
        )
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode(errors="replace")
        finally:
            connection.close()


@pytest.fixture
def behind_nginx(make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[tuple[Flask, Site]]:
    """The app (with SUNSHINE_PROXY_FIX=1, as the site requires) behind the nginx site."""
    nginx = needs_nginx()
    app = make_app(PROXY_FIX=1, PUBLIC_URL=None)
    app.add_url_rule("/probe", "probe", probe)
    ca = self_signed_certificate(tmp_path / "tls")
    http_port, https_port = free_port(), free_port()
    with serve_in_thread(app) as upstream:
        site = site_for(tmp_path)
        site = replaced(
            site, "server 127.0.0.1:8000;", f"server {upstream.removeprefix('http://')};"
        )
        site = replaced(site, "listen 80;", f"listen 127.0.0.1:{http_port};")
        site = replaced(site, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
        site = re.sub(r"^\s*listen \[::\]:\d+( ssl)?;\n", "", site, flags=re.MULTILINE)
        conf = nginx_prefix(tmp_path, site)
        process = subprocess.Popen(
            [*nginx_command(nginx, tmp_path, conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for_port(https_port, process)
            yield app, Site(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", ca)
        finally:
            stop(process, signal.SIGQUIT)


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"nginx exited with {process.returncode}: {errors}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port} within {timeout}s")


@pytest.mark.slow
def test_through_nginx_a_resident_gets_replies_over_tls(behind_nginx: tuple[Flask, Site]) -> None:
    _, site = behind_nginx
    assert site.session().get(f"{site.https}/healthz", timeout=10).status_code == 200
    resident = ChatClient(site.transport(), Keys(TOKEN), openid="o-nginx-1")
    assert "帮助" in describe(resident.text("帮助"))


@pytest.mark.slow
def test_nginx_sends_plain_http_to_https(behind_nginx: tuple[Flask, Site]) -> None:
    _, site = behind_nginx
    response = requests.get(f"{site.http}/items?q=1", allow_redirects=False, timeout=10)
    assert response.status_code == 301
    assert response.headers["Location"] == "https://127.0.0.1/items?q=1"


@pytest.mark.slow
def test_nginx_and_the_app_agree_on_the_webhook_body_limit(
    behind_nginx: tuple[Flask, Site],
) -> None:
    _, site = behind_nginx
    session = site.session()
    for size, expected in ((LIMIT, 400), (LIMIT + 1, 413)):  # 400: the app read it, not XML
        query = sign_delivery(Keys(TOKEN), "").query
        response = session.post(f"{site.https}/wechat", params=query, data=b"x" * size, timeout=10)
        assert response.status_code == expected, size


@pytest.mark.slow
def test_behind_nginx_links_are_https_and_clients_cannot_forge_their_address(
    behind_nginx: tuple[Flask, Site],
) -> None:
    _, site = behind_nginx
    headers = {"Host": SERVER_NAME, "X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "http"}
    seen = site.session().get(f"{site.https}/probe", headers=headers, timeout=10).json()
    assert seen == {"link": f"https://{SERVER_NAME}/report/2017", "client": "127.0.0.1"}


@pytest.mark.slow
def test_nginx_keeps_metrics_to_this_host(behind_nginx: tuple[Flask, Site]) -> None:
    _, site = behind_nginx
    status, body = site.get_from("127.0.0.2", "/metrics")
    assert status == 403 and "<center>nginx" in body
    _, body = site.get_from("127.0.0.1", "/metrics")
    assert "<center>nginx" not in body  # the app's answer, whatever it is


@pytest.mark.slow
def test_nginx_serves_static_files_and_leaves_the_rest_to_the_app(
    behind_nginx: tuple[Flask, Site],
) -> None:
    app, site = behind_nginx
    static = Path(app.static_folder or "")
    files = sorted(p for p in static.rglob("*") if p.is_file()) if static.is_dir() else []
    session = site.session()
    missing = session.get(f"{site.https}/static/no-such-file.css", timeout=10)
    assert missing.status_code == 404 and "<center>nginx" not in missing.text
    if not files:
        pytest.skip(f"no static files in {static} to serve")
    path = files[0].relative_to(static).as_posix()
    served = session.get(f"{site.https}/static/{path}", timeout=10)
    assert served.status_code == 200 and served.content == files[0].read_bytes()
    assert served.headers["Cache-Control"] == "max-age=604800"
