"""Any other text outside a dialogue: say plainly that nothing matched, and what to type."""

from __future__ import annotations

from bot.router import Capability, Context

capability = Capability("其他", order=1000)

QUOTE_CHARS = 20


@capability.fallback
def not_understood(ctx: Context) -> str:
    quoted = ctx.text if len(ctx.text) <= QUOTE_CHARS else ctx.text[:QUOTE_CHARS] + "…"
    return f"没有找到与“{quoted}”相关的内容。\n{ctx.router.help_text()}"
