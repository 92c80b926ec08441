"""Phrase bank for the simulated open answers (开放题：产业链党建中遇到的困难).

Each line of a bank block is ``<reading>|<phrase>``. The bank a phrase sits in is the difficulty
the generator *intends* (it sets the generator's truth). ``<reading>`` is the set of difficulties a
coder reading the phrase against the domain brief sees in it (c = coverage 组织覆盖难,
i = ideology 思想引领难, e = effectiveness 作用彰显难, r = resource 资源聚合难). Most readings
equal the bank; where a phrase honestly shows a second difficulty the reading says so, and the gold
sample keeps the reading — that gap between intended and read codes is what real coding looks like.

Many phrases avoid the obvious keyword on purpose ("园区里很多小微企业到现在还没有党员"), so that a
dictionary coder cannot reach perfect recall and the supervised measure has something to learn.
"""

from __future__ import annotations

from typing import Final

DIFFICULTIES: Final = ("coverage", "ideology", "effectiveness", "resource")
_LETTER: Final = {"c": "coverage", "i": "ideology", "e": "effectiveness", "r": "resource"}

_COVERAGE = """
c|园区里很多小微企业到现在还没有党员
c|党员跟着项目跑，组织关系转不过来
c|我们是小微企业，只有一名党员，建不起支部
c|产业链上的企业分布在好几个镇，党组织很难统一覆盖
c|联盟成员单位隶属关系不同，组织上比较松散
c|新落户的配套企业还没有纳入联盟
c|流动党员多，管理跟不上
c|很多上游供应商在外地，联系不上他们的党组织
c|企业员工流动性大，党员今天在这明天就走了
c|联合党委覆盖不到链条末端的小企业
c|工作主要靠临时专班推动，专班一撤就没人管了
c|外资企业建党组织难度大
c|两个覆盖还有空白，特别是工作覆盖
c|产业链在不断延伸，党组织设置跟不上变化
c|我们公司只有三个党员，挂靠在社区，跟产业链党组织没有关系
c|协作企业分散在各个园区，组织关系分属不同街道
c|党员组织关系还在老家，没转过来
c|没有找到可以加入的党组织
c|我们这类小作坊式企业没人来组建党组织
c|链上企业进进出出，名单一年一变
c|联盟是松散型的，成员之间没有组织约束
c|新招的党员员工组织关系难转接
c|上级说应建尽建，但企业条件达不到
c|跨区域的链条企业，党组织归谁管说不清
c|民营小企业基本没有党组织
c|派驻的党建指导员一个人要联系二十多家企业，根本顾不过来
c|企业搬到新园区后，原来的支部就散了
c|劳务派遣工里的党员没法纳入管理
c|产业链党委只管到核心企业，配套企业管不到
c|一些企业连一个党员都没有，发展党员也很难
c|总部在外地，本地分公司的党员组织关系不在这边
c|项目制用工，党员跟着工程走，组织生活没法正常过
c|各个园区各管各的，链上党组织没连起来
ci|有的企业党组织名存实亡，覆盖只是个统计数字
c|党组织的设置还是按属地来的，不是按链条
c|个体户和小微企业占了链上大半，组织建不起来
c|联盟成员退出加入都没有手续，组织边界不清楚
c|我们厂在两个县都有车间，党员分两头管
c|链上好多企业是新注册的，还没来得及建组织
c|电商、物流这些新业态企业很难纳入联盟
c|党员人数太少，凑不齐三个人成立支部
c|组织覆盖还不够全面
c|覆盖面窄，很多企业游离在外
"""

