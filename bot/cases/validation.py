"""Checks of what residents type: ID numbers, credit codes, phones, e-mail addresses.

Each check returns the value in its canonical form or raises ``ValueError`` with a
short Chinese sentence saying what is wrong, ready to be shown to the resident.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

#: GB 11643-1999: weights of the first 17 digits and the check characters by remainder.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

#: GB 32100-2015: the unified social credit code's alphabet (no I, O, S, V, Z) and weights.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+")
_OTHER_DOCUMENT = re.compile(r"[A-Z0-9()\-]{5,30}")


def folded(text: str) -> str:
    """Full-width to half-width, spaces removed, letters upper-case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def resident_id(text: str) -> str:
    """An 18-character resident identity card number with a valid birth date and check digit."""
    value = folded(text)
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ValueError("身份证号码应为18位（最后一位可能是X），请重新输入。")
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValueError("身份证号码中的出生日期不对，请核对后重新输入。") from None
    if not date(1900, 1, 1) <= born <= date.today():
        raise ValueError("身份证号码中的出生日期不对，请核对后重新输入。")
    total = sum(int(digit) * weight for digit, weight in zip(value, _ID_WEIGHTS, strict=False))
    if _ID_CHECK[total % 11] != value[17]:
        raise ValueError("身份证号码校验不通过，可能有数字输错了，请核对后重新输入。")
    return value


def credit_code(text: str) -> str:
    """An 18-character unified social credit code (统一社会信用代码) with a valid check character."""
    value = folded(text)
    if len(value) != 18 or any(c not in _CREDIT_ALPHABET for c in value):
        raise ValueError("统一社会信用代码应为18位数字或大写字母，请重新输入。")
    total = sum(
        _CREDIT_ALPHABET.index(c) * w for c, w in zip(value[:17], _CREDIT_WEIGHTS, strict=True)
    )
    if _CREDIT_ALPHABET[(31 - total % 31) % 31] != value[17]:
        raise ValueError("统一社会信用代码校验不通过，可能有字符输错了，请核对后重新输入。")
    return value


def other_document(text: str) -> str:
    """A passport or permit number: 5 to 30 letters and digits."""
    value = folded(text)
    if not _OTHER_DOCUMENT.fullmatch(value):
        raise ValueError("证件号码应为5到30位字母或数字，请重新输入。")
    return value


def phone(text: str) -> str:
    """A mainland mobile (11 digits) or landline (area code and number) phone number."""
    value = folded(text).replace("(", "").replace(")", "")
    value = value.removeprefix("+86").removeprefix("0086")
    digits = value.replace("-", "")
    if _MOBILE.fullmatch(digits):
        return digits
    if _LANDLINE.fullmatch(value) or _LANDLINE.fullmatch(digits):
        return value
    raise ValueError("电话号码不对：手机号为1开头的11位数字，固定电话请带区号（如 0434-6631321）。")


def looks_like_phone(text: str) -> bool:
    """Whether ``text`` is mostly digits, that is, meant as a phone number."""
    value = folded(text)
    return bool(value) and sum(c.isdigit() for c in value) >= len(value) * 0.7


def email(text: str) -> str:
    value = unicodedata.normalize("NFKC", text).strip()
    if len(value) > 100 or not _EMAIL.fullmatch(value):
        raise ValueError("电子邮箱格式不对（例如 zhangsan@163.com），请重新输入。")
    return value


def address(text: str) -> str:
    """A postal address: long enough to deliver to."""
    value = unicodedata.normalize("NFKC", text).strip()
    if len(value) < 6:
        raise ValueError("地址太短了，请写到乡镇、村或街道门牌。")
    if len(value) > 200:
        raise ValueError("地址太长了，请控制在200字以内。")
    return value
