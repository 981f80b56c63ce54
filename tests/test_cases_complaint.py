"""投诉 / 举报 / 建议 as a resident files them, photos and location included."""

from __future__ import annotations

import re
import stat

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot import db
from bot.cases import media
from bot.models.cases import EXPIRED, PENDING, STORED, Case
from tests import fake_wechat
from tests.servers import free_port
from tests.support import Resident, fill, logged_in, wait_for_fetch

PHONE = "13912345678"
PHOTO_URL = "https://mmbiz.qpic.cn/mmbiz_jpg/lamp.jpg"


def cases_of(app) -> list[Case]:
    with app.app_context():
        query = select(Case).options(selectinload(Case.attachments)).order_by(Case.id)
        return list(db.get_session().scalars(query))


def api_app(make_app, fake_api, **overrides):
    settings = {
        "WECHAT_APPID": fake_wechat.APPID,
        "WECHAT_SECRET": fake_wechat.SECRET,
        "WECHAT_API_BASE": fake_api.base_url,
    }
    return make_app(**{**settings, **overrides})


def test_a_complaint_with_text_photo_location_and_contact(app, resident):
    first = resident.says("投诉")
    assert "请说明您要投诉的事情" in first and "位置" in first and "好了" in first
    assert "已收到" in resident.says("村口路灯坏了三天了")
    assert "已收到" in resident.says("晚上很黑，老人出门不方便")
    assert "已收到" in resident.says(f"/image {PHOTO_URL}")
    assert "已收到" in resident.says("/location 43.52 124.81 毛城子镇前进村")
    ask_phone = resident.says("好了")
    assert "手机号码" in ask_phone and "匿名" in ask_phone and "不会单独联系您" in ask_phone
    assert "怎么称呼您" in resident.says(PHONE)
    summary = resident.says("张先生")
    assert "类别：投诉" in summary and "村口路灯坏了三天了" in summary
    assert "照片：1张" in summary and "位置：毛城子镇前进村（43.52000, 124.81000）" in summary
    assert f"电话：{PHONE}" in summary and "称呼：张先生" in summary

    receipt = resident.says("确认")
    [case] = cases_of(app)
    assert re.fullmatch(r"TS\d{8}-0001", case.number) and f"编号：{case.number}" in receipt
    assert "是否受理：15个自然日内告知，最迟于" in receipt
    assert "受理后60个自然日内办结，受理时告知办结期限" in receipt and "办结期限：" not in receipt
    assert (case.kind, case.category, case.anonymous) == ("complaint", "投诉", False)
    assert case.text == "村口路灯坏了三天了\n晚上很黑，老人出门不方便"
    assert (case.latitude, case.longitude, case.place) == (43.52, 124.81, "毛城子镇前进村")
    assert (case.name, case.phone_masked) == ("张先生", "139****5678")
    [photo] = case.attachments
    assert photo.pic_url == PHOTO_URL and photo.media_id.startswith("demo-media-")
    assert photo.fetch_state == PENDING, "no WeChat API configured: fetched later"


def test_an_anonymous_report_is_told_what_anonymity_means(app, resident):
    prompt = fill(resident, ["举报", "有人在河道里倒垃圾", "好了"])
    assert "举报人信息严格保密" in prompt
    summary = resident.says("跳过")
    assert "电话：不留（匿名）" in summary and "称呼" not in summary
    receipt = resident.says("确认")
    assert "已收到您的举报" in receipt
    assert "您选择了匿名：工作人员不会单独联系您，可凭编号查询办理进度。" in receipt
    [case] = cases_of(app)
    assert (case.category, case.anonymous, case.name, case.phone_sealed) == (
        "举报",
        True,
        None,
        None,
    )


def test_a_suggestion_and_the_menu_that_offers_all_three(app, resident):
    menu = resident.says("/click COMPLAIN")
    assert "投诉" in menu and "举报" in menu and "建议" in menu
    fill(resident, ["建议", "建议在村委会门口装一个公告栏", "好了", "跳过", "确认"])
    [case] = cases_of(app)
    assert (case.category, case.number[:2]) == ("建议", "TS")


