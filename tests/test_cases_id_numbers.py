"""ID numbers typed where none was asked for, and personal answers in Redis (docs/security.md).

An ID number typed into free text (a document's name, an address, a description, a
complaint, a correction) is recognised however it was typed, stored and shown masked,
and kept sealed for staff who may reveal it; the rows stored before are converted by
the migration. The dialogue state in Redis holds no personal answer in clear.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import Engine, MetaData, Table, select

from bot import db
from bot.cases.privacy import has_id_number, mask_id_numbers, originals
from bot.models.cases import Case, CaseSupplement
from bot.store import KEY_PREFIX
from tests.support import (
    ID_NUMBER,
    PHONE,
    Resident,
    audit_entries,
    case_row,
    fill,
    logged_in,
    number_in,
    post,
    redis_dump,
)

MASKED = "220381********1230"
#: The ways residents type an ID number (ID_NUMBER's check digit is 0; these need none).
TYPED_IDS = [
    ("22038119800101123X", "220381********123X"),
    ("22038119800101123x", "220381********123X"),
    ("220381-19800101-1234", "220381********1234"),
    ("220381 1980 0101 1234", "220381********1234"),
    ("２２０３８１１９８００１０１１２３Ｘ", "220381********123X"),
    ("２２０３８１－１９８００１０１－１２３４", "220381********1234"),
    ("220381800101123", "220381*****1123"),  # a 15-digit first-generation ID
    ("E12345678", "E1*****78"),  # a passport
    ("ea1234567", "EA*****67"),
    ("H1234567890", "H1*******90"),  # a home-return permit
]


# ---- recognising them ----


@pytest.mark.parametrize(("typed", "masked"), TYPED_IDS)
def test_an_id_number_is_masked_however_it_was_typed(typed, masked):
    assert mask_id_numbers(f"我的证件号码是{typed}，请核实") == f"我的证件号码是{masked}，请核实"


@pytest.mark.parametrize(
    "text",
    [
        "联系电话13812341234",
        "0434-6100000",
        "编号SQ20261126-0003",
        "2020 2021 2022 2023 2024年的低保名单",
        "银行卡号6222 0212 3456 7890 123",  # 19 digits: no ID
        "编号123456789012345",  # 15 digits without a birth date
        "公主政发〔2025〕12号",
        "G1234次列车",
    ],
)
def test_other_numbers_are_left_alone(text):
    assert mask_id_numbers(text) == text and not has_id_number(text)


# ---- the application dialogue ----


def session_of(app: Flask, resident: Resident) -> bytes:
    return app.extensions["sunshine.redis"].get(f"{KEY_PREFIX}session:{resident.chat.openid}")


@pytest.mark.parametrize(("typed", "masked"), TYPED_IDS[:6])
def test_an_id_number_typed_as_the_documents_name_is_refused_and_not_kept(
    app, resident, typed, masked
):
    fill(resident, ["申请", "1", "张三"])
    reply = resident.says(typed)
    assert "证件号码请在下一步输入" in reply and "回复1（居民身份证）" in reply
    stored = session_of(app, resident)
    assert json.loads(stored)["dialogue"]["step"] == "document_type"
    for secret in (typed, typed.replace("-", "").replace(" ", ""), masked[-4:]):
        assert secret.encode() not in stored
    assert "请输入18位身份证号码" in resident.says("1")


def test_no_personal_answer_sits_in_redis_in_clear_even_before_confirming(app, resident):
    answers = [
        "申请",
        "1",
        "欧阳娜娜",
        "护照",
        "E12345678",
        "吉林省公主岭市毛城子镇前进村3组15号",
        "我父亲身份证220381-19300101-1234名下的危房改造补助发放记录",
        "2",
        "ouyang.nana@163.com",
    ]
    summary = fill(resident, answers)

    assert "申请人：欧阳娜娜（自然人）" in summary and "证件：护照 E1*****78" in summary
    assert "联系方式：吉林省公主岭市毛城子镇前进村3组15号" in summary
    assert "电子邮箱：ouyang.nana@163.com" in summary
    assert "身份证220381********1234名下" in summary, "ID numbers stay masked"
    dump = redis_dump(app)
    for secret in (
        "欧阳娜娜",
        "E12345678",
        "前进村3组15号",
        "ouyang.nana",
        "19300101",
        "危房改造补助",
    ):
        assert secret.encode() not in session_of(app, resident), secret
        assert secret.encode() not in dump or secret == "危房改造补助", secret


def test_id_numbers_in_an_application_are_stored_masked_and_revealed_on_demand(app, resident):
    fill(resident, ["申请", "2", "5", f"毛城子镇{ID_NUMBER}互助会", "91350100M000100Y43"])
    fill(resident, ["吉林省公主岭市毛城子镇前进村 身份证 220381 19800101 1230"])
    receipt = fill(
        resident, ["请公开２２０３８１１９８００１０１１２３０的低保审批表", "1", "2", "确认"]
    )
    number = number_in(receipt)

    case = case_row(app, number)
    assert case.name == f"毛城子镇{MASKED}互助会"
    assert case.address == f"吉林省公主岭市毛城子镇前进村 身份证 {MASKED}"
    assert case.text == f"请公开{MASKED}的低保审批表"
    with app.app_context():
        kept = originals(case.originals_sealed)
    assert kept["text"] == "请公开２２０３８１１９８００１０１１２３０的低保审批表"
    assert kept["address"].endswith("身份证 220381 19800101 1230")

    clerk = logged_in(app, "clerk", "clerk")
    page = clerk.page(f"/admin/cases/{number}")
    assert f"请公开{MASKED}的低保审批表" in page and "19800101" not in page
    handler = logged_in(app, "wang", "handler")
    revealed = post(handler, f"/admin/cases/{number}/reveal").get_data(as_text=True)
    assert "请公开２２０３８１１９８００１０１１２３０的低保审批表" in revealed
    assert f"毛城子镇{ID_NUMBER}互助会" in revealed and "身份证 220381 19800101 1230" in revealed
    [entry] = audit_entries(app, "case.reveal_contact")
    assert entry.details["field"].endswith("填写内容中的证件号码")

    masked_export = app.test_cli_runner().invoke(args=["cases", "export"]).stdout
    assert "19800101" not in masked_export and "１９８００１０１" not in masked_export
    full = json.loads(
        app.test_cli_runner().invoke(args=["cases", "export", "--with-contact"]).stdout
    )
    assert full[0]["text"] == kept["text"] and full[0]["name"] == f"毛城子镇{ID_NUMBER}互助会"


# ---- complaints and corrections ----


def test_id_numbers_in_a_complaint_and_a_correction_are_stored_masked(app, resident):
    fill(resident, ["举报", "220381198001011230这个人冒领低保", "好了", "13912345678", "E12345678"])
    report = case_row(app, number_in(resident.says("确认")))
    assert report.text == f"{MASKED}这个人冒领低保" and report.name == "E1*****78"
    boss = logged_in(app, "boss", "approver")
    assert "19800101" not in boss.page(f"/admin/cases/{report.number}")

    fill(resident, ["申请", "1", "张三", "1", ID_NUMBER, PHONE, "2025年低保名单", "1", "2"])
    number = number_in(resident.says("确认"))
    post(boss, f"/admin/cases/{number}/correction", items="请写明是哪个村的低保名单", days="15")
    assert "已收到" in resident.says(f"补正 {number} 前进村的 我的身份证220381 19800101 1230")
    [supplement] = case_row(app, number).supplements
    assert supplement.text == f"前进村的 我的身份证{MASKED}"
    revealed = post(boss, f"/admin/cases/{number}/reveal").get_data(as_text=True)
    assert "我的身份证220381 19800101 1230" in revealed


# ---- rows stored before ----


def insert_case_of_0010(engine: Engine) -> None:
    """A case as release 0010 stored it: an ID number in clear as the document's name."""
    metadata = MetaData()
    case, supplement = (
        Table(n, metadata, autoload_with=engine) for n in ("case_record", "case_supplement")
    )
    day = date(2026, 11, 26)
    with engine.begin() as connection:
        connection.execute(
            case.insert().values(
                id=1,
                number="SQ20261126-0001",
                kind="application",
                status="processing",
                submission_id="before",
                openid="o-before",
                created_at=datetime(2026, 11, 26, 2, tzinfo=UTC),
                received_on=day,
                due_on=date(2026, 12, 24),
                due_provisional=False,
                accept_due_provisional=False,
                extension_days=0,
                name="张三",
                id_type="22038119800101123X",
                address="吉林省公主岭市毛城子镇前进村",
                text="2025年低保名单",
                anonymous=False,
            )
        )
        connection.execute(
            supplement.insert().values(
                case_id=1,
                text="身份证220381-19800101-1234",
                received_on=day,
                created_at=datetime.now(UTC),
            )
        )


