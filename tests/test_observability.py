"""What an operator sees: metrics, request ids, and logs that carry no resident data."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.exc import IntegrityError

from bot import db
from bot.logs import REQUEST_ID, JsonFormatter, RequestIdFilter, TextFormatter
from bot.models.staff import Staff
from bot.privacy import openid_hash
from bot.wechat.delivery import BUSY
from tests.support import Resident


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_replies_dialogues_and_retries(app, resident):
    before = {
        "help": sample("sunshine_replies_total", handler="help.show_help"),
        "started": sample("sunshine_dialogues_total", dialogue="survey", outcome="started"),
        "cancelled": sample("sunshine_dialogues_total", dialogue="survey", outcome="cancelled"),
        "dedup": sample("sunshine_dedup_hits_total"),
        "ok": sample("sunshine_webhook_seconds_count", status="200"),
    }
    resident.says("帮助")
    resident.says("登记")
    resident.says("取消")
    fields = {"MsgType": "text", "Content": "帮助", "MsgId": 99}
    resident.chat.send(fields)
    resident.chat.send(fields)
    assert sample("sunshine_replies_total", handler="help.show_help") == before["help"] + 2
    assert (
        sample("sunshine_dialogues_total", dialogue="survey", outcome="started")
        == before["started"] + 1
    )
    assert (
        sample("sunshine_dialogues_total", dialogue="survey", outcome="cancelled")
        == before["cancelled"] + 1
    )
    assert sample("sunshine_dedup_hits_total") == before["dedup"] + 1
    assert sample("sunshine_webhook_seconds_count", status="200") == before["ok"] + 5


def test_metrics_are_served_to_the_host_itself_only(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"sunshine_webhook_seconds_bucket" in response.data
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 403


def test_metrics_with_a_token_need_it(make_app):
    client = make_app(METRICS_TOKEN="s3cret").test_client()
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    ok = client.get(
        "/metrics",
        headers={"Authorization": "Bearer s3cret"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert ok.status_code == 200


def test_request_ids_are_taken_or_made_and_returned(client):
    given = client.get("/healthz", headers={"X-Request-ID": "nginx-abc123"})
    assert given.headers["X-Request-ID"] == "nginx-abc123"
    made = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert len(made.headers["X-Request-ID"]) == 16, "a hostile id is replaced"


def test_logs_of_a_conversation_never_contain_the_openid(app, resident, caplog):
    caplog.set_level(logging.DEBUG)
    for line in ("帮助", "登记", "张三", "取消", "联系"):
        resident.says(line)
    text = "\n".join(
        f"{r.getMessage()} {json.dumps(r.__dict__, default=str)}" for r in caplog.records
    )
    assert resident.chat.openid not in text
    assert openid_hash(resident.chat.openid)[:16] in text


def test_json_log_lines_carry_the_request_id_and_extras(app):
    record = logging.LogRecord(
        "bot.wechat.delivery", logging.INFO, "", 0, "answered %s", ("text",), None
    )
    record.openid = "abcd"
    with app.test_request_context(environ_base={REQUEST_ID: "r-1"}):  # as RequestIds left it
        RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "answered text"
    assert line["request_id"] == "r-1"
    assert line["openid"] == "abcd"


# ---- database errors in the logs (docs/security.md) ----


def test_a_database_error_logs_neither_bound_values_nor_the_values_it_quotes(app):
    """An INSERT that fails: the display name is a bound parameter (hidden by the engine),
    the username is quoted by PostgreSQL's DETAIL line (hidden by the log formatters)."""
    with app.app_context():
        session = db.get_session()
        session.add(staff_row("zhangsan", "张三丰"))
        session.commit()
        session.add(staff_row("zhangsan", "李四光"))
        with pytest.raises(IntegrityError) as failure:
            session.commit()
        session.rollback()
    record = logging.LogRecord(
        "bot.x", logging.ERROR, "", 0, "failed: %s", (failure.value,), exc_info(failure.value)
    )
    RequestIdFilter().filter(record)
    for formatter in (TextFormatter(), JsonFormatter()):
        line = formatter.format(record)
        assert "staff" in line and "李四光" not in line and "zhangsan" not in line, line


def staff_row(username: str, name: str) -> Staff:
    return Staff(username=username, display_name=name, role="clerk", password_hash="x")


def exc_info(error: BaseException) -> tuple:
    return (type(error), error, error.__traceback__)


# ---- health checks and the database down (docs/security.md) ----

ELSEWHERE = {"REMOTE_ADDR": "203.0.113.9"}
#: Nothing listens on port 1: every connection is refused, as when PostgreSQL is down.
DOWN = "postgresql+psycopg://postgres@127.0.0.1:1/sunshine"


def test_health_tells_the_outside_world_only_ok_or_not_ready(make_app):
    client = make_app(METRICS_TOKEN="s3cret").test_client()
    outside = client.get("/healthz", environ_base=ELSEWHERE)
    assert outside.status_code == 200 and outside.get_json() == {"status": "ok"}
    forwarded = client.get("/healthz/ready", headers={"X-Forwarded-For": "203.0.113.9"})
    assert forwarded.get_json() == {"status": "ok"}, "a proxy the app does not trust"
    local = client.get("/healthz/ready").get_json()
    assert local["status"] == "ok" and local["database"]["ok"] and local["store"]["ok"]
    token = client.get(
        "/healthz", environ_base=ELSEWHERE, headers={"Authorization": "Bearer s3cret"}
    )
    assert token.get_json()["wechat"]["webhook"] == "ready"


def test_live_and_ready_checks_part_when_the_database_is_down(make_app):
    make_app()  # the tests' database, seeded
    client = make_app(DATABASE_URL=DOWN).test_client()
    assert client.get("/healthz/live", environ_base=ELSEWHERE).get_json() == {"status": "ok"}
    for path in ("/healthz", "/healthz/ready"):
        outside = client.get(path, environ_base=ELSEWHERE)
        assert outside.status_code == 503 and outside.get_json() == {"status": "not ready"}
    local = client.get("/healthz").get_json()
    assert local["database"]["ok"] is False and "OperationalError" in local["database"]["error"]


def test_with_the_database_down_pages_say_so_in_chinese_and_log_one_traceback(make_app, caplog):
    make_app()
    app = make_app(DATABASE_URL=DOWN)
    client = app.test_client()
    resident = Resident(app)
    caplog.set_level(logging.ERROR)

    pages = [client.get(path) for path in ("/items", "/report/2017", "/admin/login")]
    replies = [resident.says("我的") for _ in range(3)]

    for page in pages:
        assert page.status_code == 503 and page.headers["Retry-After"] == "30"
        assert "系统暂时无法访问" in page.get_data(as_text=True)
    assert "工作台暂时连不上数据库" in pages[-1].get_data(as_text=True)
    assert replies == [BUSY] * 3
    outages = [r for r in caplog.records if r.name == "bot.db"]
    assert len(outages) == 6 and sum(bool(r.exc_info) for r in outages) == 1