def test_photos_only_then_a_sentence_is_asked_for(app, resident):
    fill(resident, ["投诉", f"/image {PHOTO_URL}"])
    assert "还没有文字说明。请用文字简单说明一下情况" in resident.says("好了")
    assert "手机号码" in resident.says("垃圾堆在路边")
    fill(resident, ["跳过", "确认"])
    [case] = cases_of(app)
    assert case.text == "垃圾堆在路边" and len(case.attachments) == 1


def test_content_mistakes_are_explained(resident):
    resident.says("投诉")
    assert resident.says("好了").startswith("还没有收到内容。")
    assert "分成几条发送" in resident.says("长" * 2001)
    resident.says("路面塌陷")
    resident.says("好了")
    assert "电话号码不对" in resident.says("12345") and "跳过" in resident.says("12345")
    resident.says(PHONE)
    assert "称呼请在30字以内" in resident.says("张" * 31)


def test_a_photo_without_media_id_or_a_position_without_coordinates_is_asked_again(app, resident):
    resident.says("投诉")
    broken = {"MsgType": "image", "PicUrl": PHOTO_URL, "MsgId": 424242}
    assert "没有收到这张照片，请重新发送" in resident.chat.send(broken)
    nowhere = {"MsgType": "location", "Location_X": "nan", "Location_Y": "1", "MsgId": 424243}
    assert "没有读到位置，请重新发送位置" in resident.chat.send(nowhere)
    fill(resident, ["路灯坏了", "好了", "跳过", "确认"])
    [case] = cases_of(app)
    assert case.attachments == [] and case.latitude is None


def test_at_most_nine_photos_are_kept_and_the_summary_says_so(app, resident):
    resident.says("投诉")
    resident.says("违章建筑")
    for n in range(11):
        resident.says(f"/image https://mmbiz.qpic.cn/{n}.jpg")
    summary = fill(resident, ["好了", "跳过"])
    assert "照片：11张（最多保存9张，多出的不会提交）" in summary
    resident.says("确认")
    [case] = cases_of(app)
    assert [a.pic_url for a in case.attachments] == [
        f"https://mmbiz.qpic.cn/{n}.jpg" for n in range(9)
    ]


def test_cancel_midway_files_nothing(app, resident):
    fill(resident, ["投诉", "路灯坏了", f"/image {PHOTO_URL}"])
    assert "已取消“投诉”" in resident.says("取消")
    assert cases_of(app) == []


def test_photos_are_downloaded_after_the_receipt(make_app, fake_api):
    app = api_app(make_app, fake_api)
    resident = Resident(app)
    receipt = fill(
        resident, ["投诉", "路灯坏了", f"/image {PHOTO_URL}", "/image", "好了", "跳过", "确认"]
    )
    assert "已收到您的投诉" in receipt
    attachments = wait_for_fetch(app)
    assert [a.fetch_state for a in attachments] == [STORED, STORED]
    folder = media.media_dir(app)
    for attachment in attachments:
        assert (folder / attachment.stored_file).read_bytes() == fake_wechat.PHOTO
        assert attachment.stored_file.endswith(".jpg")
        assert stat.S_IMODE((folder / attachment.stored_file).stat().st_mode) == 0o600
    assert fake_api.api.calls["/cgi-bin/media/get"] == 2


def test_photos_left_pending_are_fetched_by_the_command(make_app, fake_api):
    offline = make_app()
    fill(Resident(offline), ["投诉", "路灯坏了", f"/image {PHOTO_URL}", "好了", "跳过", "确认"])
    refused = offline.test_cli_runner().invoke(args=["media", "fetch"])
    assert refused.exit_code == 1
    assert "1 photo(s) wait, but WeChat API calls are disabled" in refused.output

    online = api_app(make_app, fake_api)
    fetched = online.test_cli_runner().invoke(args=["media", "fetch"])
    assert fetched.exit_code == 0, fetched.output
    assert "Stored 1 photo(s); 0 failed" in fetched.output
    [attachment] = wait_for_fetch(online)
    assert attachment.fetch_state == STORED and attachment.fetch_attempts == 1
    assert "No photo is waiting." in online.test_cli_runner().invoke(args=["media", "fetch"]).output


