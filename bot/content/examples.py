"""Example items ``sunshine seed`` puts in an empty catalogue, so that search and pages show something.

They are invented, typical of a township's catalogue, and stored with
``is_example`` set: the chat shows them as 【示例】, the web pages with a 示例
badge and a notice. ``sunshine items remove-examples`` deletes them before going live.
"""

from __future__ import annotations

from datetime import date
from typing import Any

EXAMPLE_ITEMS: tuple[dict[str, Any], ...] = (
    {
        "title": "2017年第三季度城乡最低生活保障资金发放情况",
        "category": "民生保障",
        "doc_number": "示例〔2017〕21号",
        "publisher": "镇民政办",
        "published_on": date(2017, 10, 12),
        "channel": "website",
        "summary": "公布本季度城市和农村低保对象人数、保障金发放总额及各村发放明细。",
        "body": (
            "根据城乡居民最低生活保障有关规定，现将2017年第三季度低保资金发放情况公布如下。\n"
            "本季度全镇共有农村低保对象312户、586人，城市低保对象21户、37人，"
            "共发放保障资金约58万元，已通过惠民惠农“一卡通”足额发放到户。\n"
            "对发放情况有异议的，可在公布之日起7日内向镇民政办反映。"
        ),
    },
    {
        "title": "关于调整城乡居民最低生活保障标准的通知",
        "category": "民生保障",
        "doc_number": "示例〔2017〕8号",
        "publisher": "镇人民政府",
        "published_on": date(2017, 3, 20),
        "channel": "website",
        "summary": "自2017年4月起提高农村低保标准。",
    },
    {
        "title": "2017年农村危房改造对象公示（第三批）",
        "category": "农业农村",
        "doc_number": "示例〔2017〕35号",
        "publisher": "镇村镇建设办",
        "published_on": date(2017, 8, 3),
        "channel": "wechat",
        "summary": "经农户申请、村民代表评议，拟列入2017年农村危房改造计划的农户名单。",
    },
    {
        "title": "2017年耕地地力保护补贴发放情况公示",
        "category": "农业农村",
        "doc_number": "示例〔2017〕6号",
        "publisher": "镇农业站",
        "published_on": date(2017, 6, 15),
        "channel": "wechat",
        "summary": "按承包面积核定补贴面积，公布每亩补贴标准及各村发放明细。",
    },
    {
        "title": "2017年财政预算公开",
        "category": "财政预决算",
        "doc_number": "示例〔2017〕2号",
        "publisher": "镇财政所",
        "published_on": date(2017, 2, 10),
        "channel": "website",
        "summary": "一般公共预算收支、政府性基金预算和“三公”经费预算。",
    },
    {
        "title": "2016年度部门决算公开",
        "category": "财政预决算",
        "doc_number": "示例〔2017〕15号",
        "publisher": "镇财政所",
        "published_on": date(2017, 8, 28),
        "channel": "website",
        "summary": "2016年度收入支出决算总表及说明。",
    },
    {
        "title": "村道路硬化工程招标公告",
        "category": "招标采购",
        "doc_number": "示例〔2017〕4号",
        "publisher": "镇人民政府",
        "published_on": date(2017, 5, 8),
        "channel": "website",
        "summary": "村内道路硬化2.3公里，公开招标确定施工单位。",
    },
    {
        "title": "2017年防汛抗旱应急预案",
        "category": "应急管理",
        "doc_number": "示例〔2017〕5号",
        "publisher": "镇人民政府办公室",
        "published_on": date(2017, 5, 25),
        "channel": "other",
        "summary": "汛期值班、险情报告、人员转移和物资调度安排。",
    },
    {
        "title": "关于做好秸秆禁烧工作的通告",
        "category": "环境保护",
        "doc_number": "示例〔2016〕38号",
        "publisher": "镇人民政府",
        "published_on": date(2016, 9, 25),
        "channel": "wechat",
        "summary": "秋收期间全镇范围内禁止露天焚烧秸秆。",
    },
    {
        "title": "2016年农村危房改造补助资金发放情况",
        "category": "农业农村",
        "doc_number": "示例〔2016〕17号",
        "publisher": "镇财政所",
        "published_on": date(2016, 12, 5),
        "channel": "website",
        "summary": "危房改造户补助标准和已拨付资金。",
    },
    {
        "title": "城乡居民养老保险待遇领取资格认证的通知",
        "category": "民生保障",
        "doc_number": "示例〔2015〕5号",
        "publisher": "镇社会保障所",
        "published_on": date(2015, 9, 18),
        "channel": "other",
        "summary": "领取养老金人员每年须进行一次资格认证。",
    },
    {
        "title": "精准扶贫建档立卡贫困户名单公示",
        "category": "扶贫开发",
        "doc_number": "示例〔2015〕12号",
        "publisher": "镇扶贫办",
        "published_on": date(2015, 4, 11),
        "channel": "other",
        "summary": "经入户调查和民主评议确定的建档立卡贫困户。",
    },
    {
        "title": "镇总体规划（2014—2030年）批前公示",
        "category": "规划计划",
        "doc_number": "示例〔2014〕40号",
        "publisher": "镇人民政府",
        "published_on": date(2014, 11, 8),
        "channel": "website",
        "summary": "镇区用地布局、道路交通和公共服务设施规划。",
    },
    {
        "title": "政府信息公开指南",
        "category": "信息公开",
        "doc_number": None,
        "publisher": "镇政务公开办公室",
        "published_on": date(2014, 1, 5),
        "channel": "website",
        "summary": "公开范围、公开方式和依申请公开的办理程序。",
    },
)
