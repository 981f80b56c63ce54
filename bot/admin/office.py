"""``/admin/office`` (单位信息): staff edit the office's details (``bot.staff.office``)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from bot.admin.auth import permission_required
from bot.admin.console import bp, staff_body
from bot.db import get_session
from bot.staff import office as details
from bot.staff.office import FIELDS, REQUIRED


def _field(key: str, length: int, hint: str = "") -> StringField:
    validators = [Length(max=length, message=f"最多{length}字。")]
    if key in REQUIRED:
        validators.insert(0, DataRequired(f"请填写{FIELDS[key]}。"))
    return StringField(FIELDS[key], validators=validators, description=hint)


class OfficeForm(FlaskForm):
    authority = _field(
        "authority", 200, "答复书以它的名义作出并落款，如：公主岭市毛城子镇人民政府。"
    )
    reconsideration_body = _field(
        "reconsideration_body",
        200,
        "每份办结答复都写明向它申请行政复议。乡镇人民政府的行政复议机关是县级人民政府"
        "（《行政复议法》第二十四条），如：公主岭市人民政府。",
    )
    name = _field("name", 200, "居民发送“联系”时看到的名称。")
    address = _field("address", 200)
    postcode = _field("postcode", 20)
    phone = _field("phone", 50)
    email = _field("email", 100)
    hours = _field("hours", 200)


@bp.route("/office", methods=["GET", "POST"])
@permission_required("office.edit")
def office() -> ResponseReturnValue:
    session = get_session()
    body = staff_body()
    form = OfficeForm(obj=body)
    if not form.validate_on_submit():
        return render_template("admin/office.html", form=form, fields=FIELDS)
    values = {key: getattr(form, key).data for key in FIELDS}
    changed = details.save(session, g.staff, body, values)
    session.commit()
    flash(f"已保存：{'、'.join(changed)}。" if changed else "没有改动。", "info")
    return redirect(url_for("admin.office"))