def test_a_photo_wechat_no_longer_has_is_marked_expired(make_app, fake_api):
    app = make_app()
    resident = Resident(app)
    fill(resident, ["投诉", "路灯坏了", f"/image {PHOTO_URL}", "好了", "跳过", "确认"])
    [case] = cases_of(app)
    fake_api.api.expired_media.add(case.attachments[0].media_id)
    result = api_app(make_app, fake_api).test_cli_runner().invoke(args=["media", "fetch"])
    assert "0 failed and stay pending; 1 expired" in result.output
    [attachment] = wait_for_fetch(app)
    assert attachment.fetch_state == EXPIRED and "40007" in attachment.last_error


# ---- a photo that could not be downloaded says why on the case page ----


def photo_line(app, number: str) -> str:
    page = logged_in(app, "wang", "clerk").page(f"/admin/cases/{number}")
    found = re.search(r"照片1：[^<]*", page)
    assert found, page
    return found.group(0)


def file_with_a_photo(app) -> str:
    fill(Resident(app), ["投诉", "路灯坏了", f"/image {PHOTO_URL}", "好了", "跳过", "确认"])
    return cases_of(app)[-1].number


def test_a_photo_wechat_deleted_says_so_on_the_case_page(make_app, fake_api):
    app = make_app()
    number = file_with_a_photo(app)
    fake_api.api.expired_media.add(cases_of(app)[0].attachments[0].media_id)
    api_app(make_app, fake_api).test_cli_runner().invoke(args=["media", "fetch"])
    line = photo_line(app, number)
    assert "无法再下载：微信已没有这个文件（媒体ID已失效" in line
    assert "WeChat error" not in line


def test_without_an_appsecret_the_case_page_says_what_to_set(app):
    line = photo_line(app, file_with_a_photo(app))
    assert "尚未下载：服务器没有配置公众号的 AppID 和 AppSecret" in line
    assert "SUNSHINE_WECHAT_SECRET" in line and "sunshine media fetch" in line
    assert "微信只保存到" in line


def test_wechat_out_of_reach_is_said_with_the_attempts_and_the_retry(make_app):
    offline = make_app()
    number = file_with_a_photo(offline)
    unreachable = make_app(
        WECHAT_APPID=fake_wechat.APPID,
        WECHAT_SECRET=fake_wechat.SECRET,
        WECHAT_API_BASE=f"http://127.0.0.1:{free_port()}",
        WECHAT_API_TIMEOUT=1,
    )
    assert unreachable.test_cli_runner().invoke(args=["media", "fetch"]).exit_code == 1
    line = photo_line(unreachable, number)
    assert "尚未下载：连不上微信服务器（网络不通或超时）。已尝试1次，系统会自动重试" in line


def test_a_wrong_appsecret_is_named(make_app, fake_api):
    app = make_app()
    number = file_with_a_photo(app)
    wrong = api_app(make_app, fake_api, WECHAT_SECRET="not-the-secret")
    assert wrong.test_cli_runner().invoke(args=["media", "fetch"]).exit_code == 1
    assert "公众号的 AppSecret 不正确" in photo_line(wrong, number)


def test_every_cause_reads_in_chinese():
    assert media.cause_text("WeChat error 45009: reach max api daily quota limit") == (
        "今天调用微信接口的次数已达上限"
    )
    assert media.cause_text("WeChat error 48001: api unauthorized") == "微信返回错误（代码 48001）"
    assert media.cause_text("storage: PermissionError: denied").startswith("文件已从微信取回")
    assert media.cause_text("token: WeChatUnavailable: timed out").startswith("取不到微信接口")


def test_safe_mode_complaint(safe_app):
    resident = Resident(safe_app, safe_mode=True)
    prompt = fill(
        resident,
        [
            "举报",
            "有人夜里往河里倒废油",
            f"/image {PHOTO_URL}",
            "/location 43.5 124.8 河边",
            "好了",
        ],
    )
    assert "手机号码" in prompt
    assert "已收到您的举报" in fill(resident, ["跳过", "确认"])
    [case] = cases_of(safe_app)
    assert case.category == "举报" and len(case.attachments) == 1 and case.place == "河边"
