"""Personal data: what is accepted, how it is sealed at rest and masked on screen, the data key."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.cases import validation
from bot.cases.privacy import (
    KEY_FILE,
    SealError,
    key_file,
    mask_address,
    mask_document,
    mask_email,
    mask_name,
    mask_phone,
    seal,
    unseal,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("220381198001011230", "220381198001011230"),
        ("11010519491231002x", "11010519491231002X"),
        ("２２０３８１ １９８００１０１ １２３０", "220381198001011230"),
    ],
)
def test_resident_ids_with_a_valid_check_digit_are_accepted(typed, expected):
    assert validation.resident_id(typed) == expected


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("220381198001011231", "校验不通过"),
        ("2203811980010112", "应为18位"),
        ("220381198002301230", "出生日期"),
        ("220381290001011230", "出生日期"),
    ],
)
def test_wrong_resident_ids_say_what_is_wrong(typed, problem):
    with pytest.raises(ValueError, match=problem):
        validation.resident_id(typed)


def test_unified_social_credit_codes_are_checked():
    assert validation.credit_code("91350100m000100y43") == "91350100M000100Y43"
    with pytest.raises(ValueError, match="校验不通过"):
        validation.credit_code("91350100M000100Y42")
    with pytest.raises(ValueError, match="18位"):
        validation.credit_code("91350100M000100YO3")  # the letter O is not in the alphabet


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("13812341234", "13812341234"),
        ("138 1234 1234", "13812341234"),
        ("+86 138-1234-1234", "13812341234"),
        ("0434-6631321", "0434-6631321"),
        ("(0434)6631321", "04346631321"),
    ],
)
def test_phones(typed, expected):
    assert validation.phone(typed) == expected


@pytest.mark.parametrize("typed", ["1381234123", "23812341234", "6631321", "138123412345"])
def test_wrong_phones(typed):
    with pytest.raises(ValueError, match="电话号码不对"):
        validation.phone(typed)


def test_masks():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_document("220381198001011234") == "220381********1234"
    assert mask_document("E12345678") == "E1*****78"
    assert mask_email("zhangsan@163.com") == "z*******@163.com"
    assert mask_address("吉林省公主岭市毛城子镇某村3组") == "吉林省公主岭****"
    assert (mask_name("张三"), mask_name("欧阳娜娜")) == ("张*", "欧***")


def test_a_generated_key_file_is_private_and_shared_by_concurrent_creators(tmp_path):
    path = tmp_path / "instance" / KEY_FILE
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: key_file(path), range(16)))
    assert len(keys) == 1
    Fernet(keys.pop())  # a usable key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE], "no drafts left behind"


def test_without_a_configured_key_one_is_generated_with_a_warning(make_app, caplog):
    app = make_app()  # the warning comes at start-up, with the other missing settings
    with app.app_context():
        token = seal("13812341234")
        assert unseal(token) == "13812341234"
    path = Path(app.instance_path) / KEY_FILE
    assert "SUNSHINE_DATA_KEY is not set" in caplog.text and str(path) in caplog.text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_configured_key_seals_and_can_be_rotated(make_app):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = make_app(DATA_KEY=old)
    with before.app_context():
        token = seal("220381198001011230")
    after = make_app(DATA_KEY=f"{new},{old}")
    with after.app_context():
        assert unseal(token) == "220381198001011230"
    stranger = make_app(DATA_KEY=new)
    with stranger.app_context(), pytest.raises(SealError, match="not the key it was sealed with"):
        unseal(token)


def test_a_malformed_key_stops_the_app_with_a_clear_message(make_app):
    with pytest.raises(ValueError, match="SUNSHINE_DATA_KEY must be one or more Fernet keys"):
        make_app(DATA_KEY="not-a-key")
