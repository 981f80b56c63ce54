"""The official accounts served besides the ``SUNSHINE_WECHAT_*`` one, each at ``/wechat/<slug>``.

Their Token, EncodingAESKey and AppSecret are stored sealed with the data key
(``bot.cases.privacy``), as identity numbers are; the AppID is not a secret. A running
worker keeps them in memory (``bot.wechat.accounts``) and reads this table again only
when the version kept in Redis changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot import clock
from bot.models.core import AwareDateTime, Base


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
