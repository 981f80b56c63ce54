"""Remedies and formal replies: the office's authority and reconsideration body, and what a
closed case's formal reply (答复书) is generated from.

Offices held before get both names derived from the office's name when it is a
town's (``公主岭市毛城子镇…`` → ``公主岭市毛城子镇人民政府``, reconsidered by
``公主岭市人民政府``); others are left for staff to fill in at ``/admin/office``.
Applications closed before keep their final reply; their staff answer is the part
of it before the outcome line, and the reconsideration body is the office's.

A report loaded from its text before kept its channel sentence only as the table
computed from it; the sentence, as printed, goes back after that table.

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-04
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

#: A town's name: the county-level part, then the town (frozen copy of ``bot.seed``'s rule).
_TOWN = re.compile(r"^(?P<county>.+?[市县区旗])(?P<town>.+?(?:镇|乡|街道))")
_OUTCOME_LINE = "\n办理结果："
#: The sentence of a narrative report that lists channel counts (``…网站发布111条…微信发布54条``).
_CHANNEL_COUNT = re.compile(r"发布\d+条")


def upgrade() -> None:
    op.add_column("office", sa.Column("authority", sa.String(200)))
    op.add_column("office", sa.Column("reconsideration_body", sa.String(200)))
    op.add_column("case_record", sa.Column("final_answer", sa.Text()))
    op.add_column("case_record", sa.Column("reconsideration_body", sa.String(200)))

    connection = op.get_bind()
    office = sa.table(
        "office",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("authority", sa.String),
        sa.column("reconsideration_body", sa.String),
    )
    body = None
    for office_id, name in connection.execute(sa.select(office.c.id, office.c.name)).all():
        town = _TOWN.match(name or "")
        if town is None:
            continue
        body = f"{town['county']}人民政府"
        connection.execute(
            office.update()
            .where(office.c.id == office_id)
            .values(authority=f"{town['county']}{town['town']}人民政府", reconsideration_body=body)
        )

    case = sa.table(
        "case_record",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("outcome", sa.String),
        sa.column("final_answer", sa.Text),
        sa.column("reconsideration_body", sa.String),
    )
    reply = sa.table(
        "case_reply",
        sa.column("id", sa.Integer),
        sa.column("case_id", sa.Integer),
        sa.column("body", sa.Text),
        sa.column("final", sa.Boolean),
    )
    finals = connection.execute(
        sa.select(case.c.id, reply.c.body)
        .join(reply, reply.c.case_id == case.c.id)
        .where(case.c.kind == "application", case.c.outcome.is_not(None), reply.c.final)
        .order_by(reply.c.id)
    ).all()
    for case_id, text in finals:
        connection.execute(
            case.update()
            .where(case.c.id == case_id)
            .values(
                final_answer=(text or "").split(_OUTCOME_LINE, 1)[0].strip(),
                reconsideration_body=body,
            )
        )

    _restore_channel_sentences(connection)


def _restore_channel_sentences(connection: sa.Connection) -> None:
    report = sa.table(
        "report",
        sa.column("id", sa.Integer),
        sa.column("sections", sa.JSON),
        sa.column("source_text", sa.Text),
    )
    rows = connection.execute(
        sa.select(report.c.id, report.c.sections, report.c.source_text).where(
            report.c.source_text.is_not(None)
        )
    ).all()
    for report_id, sections, source_text in rows:
        lines = [line.strip(" \t\u3000") for line in source_text.splitlines()]
        sentence = next((line for line in lines if len(_CHANNEL_COUNT.findall(line)) >= 2), None)
        if sentence is None or not isinstance(sections, list):
            continue
        restored = []
        for section in sections:
            blocks = []
            for block in section.get("blocks", []):
                blocks.append(block)
                if block.get("kind") == "figures":
                    blocks.append({"kind": "paragraph", "text": sentence})
            restored.append({**section, "blocks": blocks})
        if restored != sections and sentence not in str(sections):
            connection.execute(
                report.update().where(report.c.id == report_id).values(sections=restored)
            )


def downgrade() -> None:
    op.drop_column("case_record", "reconsideration_body")
    op.drop_column("case_record", "final_answer")
    op.drop_column("office", "reconsideration_body")
    op.drop_column("office", "authority")
