"""Greetings and thanks: a short friendly answer that says what to type next, not a search.

A message is a greeting or thanks when it is nothing else: ``您好 我要投诉`` is a
complaint and ``低保标准是多少 谢谢`` a search (``Stage.COURTESY`` is read last).
"""

from __future__ import annotations

from bot.engine.router import Capability, Context
from bot.engine.sentences import Stage

capability = Capability("问候", order=950)

#: What people say to open a conversation, alone or with fillers (``喂 喂 有人吗``).
GREETINGS = (
    "你好",
    "您好",
    "你们好",
    "早上好",
    "上午好",
    "中午好",
    "下午好",
    "晚上好",
    "早啊",
    "早",
    "在吗",
    "在么",
    "在不在",
    "在不",
    "在的吗",
    "在没",
    "在嘛",
    "在忙吗",
    "忙吗",
    "有人吗",
    "有人没",
    "有人不",
    "有人在吗",
    "有人在没",
    "有人在不",
    "有人在线不",
    "有人在线吗",
    "在线吗",
    "在线不",
    "在线",
    "喂",
    "hello",
    "hi",
    "nihao",
    "哈喽",
    "嗨",
    "领导好",
    "过年好",
    "新年好",
    "打扰一下",
    "打扰了",
)
#: What people say to thank or to close, alone or with fillers (``行 知道了 谢谢``).
THANKS = (
    "谢谢",
    "谢了",
    "谢啦",
    "多谢",
    "感谢",
    "xiexie",
    "辛苦了",
    "辛苦",
    "麻烦了",
    "麻烦您了",
    "麻烦你了",
    "添麻烦了",
    "知道了",
    "知道",
    "明白了",
    "明白",
    "懂了",
    "晓得了",
    "了解了",
    "了解",
    "收到",
    "好的",
    "好嘞",
    "好滴",
    "好哒",
    "好",
    "行",
    "那行",
    "妥了",
    "得嘞",
    "嗯嗯",
    "嗯",
    "ok",
    "okok",
    "太好了",
    "就这样吧",
    "再见",
    "拜拜",
    "👍",
    "🙏",
    "👌",
)
#: Asking something: then a thanks at the end is politeness, not the message.
QUESTION_WORDS = (
    "?",
    "？",
    "吗",
    "啥",
    "咋",
    "怎么",
    "多少",
    "哪",
    "几",
    "什么",
    "能不能",
    "有没有",
)


#: Greeting someone by how they are called (``老师好``, ``师傅们好``), or New Year wishes.
GREETING_PATTERNS = (
    r"^(?:老师|师傅|大姐|大哥|阿姨|叔叔?|大爷|姐|哥|各位|大家|领导|同志|工作人员)们?好",
    r"拜个?年",
    r"^(?:你好|您好)[\s,，!！]*(?:我|俺)是[^\s,，。?？]{1,12}$",
)


@capability.sense(Stage.COURTESY, only=GREETINGS, patterns=GREETING_PATTERNS, max_chars=20)
def greet(ctx: Context) -> str:
    return (
        "您好！有什么要办的，直接发文字或语音说就行，比如“低保标准”“我要投诉路灯坏了”“年报”。"
        "发送“帮助”看全部功能。"
    )


@capability.sense(
    Stage.COURTESY,
    only=THANKS,
    words=("谢谢", "感谢", "多谢", "谢了", "谢啦", "辛苦", "添麻烦", "麻烦你们了", "麻烦您了"),
    unless=QUESTION_WORDS,
    max_chars=30,
)
def thank(ctx: Context) -> str:
    return "不客气！还有需要随时发消息，发送“帮助”看全部功能。"
