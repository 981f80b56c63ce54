"""What an operator sees: metrics, request ids, and logs that carry no resident data."""

from __future__ import annotations

import json
import logging

from prometheus_client import REGISTRY

from bot.logs import JsonFormatter, RequestIdFilter
from bot.privacy import openid_hash


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
    record = logging.LogRecord("bot.delivery", logging.INFO, "", 0, "answered %s", ("text",), None)
    record.openid = "abcd"
    with app.test_request_context(headers={"X-Request-ID": "r-1"}):
        app.preprocess_request()
        RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "answered text"
    assert line["request_id"] == "r-1"
    assert line["openid"] == "abcd"