_IDEOLOGY = """
i|老板觉得党建是额外负担，不太愿意参加
i|企业负责人对产业链党建认识不足
i|员工不知道党建跟自己有什么关系
i|没有专职党务干部，都是兼职在做
i|党建经费不足，活动搞不起来
i|参加联盟活动的都是那几家，大部分企业兴趣不大
i|很多企业把党建当成应付检查
i|党支部成立了但基本不开展活动，只是挂个牌子
i|外资企业管理层对党建有顾虑
i|党务工作者是人事部门兼的，精力顾不上
i|企业觉得参加党建活动耽误生产
i|年轻员工对党建活动参与积极性不高
i|对产业链党建到底要做什么，企业心里没底
i|不知道怎么参与联盟的工作
i|党建工作在企业里被边缘化
i|上面开会我们去，回来就没有下文了
i|书记是老板兼任，平时顾不上
i|企业主担心党组织干预经营
i|重视程度不够，说起来重要做起来次要
i|党建台账做得很漂亮，实际上没人关心
i|学习教育形式单一，大家不爱听
i|党员的先锋意识比较淡薄
i|我们这样的小企业觉得党建是大企业的事
ic|宣传不到位，很多企业根本没听说过联盟
i|党建工作缺人缺钱
i|支部书记换了好几任，工作没有连续性
i|有些企业负责人敷衍了事
i|党组织活动场所都没有，只能借会议室
i|组织生活会流于形式
i|管理层不支持，党员开展活动要请假
i|企业上下对党建的认同感不强
i|员工普遍觉得跟党建没关系，参与度低
i|上级要求多，企业应付不过来，只能走过场
i|老一辈党员积极，年轻人不怎么来
i|党务工作没人愿意干，没有激励
i|企业还没想明白党建对自己有什么用
i|台资企业对党组织比较敏感
i|党建工作虚化，没有实际内容
i|开展活动主要靠上级推，企业自己没有积极性
i|有的党员觉得交了党费就行了
i|思想上不够重视
i|没有固定的党建经费渠道
"""

_EFFECTIVENESS = """
e|党建活动和生产经营是两码事
e|党建搞党建的，业务搞业务的
e|联盟活动主要是学习开会，对生产没什么帮助
e|党建和业务两张皮的问题比较突出
e|活动办了不少，但在企业里看不到效果
e|党建工作在内部空转，跟产业发展接不上
e|找不到党建和企业发展的结合点
e|党组织在企业决策中说不上话
e|联盟活动和企业需求对不上
e|党建工作自说自话，自我循环
e|年初计划里党建和经营是分开写的
e|参观学习多，解决实际问题少
e|党建项目都是形式上的，跟技术攻关不搭边
e|党员示范岗挂了牌，但和生产指标没关系
e|活动结束了就结束了，没有后续
er|党建考核只看材料，不看对企业经营的贡献
e|融合不够，党建没有融入企业中心工作
e|党建活动跟生产旺季撞车，只能压缩
e|党组织作用发挥不明显
e|联盟办的论坛讲的都是大道理，落不了地
e|党建工作粘性不强，企业来一次就不来了
e|党建和业务没有同步谋划
e|党建成果很难转化成经营成果
e|党员攻关小组只是个名头
e|党建工作跟着上级文件转，跟企业的事不沾边
er|企业遇到的难题，联盟层面帮不上忙
e|作用发挥不出来
e|联盟开会讲的和我们关心的是两回事
e|党建活动多是内部自娱自乐，外面的企业参与不进来
e|党建工作和企业战略没有挂钩
e|活动热热闹闹，对订单和技术没有实质帮助
e|支部的工作计划和公司的生产计划各做各的
e|党建品牌打出来了，但对经营没起到作用
e|党组织在产业链协同上的作用体现不出来
e|联盟服务企业的内容太虚
e|党建与业务融合点找不准
e|办了很多活动，员工觉得跟本职工作没关系
ei|党组织的作用停留在纸面上
e|党建带动发展的效果不明显
e|开展的活动与产业链的实际问题脱节
e|党建成效难以量化体现
e|政企沟通会开了，提的问题没有回音
"""

