"""What residents type versus what documents say: abbreviations, synonyms and filler words.

Residents write ``低保`` where titles say ``最低生活保障``, ``危改`` for ``危房改造``,
``招投标`` for ``招标``/``中标``. Each key maps to the forms found in township
disclosure catalogues (基层政务公开标准目录); a query word that is a key matches
any of them. Words not listed still match literally, and short unknown words also
match as abbreviations (their characters in order within the title).
"""

from __future__ import annotations

SYNONYMS: dict[str, tuple[str, ...]] = {
    "低保": ("最低生活保障", "低保"),
    "低保金": ("最低生活保障资金", "低保金", "低保资金"),
    "五保": ("五保", "特困人员", "特困供养"),
    "特困": ("特困人员", "特困供养", "五保"),
    "救助": ("救助", "救济"),
    "危改": ("危房改造",),
    "危房": ("危房改造", "危房"),
    "惠农": ("惠农", "惠民惠农"),
    "一卡通": ("一卡通", "惠民惠农财政补贴"),
    "补贴": ("补贴", "补助"),
    "补助": ("补助", "补贴"),
    "粮补": ("粮食直补", "种粮补贴", "耕地地力保护补贴", "生产者补贴"),
    "种粮补贴": ("种粮补贴", "粮食直补", "耕地地力保护补贴", "生产者补贴"),
    "地力补贴": ("耕地地力保护补贴",),
    "农机补贴": ("农机购置补贴",),
    "招投标": ("招标", "投标", "中标", "招投标"),
    "招标": ("招标", "中标", "采购"),
    "中标": ("中标", "成交"),
    "采购": ("采购", "招标", "磋商"),
    "预决算": ("预算", "决算"),
    "财政预决算": ("预算", "决算"),
    "三公": ("三公",),
    "三公经费": ("三公",),
    "人事": ("人事", "任免", "任命", "免去", "任职", "聘用"),
    "任免": ("任免", "任命", "免去", "任职"),
    "任命": ("任命", "任职", "任免"),
    "招聘": ("招聘", "聘用", "录用"),
    "征地": ("征地", "征收土地", "土地征收", "集体土地征收"),
    "拆迁": ("拆迁", "房屋征收", "征收补偿"),
    "防汛": ("防汛", "防洪", "汛期", "抗旱"),
    "汛期": ("汛期", "防汛"),
    "疫情": ("疫情", "新冠", "防控"),
    "新冠": ("新冠", "新型冠状病毒", "疫情"),
    "疫苗": ("疫苗", "接种"),
    "医保": ("医保", "医疗保险", "新农合", "新型农村合作医疗"),
    "新农合": ("新农合", "新型农村合作医疗", "医疗保险"),
    "养老": ("养老", "养老保险", "养老金"),
    "社保": ("社保", "社会保险", "养老保险", "医疗保险"),
    "扶贫": ("扶贫", "脱贫", "贫困"),
    "脱贫": ("脱贫", "扶贫", "贫困"),
    "残疾": ("残疾", "残疾人"),
    "优抚": ("优抚", "抚恤", "退役军人"),
    "禁烧": ("禁烧", "秸秆"),
    "秸秆": ("秸秆", "禁烧"),
    "环保": ("环保", "环境保护", "生态环境"),
    "规划": ("规划",),
    "年报": ("年度报告", "年报"),
    "指南": ("指南", "公开指南"),
    "村务": ("村务", "村务公开"),
    "确权": ("确权", "承包经营权"),
    "流转": ("流转", "土地经营权流转"),
}

#: Phrases that carry no meaning for the search, removed wherever they occur.
FILLER_PHRASES: tuple[str, ...] = (
    "我想知道",
    "我想了解",
    "我想查",
    "我要查",
    "请帮我",
    "帮我查",
    "查一下",
    "查一查",
    "看一下",
    "有没有",
    "在哪里",
    "怎么办",
    "是什么",
    "请问",
    "我想",
    "我要",
    "想要",
    "想问",
    "查询",
    "查找",
    "搜索",
    "看看",
    "一下",
    "怎么",
    "怎样",
    "如何",
    "什么",
    "哪里",
    "哪些",
    "在哪",
    "是否",
    "能否",
    "可以",
    "相关",
    "有关",
    "关于",
    "你好",
    "您好",
    "谢谢",
    "信息",
    "情况",
)

#: Characters of questions, pronouns, particles and here-and-now (``开了啥``, ``俺家``, ``村里``, ``今年``): a query
#: word holding one says how a resident asks rather than what about, so that it matches
#: nothing does not mean the catalogue lacks the subject.
FUNCTION_CHARACTERS = frozenset(
    "啥咋么吗呢吧啊呀谁哪几多少俺我你他她们能会得给让还都也就没不是有在要想去来了的着过把被这那个些咱嘛呗哈今里"
)

#: Single characters dropped at the start or end of a run of Chinese characters.
EDGE_PARTICLES = frozenset("我你您请查的了吗呢吧啊呀么")

#: Split a run of Chinese characters here (``低保的标准`` is ``低保`` and ``标准``).
SPLITTERS = frozenset("的和与及或")

#: Kinds of document: they say little about what a resident is looking for.
DOCUMENT_KINDS = frozenset(
    {
        "通知", "公告", "通告", "公示", "名单", "明细", "方案", "报告", "说明", "办法",
        "决定", "意见", "预案", "计划", "发放", "公开", "工作", "关于", "文件", "标准",
    }
)  # fmt: skip
