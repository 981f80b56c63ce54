"""sunshine cases export: one record per case, contact details masked unless asked for."""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
import stat

import pytest
from openpyxl import load_workbook

from bot.cases.export import COLUMNS
from tests.support import Resident, audit_entries, logged_in

ID_NUMBER = "220381198001011230"
APPLICANT_PHONE = "13812341234"
COMPLAINANT_PHONE = "13912345678"


@pytest.fixture
def filed(app) -> Resident:
    """An application and a complaint (with a photo, a location and a formula-like text)."""
    resident = Resident(app)
    for line in [
        "申请",
        "1",
        "张三",
        "1",
        ID_NUMBER,
        APPLICANT_PHONE,
        "2025年村务公开的财务收支明细",
        "2",
        "zhangsan@163.com",
        "确认",
        "投诉",
        '=HYPERLINK("http://evil")',
        "/image https://mmbiz.qpic.cn/lamp.jpg",
        "/location 43.52 124.81 前进村",
        "好了",
        COMPLAINANT_PHONE,
        "李四",
        "确认",
    ]:
        resident.says(line)
    return resident


def export(app, *args: str):
    result = app.test_cli_runner().invoke(args=["cases", "export", *args])
    assert result.exit_code == 0, result.output
    return result


def test_json_export_has_every_contract_field_and_masks_contact(app, filed):
    application, complaint = json.loads(export(app, "--format", "json").stdout)
    assert set(COLUMNS) <= set(application)
    assert application["kind"] == "application" and application["number"].startswith("SQ")
    assert application["id_number"] == "220381********1230"
    assert application["phone"] == "138****1234"
    assert application["email"] == "z*******@163.com"
    assert application["openid"] == filed.chat.openid
    assert application["due_on"] and application["created_at"].endswith("+08:00")
    assert complaint["kind"] == "complaint" and complaint["category"] == "投诉"
    assert complaint["name"] == "李*" and complaint["phone"] == "139****5678"
    assert complaint["location"] == {"latitude": 43.52, "longitude": 124.81, "place": "前进村"}
    [photo] = complaint["attachments"]
    assert photo["type"] == "image" and photo["pic_url"] == "https://mmbiz.qpic.cn/lamp.jpg"
    assert photo["media_id"].startswith("demo-media-") and photo["stored_file"] is None
    assert complaint["replies"] == [] and complaint["accept_due_on"]
    text = export(app).stdout
    for secret in (ID_NUMBER, APPLICANT_PHONE, COMPLAINANT_PHONE, "李四", "zhangsan@"):
        assert secret not in text


def test_with_contact_shows_them_in_full(app, filed):
    application, complaint = json.loads(export(app, "--with-contact").stdout)
    assert (application["id_number"], application["phone"]) == (ID_NUMBER, APPLICANT_PHONE)
    assert application["email"] == "zhangsan@163.com"
    assert (complaint["name"], complaint["phone"]) == ("李四", COMPLAINANT_PHONE)


def test_csv_export_is_one_row_per_case_and_never_a_formula(app, filed):
    rows = list(csv.reader(io.StringIO(export(app, "--format", "csv").stdout)))
    assert rows[0] == list(COLUMNS)
    assert len(rows) == 3
    complaint = dict(zip(COLUMNS, rows[2], strict=True))
    assert complaint["text"] == '\'=HYPERLINK("http://evil")'
    assert complaint["attachments"].startswith("image demo-media-")
    assert complaint["location"] == "43.52,124.81 前进村"


def test_xlsx_export_to_a_file_keeps_text_as_text(app, filed, tmp_path):
    target = tmp_path / "cases.xlsx"
    result = export(app, "--format", "xlsx", "-o", str(target))
    assert "Exported 2 case(s)" in result.output
    sheet = load_workbook(target).active
    header = [cell.value for cell in sheet[1]]
    assert header == list(COLUMNS)
    text = sheet.cell(row=3, column=COLUMNS.index("text") + 1)
    assert text.value == '=HYPERLINK("http://evil")' and text.data_type == "s"
    assert sheet.max_row == 3


def test_json_to_a_file(app, filed, tmp_path):
    target = tmp_path / "cases.json"
    export(app, "-o", str(target))
    assert len(json.loads(target.read_text(encoding="utf-8"))) == 2


def test_an_empty_export_is_valid(app):
    assert json.loads(export(app).stdout) == []
    assert export(app, "--format", "csv").stdout.strip() == ",".join(COLUMNS)


# ---- who exported what (docs/security.md, "Exports") ----


def test_every_export_is_audited_with_the_operator_the_command_and_the_contacts(
    app, filed, tmp_path
):
    target = tmp_path / "full.csv"
    export(app, "--format", "csv", "-o", str(target), "--with-contact")
    export(app)

    full, masked = audit_entries(app, "case.export")
    assert (full.actor, full.target_type, full.ip) == ("cli", "case", None)
    assert full.details["os_user"] == getpass.getuser()
    assert full.details["command"].endswith(
        f"cases export --body town --format csv -o {target} --with-contact"
    )
    assert (full.details["cases"], full.details["contacts"]) == (2, 2)
    assert full.details["file"] == str(target)
    assert (masked.details["cases"], masked.details["contacts"]) == (2, 0)
    assert masked.details["file"] == "stdout"
    page = logged_in(app, "boss", "approver").page("/admin/audit?action=case.export")
    assert "导出办件" in page and "其中2件含完整联系方式" in page and "--with-contact" in page


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_an_export_file_is_readable_by_its_owner_only(app, filed, tmp_path, fmt):
    target = tmp_path / f"cases.{fmt}"
    target.write_text("an older file anyone could read")
    target.chmod(0o644)
    previous = os.umask(0o022)
    try:
        export(app, "--format", fmt, "-o", str(target), "--with-contact")
        fresh = tmp_path / f"fresh.{fmt}"
        export(app, "--format", fmt, "-o", str(fresh))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert b"an older file" not in target.read_bytes()