_RESOURCE = """
r|企业都在一个园区，但各干各的，没有合作
r|上下游企业之间信息不通
r|联盟里的资源共享还停留在口头上
r|大企业不愿意把订单和技术分给小企业
r|想找上游配套，联盟里对接不上
r|风险共担的机制没有建立起来
r|配套政策不落地，企业享受不到
r|考核办法还是按属地算，跨区域合作积极性不高
r|参加联盟以后看不到实实在在的好处
r|实验室和检测设备不对外开放，共享很难
r|资金、人才这些资源还是分散在各个部门
r|链主企业带动作用有限，小企业抱团难
r|企业之间有竞争关系，不愿意拿出资源
r|联盟缺少共商共议的平台
r|银行、高校这些资源拉不进来
r|政策申报门槛高，我们小企业用不上
r|跨市的供应商协调不动
r|缺乏利益分配机制，合作不长久
r|产学研合作说了很多年，落地的很少
r|各个部门的扶持资金各管一摊，整合不起来
r|联盟只是个名单，企业之间没什么往来
r|想要的人才和技术对接不到
r|园区产业集聚了，但没有形成链条上的协作
r|融资难的问题联盟解决不了
r|供应链出了问题，联盟里也没人帮一把
r|各地招商政策不一样，合作项目落不下来
r|好处看不见摸不着
r|共享平台建了，用的人很少
r|链上企业之间互相不信任
r|资源整合的机制不健全
r|外地的龙头企业对我们本地小厂不感兴趣
r|订单都被大企业拿走了，我们分不到
r|利益联结不紧密，抱团发展难
r|上级部门的支持政策分散，企业不知道找谁
r|联盟内部技术交流少，都怕泄密
r|考核指标只看本单位，不算对链条的贡献
r|合作项目需要的资金没有渠道
r|产业链上下游协同不够
r|人才公寓、研发平台这些资源我们申请不到
r|联盟能调动的资源太少
r|上下游企业对接活动太少
r|资源聚合难度大
"""

# Negated mentions: they name a difficulty only to deny it, so they must code as 0.
_NEGATED = """
c|不存在覆盖难的问题
c|组织覆盖方面没有困难
c|园区党组织已经全覆盖了，这方面没问题
c|党员组织关系都理顺了，不存在流动党员管理的问题
i|思想认识方面没有什么障碍
i|企业领导很重视党建，不存在认识不足的情况
i|员工参与积极性不错，没有这方面的顾虑
e|党建和业务没有两张皮的情况
e|党建和生产结合得挺好，不觉得是两码事
r|资源共享方面没有问题
r|联盟里对接顺畅，不存在资源聚合难
"""

NONE_ANSWERS: Final = (
    "无",
    "暂无",
    "没有困难",
    "没什么困难",
    "无。",
    "暂时没有",
    "没有",
    "目前没有困难",
)


def _parse(block: str) -> tuple[tuple[str, frozenset[str]], ...]:
    out = []
    for line in block.strip().splitlines():
        letters, phrase = line.split("|", 1)
        out.append((phrase, frozenset(_LETTER[ch] for ch in letters)))
    return tuple(out)


PHRASE_BANK: Final[dict[str, tuple[tuple[str, frozenset[str]], ...]]] = {
    "coverage": _parse(_COVERAGE),
    "ideology": _parse(_IDEOLOGY),
    "effectiveness": _parse(_EFFECTIVENESS),
    "resource": _parse(_RESOURCE),
}
"""difficulty → ((phrase, reading), ...): what a firm writes when it meets that difficulty."""

NEGATED_BANK: Final[dict[str, tuple[str, ...]]] = {
    d: tuple(p for p, r in _parse(_NEGATED) if d in r) for d in DIFFICULTIES
}
"""difficulty → phrases that mention it only to deny it (coded 0 by any reader)."""


def phrase_reading(phrase: str) -> frozenset[str]:
    """The difficulties a reader sees in one bank phrase; empty for negated and unknown phrases."""
    for bank in PHRASE_BANK.values():
        for text, reading in bank:
            if text == phrase:
                return reading
    return frozenset()
