"""The official accounts served besides the ``SUNSHINE_WECHAT_*`` one, each at ``/wechat/<slug>``,
the bodies each serves, and the town each resident of a county account picked.

An account's Token, EncodingAESKey and AppSecret are stored sealed with the data key
(``bot.cases.privacy``), as identity numbers are; the AppID is not a secret. A running
worker keeps the accounts in memory (``bot.wechat.accounts``) and reads these tables
again only when the version kept in Redis changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot import clock
from bot.models.core import AwareDateTime, Base, Body


class WechatAccount(Base):
    __tablename__ = "wechat_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The account's part of its webhook's path (``/wechat/<slug>``) and of its Redis keys.
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    appid: Mapped[str] = mapped_column(String(64))
    token_sealed: Mapped[str] = mapped_column(Text)
    #: None: plaintext mode.
    aes_key_sealed: Mapped[str | None] = mapped_column(Text)
    #: None: no API calls (no pushes, menu or photo downloads).
    secret_sealed: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=clock.now)

    served: Mapped[list[AccountBody]] = relationship(
        order_by="AccountBody.position", cascade="all, delete-orphan"
    )

    @property
    def bodies(self) -> list[Body]:
        """The bodies it serves, in the order residents are offered them."""
        return [link.body for link in self.served]


class AccountBody(Base):
    """A body an account serves; with several, its residents pick one (numbered by ``position``)."""

    __tablename__ = "wechat_account_body"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("wechat_account.id", ondelete="CASCADE"), primary_key=True
    )
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)

    body: Mapped[Body] = relationship()


class TownChoice(Base):
    """The town (body) a resident of a county account picked, kept where a Redis restart or a
    lapsed session cannot lose it. ``resident``: their pseudonym on the account
    (``bot.privacy.Resident.pseudonym``), never the openid."""

    __tablename__ = "town_choice"

    resident: Mapped[str] = mapped_column(String(64), primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="CASCADE"))
    chosen_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=clock.now)
