"""A realistic, generated disclosure catalogue of a Chinese town, for search tests and benchmarks.

``catalogue(n)`` gives ``ANCHORS`` (hand-written items the search-quality tests
look for) followed by items generated from the kinds of documents a township
government publishes — budgets, 低保 lists, 危房改造, subsidies, tenders,
appointments, plans, land acquisition, flood and epidemic notices — with
document numbers like ``毛政发〔2017〕12号``. Deterministic for a given ``n``.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

TOWN = "毛城子镇"
VILLAGES = (
    "毛城子村", "东兴村", "新发村", "太平村", "永安村", "双龙村", "长胜村", "前进村",
    "红光村", "福来村", "兴隆村", "靠山村",
)  # fmt: skip
NAMES = ("王建国", "李红梅", "张志强", "刘海涛", "陈晓燕", "赵明", "孙立新", "周德胜", "吴桂芝")
PROJECTS = (
    "村道路硬化工程", "农田水利设施改造项目", "村部维修工程", "饮水安全巩固提升工程",
    "路灯安装项目", "排水沟渠清淤项目", "文化广场建设项目", "垃圾转运站建设项目",
)  # fmt: skip
QUARTERS = ("一", "二", "三", "四")
BATCHES = ("一", "二", "三", "四", "五")

# Each anchor is what a resident would look for; the quality tests name them by document number.
ANCHORS: tuple[dict[str, Any], ...] = (
    {
        "title": "2017年第三季度城乡最低生活保障资金发放情况",
        "category": "民生保障",
        "doc_number": "毛民发〔2017〕21号",
        "publisher": "毛城子镇民政办",
        "published_on": date(2017, 10, 12),
        "channel": "website",
        "summary": "公布本季度城市和农村低保对象人数、保障金发放总额及各村发放明细。",
    },
    {
        "title": "关于调整城乡居民最低生活保障标准的通知",
        "category": "民生保障",
        "doc_number": "毛政发〔2017〕8号",
        "publisher": "毛城子镇人民政府",
        "published_on": date(2017, 3, 20),
        "channel": "website",
        "summary": "自2017年4月起，农村低保标准提高到每人每年3600元。",
    },
    {
        "title": "2017年农村危房改造对象公示（第三批）",
        "category": "农业农村",
        "doc_number": "毛政发〔2017〕35号",
        "publisher": "毛城子镇村镇建设办",
        "published_on": date(2017, 8, 3),
        "channel": "wechat",
        "summary": "经农户申请、村民代表评议，拟将以下农户列为2017年农村危房改造对象。",
    },
    {
        "title": "2016年农村危房改造补助资金发放情况",
        "category": "农业农村",
        "doc_number": "毛财发〔2016〕17号",
        "publisher": "毛城子镇财政所",
        "published_on": date(2016, 12, 5),
        "channel": "website",
        "summary": "公布2016年度危房改造户补助标准和已拨付资金。",
    },
    {
        "title": "2017年耕地地力保护补贴发放情况公示",
        "category": "农业农村",
        "doc_number": "毛农发〔2017〕6号",
        "publisher": "毛城子镇农业站",
        "published_on": date(2017, 6, 15),
        "channel": "wechat",
        "summary": "按二轮承包面积核定补贴面积，每亩补贴标准及各村农户发放明细。",
    },
    {
        "title": "惠民惠农财政补贴资金“一卡通”发放情况",
        "category": "农业农村",
        "doc_number": "毛财发〔2017〕9号",
        "publisher": "毛城子镇财政所",
        "published_on": date(2017, 9, 1),
        "channel": "other",
        "summary": "本年度通过一卡通发放的各项惠农补贴资金汇总。",
    },
    {
        "title": "毛城子镇2017年财政预算公开",
        "category": "财政预决算",
        "doc_number": "毛财发〔2017〕2号",
        "publisher": "毛城子镇财政所",
        "published_on": date(2017, 2, 10),
        "channel": "website",
        "summary": "包括一般公共预算收支、政府性基金预算和“三公”经费预算。",
    },
    {
        "title": "毛城子镇2016年度部门决算公开",
        "category": "财政预决算",
        "doc_number": "毛财发〔2017〕15号",
        "publisher": "毛城子镇财政所",
        "published_on": date(2017, 8, 28),
        "channel": "website",
        "summary": "2016年度收入支出决算总表、财政拨款收入支出决算表及说明。",
    },
    {
        "title": "2017年“三公”经费预算情况说明",
        "category": "财政预决算",
        "doc_number": "毛财发〔2017〕3号",
        "publisher": "毛城子镇财政所",
        "published_on": date(2017, 2, 12),
        "channel": "website",
        "summary": "因公出国（境）费、公务用车购置及运行费、公务接待费预算。",
    },
    {
        "title": "东兴村道路硬化工程招标公告",
        "category": "招标采购",
        "doc_number": "毛政采〔2017〕4号",
        "publisher": "毛城子镇人民政府",
        "published_on": date(2017, 5, 8),
        "channel": "website",
        "summary": "东兴村村内道路硬化2.3公里，采用公开招标方式确定施工单位。",
    },
    {
        "title": "东兴村道路硬化工程中标结果公示",
        "category": "招标采购",
        "doc_number": "毛政采〔2017〕7号",
        "publisher": "毛城子镇人民政府",
        "published_on": date(2017, 6, 2),
        "channel": "website",
        "summary": "经评标委员会评审，确定中标单位及中标金额。",
    },
    {
        "title": "关于王建国等同志职务任免的通知",
        "category": "人事信息",
        "doc_number": "毛党发〔2017〕11号",
        "publisher": "中共毛城子镇委员会",
        "published_on": date(2017, 4, 18),
        "channel": "other",
        "summary": "任命王建国同志为毛城子镇民政办主任，免去其农业站站长职务。",
    },
    {
        "title": "2017年公开招聘社区工作者拟聘用人员公示",
        "category": "人事信息",
        "doc_number": "毛人社〔2017〕2号",
        "publisher": "毛城子镇人民政府",
        "published_on": date(2017, 7, 21),
        "channel": "wechat",
        "summary": "经笔试、面试、考察和体检，拟聘用以下人员。",
    },
    {
        "title": "毛城子镇总体规划（2016—2030年）批前公示",
        "category": "规划计划",
        "doc_number": "毛政发〔2016〕40号",
        "publisher": "毛城子镇人民政府",
        "published_on": date(2016, 11, 8),
        "channel": "website",
        "summary": "镇区用地布局、道路交通、公共服务设施和村庄布点规划。",
    },
    {
        "title": "新发村村庄规划公示",
        "category": "规划计划",
        "doc_number": "毛政发〔2017〕41号",
        "publisher": "毛城子镇人民政府",
        "published_on": date(2017, 10, 30),
        "channel": "website",
        "summary": "新发村村庄建设用地、公共服务设施和产业发展规划。",
    },
    {
        "title": "关于太平村集体土地征收的公告",
        "category": "征地拆迁",
        "doc_number": "毛政发〔2017〕27号",
        "publisher": "毛城子镇人民政府",
        "published_on": date(2017, 7, 5),
        "channel": "website",
        "summary": "因公主岭至怀德公路建设需要，征收太平村集体土地12.6公顷。",
    },
    {
        "title": "太平村征地补偿安置方案公告",
        "category": "征地拆迁",
        "doc_number": "毛政发〔2017〕29号",
        "publisher": "毛城子镇人民政府",
        "published_on": date(2017, 7, 20),
        "channel": "website",
        "summary": "土地补偿费、安置补助费和地上附着物补偿标准。",
    },
    {
        "title": "毛城子镇2017年防汛抗旱应急预案",
        "category": "应急管理",
        "doc_number": "毛政办发〔2017〕5号",
        "publisher": "毛城子镇人民政府办公室",
        "published_on": date(2017, 5, 25),
        "channel": "website",
        "summary": "汛期值班、险情报告、人员转移和物资调度安排。",
    },
    {
        "title": "关于做好2017年汛期安全工作的通知",
        "category": "应急管理",
        "doc_number": "毛政办发〔2017〕7号",
        "publisher": "毛城子镇人民政府办公室",
        "published_on": date(2017, 6, 20),
        "channel": "wechat",
        "summary": "各村落实防汛责任人，排查危险房屋和低洼地带。",
    },
    {
        "title": "毛城子镇新冠肺炎疫情防控工作方案",
        "category": "应急管理",
        "doc_number": "毛政办发〔2020〕2号",
        "publisher": "毛城子镇人民政府办公室",
        "published_on": date(2020, 1, 28),
        "channel": "wechat",
        "summary": "成立疫情防控指挥部，落实村屯卡点和返乡人员排查。",
    },
    {
        "title": "关于开展新冠病毒疫苗接种工作的通告",
        "category": "应急管理",
        "doc_number": "毛政办发〔2021〕3号",
        "publisher": "毛城子镇人民政府办公室",
        "published_on": date(2021, 4, 6),
        "channel": "wechat",
        "summary": "18岁以上居民按村分批到镇卫生院接种。",
    },
    {
        "title": "2017年城乡居民基本医疗保险缴费的通知",
        "category": "民生保障",
        "doc_number": "毛政发〔2017〕44号",
        "publisher": "毛城子镇人民政府",
        "published_on": date(2017, 11, 10),
        "channel": "wechat",
        "summary": "2018年度个人缴费标准每人180元，原新农合参保人员同样办理。",
    },
    {
        "title": "城乡居民养老保险待遇领取资格认证的通知",
        "category": "民生保障",
        "doc_number": "毛人社〔2017〕5号",
        "publisher": "毛城子镇社会保障所",
        "published_on": date(2017, 9, 18),
        "channel": "other",
        "summary": "领取养老金人员每年须进行一次资格认证。",
    },
    {
        "title": "2017年特困人员救助供养名单公示",
        "category": "民生保障",
        "doc_number": "毛民发〔2017〕15号",
        "publisher": "毛城子镇民政办",
        "published_on": date(2017, 6, 30),
        "channel": "website",
        "summary": "原农村五保供养对象纳入特困人员救助供养。",
    },
    {
        "title": "2017年临时救助审批情况公示",
        "category": "民生保障",
        "doc_number": "毛民发〔2017〕30号",
        "publisher": "毛城子镇民政办",
        "published_on": date(2017, 12, 15),
        "channel": "website",
        "summary": "因病、因灾导致基本生活暂时困难家庭的临时救助。",
    },
    {
        "title": "毛城子镇精准扶贫建档立卡贫困户名单",
        "category": "扶贫开发",
        "doc_number": "毛政发〔2016〕12号",
        "publisher": "毛城子镇扶贫办",
        "published_on": date(2016, 4, 11),
        "channel": "website",
        "summary": "经入户调查和民主评议确定的建档立卡贫困户。",
    },
    {
        "title": "关于做好秸秆禁烧工作的通告",
        "category": "环境保护",
        "doc_number": "毛政发〔2017〕38号",
        "publisher": "毛城子镇人民政府",
        "published_on": date(2017, 9, 25),
        "channel": "wechat",
        "summary": "秋收期间全镇范围内禁止露天焚烧秸秆。",
    },
    {
        "title": "毛城子镇政府信息公开指南",
        "category": "信息公开",
        "doc_number": None,
        "publisher": "毛城子镇政务公开办公室",
        "published_on": date(2017, 1, 5),
        "channel": "website",
        "summary": "公开范围、公开方式和依申请公开的办理程序。",
    },
    {
        "title": "2017年农机购置补贴资金兑付情况公示",
        "category": "农业农村",
        "doc_number": "毛农发〔2017〕11号",
        "publisher": "毛城子镇农业站",
        "published_on": date(2017, 11, 28),
        "channel": "website",
        "summary": "拖拉机、播种机、收获机购置补贴兑付明细。",
    },
    {
        "title": "2017年上半年财政收支情况的报告",
        "category": "财政预决算",
        "doc_number": "毛财发〔2017〕12号",
        "publisher": "毛城子镇财政所",
        "published_on": date(2017, 7, 30),
        "channel": "website",
        "summary": "一般公共预算收入完成情况和重点支出执行情况。",
    },
    {
        "title": "优抚对象抚恤补助标准调整的通知",
        "category": "民生保障",
        "doc_number": "毛民发〔2017〕19号",
        "publisher": "毛城子镇民政办",
        "published_on": date(2017, 8, 16),
        "channel": "other",
        "summary": "残疾军人、烈属和在乡退役军人的抚恤补助标准。",
    },
    {
        "title": "双龙村土地承包经营权确权登记颁证公示",
        "category": "农业农村",
        "doc_number": "毛农发〔2016〕8号",
        "publisher": "毛城子镇农经站",
        "published_on": date(2016, 9, 12),
        "channel": "other",
        "summary": "各户承包地块面积、四至和合同编号。",
    },
)


def _generated(rng: random.Random, serials: Counter[str], years: range) -> dict[str, Any]:
    year = rng.choice(years)
    village = rng.choice(VILLAGES)
    quarter = rng.choice(QUARTERS)
    month = rng.randint(1, 12)
    batch = rng.choice(BATCHES)
    name = rng.choice(NAMES)
    project = rng.choice(PROJECTS)
    kinds = (
        ("民生保障", "毛民发", "毛城子镇民政办", f"{year}年第{quarter}季度城乡低保资金发放明细",
         "按户公布保障人数和月保障金额。"),
        ("民生保障", "毛民发", "毛城子镇民政办", f"{village}{year}年{month}月农村低保对象公示",
         "经入户核查和民主评议，拟纳入农村最低生活保障。"),
        ("民生保障", "毛民发", "毛城子镇民政办", f"{year}年{month}月临时救助发放情况",
         "因病因灾困难家庭临时救助金额。"),
        ("民生保障", "毛民发", "毛城子镇民政办", f"{year}年残疾人两项补贴发放名单",
         "困难残疾人生活补贴和重度残疾人护理补贴。"),
        ("农业农村", "毛政发", "毛城子镇村镇建设办", f"{year}年农村危房改造对象公示（第{batch}批）",
         "拟列入危房改造计划的农户名单。"),
        ("农业农村", "毛财发", "毛城子镇财政所", f"{year}年玉米生产者补贴发放明细（{village}）",
         "按合法实际种植面积发放。"),
        ("农业农村", "毛农发", "毛城子镇农业站", f"{village}{year}年耕地地力保护补贴面积公示",
         "补贴面积以二轮承包面积为准。"),
        ("财政预决算", "毛财发", "毛城子镇财政所", f"{year}年第{quarter}季度财政收支情况",
         "一般公共预算收支执行情况。"),
        ("财政预决算", "毛财发", "毛城子镇财政所", f"{village}{year}年村级财务收支公开",
         "村集体经济收入、支出和资产情况。"),
        ("招标采购", "毛政采", "毛城子镇人民政府", f"{village}{project}招标公告",
         "采用公开招标方式确定施工单位。"),
        ("招标采购", "毛政采", "毛城子镇人民政府", f"{village}{project}中标结果公示",
         "确定中标单位及中标金额。"),
        ("人事信息", "毛党发", "中共毛城子镇委员会", f"关于{name}同志任职的通知",
         "经镇党委会议研究决定。"),
        ("规划计划", "毛政发", "毛城子镇人民政府", f"{village}{year}年村庄建设规划",
         "村庄建设用地和公共服务设施布局。"),
        ("规划计划", "毛政发", "毛城子镇人民政府", f"毛城子镇{year}年国民经济和社会发展计划",
         "年度主要预期目标和重点任务。"),
        ("征地拆迁", "毛政发", "毛城子镇人民政府", f"{village}{year}年第{batch}批次建设用地征收土地公告",
         "征收土地位置、面积和补偿标准。"),
        ("应急管理", "毛政办发", "毛城子镇人民政府办公室", f"{year}年{month}月防汛值班安排",
         "镇村两级防汛值班人员和联系电话。"),
        ("应急管理", "毛政办发", "毛城子镇人民政府办公室", f"{year}年安全生产大检查工作方案",
         "重点行业领域安全隐患排查整治。"),
        ("环境保护", "毛政发", "毛城子镇人民政府", f"{year}年秋季秸秆禁烧工作方案",
         "划定禁烧区，落实网格化监管。"),
        ("工作动态", "", "毛城子镇人民政府办公室", f"{village}召开{year}年村民代表会议",
         "审议村级公益事业建设一事一议项目。"),
        ("工作动态", "", "毛城子镇人民政府办公室", f"镇领导到{village}检查{project}进展",
         "要求确保工程质量和进度。"),
    )  # fmt: skip
    category, prefix, publisher, title, summary = rng.choice(kinds)
    published = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
    number = None
    if prefix:
        # Numbers restart each year for each prefix; the anchors use the first fifty.
        serials[f"{prefix}{year}"] += 1
        number = f"{prefix}〔{year}〕{50 + serials[f'{prefix}{year}']}号"
    return {
        "title": title,
        "category": category,
        "doc_number": number,
        "publisher": publisher,
        "published_on": published,
        "channel": rng.choice(("website", "website", "wechat", "other")),
        "summary": summary,
    }


def catalogue(n: int = 320, *, years: range = range(2014, 2019), seed: int = 2017) -> list[dict]:
    """``ANCHORS`` and generated items, ``n`` in all, each a dict of ``Item`` columns."""
    rng = random.Random(seed)
    items = [dict(anchor) for anchor in ANCHORS]
    serials: Counter[str] = Counter()
    while len(items) < n:
        items.append(_generated(rng, serials, years))
    return items[:n]


def rows(n: int, *, body_id: int, years: range = range(2014, 2019)) -> Iterator[dict[str, Any]]:
    """``catalogue(n)`` as the body's items, with every column an insert needs."""
    for item in catalogue(n, years=years):
        yield {
            "body_id": body_id,
            "body": None,
            "link": None,
            "attachments": [],
            "status": "published",
            "is_example": False,
            **item,
        }
