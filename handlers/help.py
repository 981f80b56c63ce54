"""帮助: the list of commands (built from what is registered), the welcome, non-text messages."""

from __future__ import annotations

from bot.engine.router import ANY_MESSAGE, Capability, Context
from bot.engine.sentences import Stage

capability = Capability("帮助", order=900)

#: Asking how to use the account (``咋用啊``, ``这个号嘎哈用的``, ``我该打啥字``).
ASKING_HOW = (
    "帮助",
    "help",
    "菜单",
    "使用说明",
    "咋用",
    "怎么用",
    "怎么使用",
    "如何使用",
    "怎么操作",
    "咋操作",
    "如何操作",
    "不会用",
    "不会弄",
    "能干啥",
    "能干嘛",
    "能干点啥",
    "能干什么",
    "能做什么",
    "能做啥",
    "有啥用",
    "有什么用",
    "干啥的",
    "干嘛的",
    "干什么的",
    "能办什么",
    "干啥用",
    "嘎哈",
    "有啥功能",
    "什么功能",
    "哪些功能",
    "教教",
    "看不明白",
    "整不明白",
    "弄不明白",
    "点哪个",
    "打啥字",
    "发啥",
    "不懂",
    "啥意思",
    "能查啥",
    "能办啥",
    "都能办",
    "咋玩",
    "咋问",
    "怎么问",
    "怎么查东西",
    "直接打字",
    "使用方法",
    "新手",
    "能查什么",
    "能查些什么",
    "帮我什么",
    "可以帮我",
)


#: Alone, not knowing what to do (``咋整啊 不会``); in a sentence they ask about something else.
AT_A_LOSS = ("不会", "咋整", "咋弄", "怎么弄", "怎么办", "看不懂", "不明白", "不知道")


@capability.command("帮助", "?", "help", "菜单", help="帮助 — 再看这份说明", stateless=True)
@capability.menu("HELP")
@capability.sense(
    Stage.ANSWER,
    words=ASKING_HOW,
    patterns=(r"这个\S{0,3}(?:怎么|咋)(?:查|用|弄|整|办|问)",),
    only=AT_A_LOSS,
    max_chars=60,
)
def show_help(ctx: Context) -> str:
    return ctx.help_text()


@capability.event("subscribe", "subscribe_scan")
def welcome(ctx: Context) -> str:
    office = ctx.body
    name = office.account_name or office.name
    return (
        f"您好，欢迎关注{name}！在这里可以查找政府公开的信息、查看年度报告、"
        f"申请信息公开、投诉和提建议。\n{ctx.help_text()}"
    )


@capability.message("voice")
def unheard(ctx: Context) -> str:
    """A voice note WeChat did not transcribe (one with a transcript is handled as text)."""
    return "这条语音没能转成文字，请再说一遍，或直接打字发送，比如“低保”“投诉”“联系”。"


@capability.message(ANY_MESSAGE)
def not_text(ctx: Context) -> str:
    return f"暂时只能看懂文字和语音消息。\n{ctx.help_text()}"