def test_the_migration_seals_id_numbers_already_stored_in_clear(empty_app):
    engine: Engine = empty_app.extensions["sunshine.engine"]
    db.upgrade(engine, "0010")
    insert_case_of_0010(engine)
    with pytest.raises(RuntimeError, match="run `sunshine db upgrade`"):
        db.upgrade(engine)  # outside the app: no data key to seal with

    result = empty_app.test_cli_runner().invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        session = db.get_session()
        case = session.scalars(select(Case)).one()
        supplement = session.scalars(select(CaseSupplement)).one()
        assert (case.name, case.id_type) == ("张三", "220381********123X")
        assert originals(case.originals_sealed) == {"id_type": "22038119800101123X"}
        assert supplement.text == "身份证220381********1234"
        assert originals(supplement.originals_sealed) == {"text": "身份证220381-19800101-1234"}


def test_an_id_number_cut_by_the_summarys_length_is_masked_before_the_cut(resident):
    summary = fill(resident, ["投诉", "村里" * 55 + ID_NUMBER + "的人占地", "好了", "跳过"])
    assert "内容：" + "村里" * 55 + "220381****…" in summary and "19800101" not in summary


def test_an_id_number_searched_for_outside_a_dialogue_is_not_echoed(app, resident):
    reply = resident.says("22038119800101123X")
    assert "没有找到与“220381********123X”相关" in reply
    assert b"19800101" not in redis_dump(app)
