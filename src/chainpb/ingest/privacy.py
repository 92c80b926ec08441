"""Privacy at ingest: keyed hashing of enterprise ids and masking of personal data in free text.

- Enterprise ids are replaced by ``HMAC-SHA256(key, f"{city_key}:{raw_id}")`` (hex, first 16
  characters). Keyed, so that nobody without the key can confirm a guessed id by hashing it;
  city-prefixed, so that the same internal number in two cities gives two different firms.
- The key comes from the environment variable (``privacy.hash_key_env``), else from a key file
  outside git (``privacy.hash_key_file``). Only the bundled example may fall back to the fixed
  public :data:`DEMO_HASH_KEY` — its hashes protect nothing and a warning says so.
- :class:`PiiMasker` (and :func:`mask_pii`, the masker without own names) is the one masking
  function every free-text or rejected value passes before it is written anywhere: open
  answers, policy texts, chain names, categorical values and the ``value``/reason columns of
  rejects.csv. It replaces, in this order:

  1. the respondents' and firms' own names from the name columns of the same file (exact
     substring, any field) with ``[姓名]`` / ``[企业名称]``;
  2. e-mail addresses ``[邮箱]``; 18-digit and old 15-digit resident ID numbers ``[身份证号]``;
     mobile numbers ``[手机号]`` (with spaces, dashes, +86/0086, and also written in Chinese
     numerals: 一三八…, 幺三八…, mixed 138一二三四5678); landlines ``[电话]``;
  3. WeChat ids and QQ numbers after a cue (微信, 微信号, wx, vx, QQ, qq号, 扣扣 …) with
     ``[微信号]`` / ``[QQ号]`` — keeping the cue, so the text still says a contact was given;
  4. person names with ``[姓名]``: a common surname plus one or two given-name characters
     directly after a personal-contact or post cue (联系人, 对接人, 填表人, 法人, 法定代表人,
     负责人, 董事长, 经理, 厂长, 主任, 书记 but not 总书记), and a surname with up to two
     characters before 先生/女士/经理/书记/主任 (张伟先生, 王经理, 李娜书记).

  Digit runs are matched only when not glued to further digits, so years (2023年, 二〇二三年),
  amounts (1200万元), percentages and ordinary counts are left alone.

Rule for names, and its measured precision. Names are masked only (a) where the file itself
lists them (name columns) or (b) after the cues above; jieba's ``nr`` tag is not used because it
would mask every public name of a policy text and is not stable across dictionary versions. On
the 88 shared reports (72 government work reports and 16 CPC congress reports, 1.46 M
characters after normalisation) the cue rules mask 3 spans, all real names of historical public
figures (国家计委副主任李人俊同志, 孙中山先生, 梁希先生: precision 3/3; with 安 as a surname a
fourth span, 法人安全, was a false positive, so 安 is not in the surname list). Leaders' names
in published policy texts are public and kept: they follow no cue (习近平总书记, 以习近平同志为
核心, 国务院总理李克强, 毛主席, 周总理 — 总书记, 同志, 主席 and 总理 are not cues), and none of
the 146 occurrences of 习近平, 218 of 毛泽东, 207 of 邓小平 or 14 of 李克强 is masked. No
phone, ID, e-mail, WeChat or QQ pattern fires anywhere in the corpora.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chainpb.errors import ChainpbError

log = logging.getLogger(__name__)

#: Public key for the bundled example only. Hashes made with it are not private.
DEMO_HASH_KEY = b"chainpb-demo-key-NOT-SECRET"
HASH_HEX_CHARS = 16

MASK_MOBILE = "[手机号]"
MASK_LANDLINE = "[电话]"
MASK_ID_NUMBER = "[身份证号]"
MASK_EMAIL = "[邮箱]"
MASK_WECHAT = "[微信号]"
MASK_QQ = "[QQ号]"
MASK_NAME = "[姓名]"
MASK_FIRM = "[企业名称]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Region (6) + birth date 19xx/20xx MMDD + sequence (3) + check digit or X. Requiring a valid
# date shape keeps long amounts and serial numbers from being masked as ID numbers.
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])"
)
# Old 15-digit ID (issued until 2004): region (6) + YYMMDD + sequence (3), no check digit.
_ID_NUMBER_15 = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])"
)
# 11-digit mobile 1[3-9]x, optionally +86/0086/86 in front and written 3-4-4 with spaces or dashes.
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
# Landline: area code 0xx/0xxx, a dash (or brackets), 7–8 digits, optional extension.
_LANDLINE = re.compile(r"(?<!\d)(?:0\d{2,3}-|[(（]0\d{2,3}[)）]\s?)\d{7,8}(?:-\d{1,5})?(?!\d)")

# Numbers read out and typed in Chinese numerals (一三八…, with 幺 for 1 as on the phone). A
# digit here is an ASCII digit or a Chinese numeral, so mixed writing (138一二三四5678) is caught
# too; 十/百/千 never occur in a read-out number, so 二〇二三年 or 一千二百万 are never 11 digits.
_CN_DIGIT = "0-9〇零○一幺二三四五六七八九"
_D = f"[{_CN_DIGIT}]"
_MOBILE_CN = re.compile(
    rf"(?<![{_CN_DIGIT}+])(?:(?:\+|00)?(?:86|八六)[\s-]?)?[1一幺][3-9三四五六七八九]{_D}"
    rf"(?:[\s-]?{_D}{{4}}){{2}}(?!{_D})"
)
_ID_CN = re.compile(
    rf"(?<![{_CN_DIGIT}A-Za-z]){_D}{{17}}[{_CN_DIGIT}Xx](?![{_CN_DIGIT}A-Za-z])"
    rf"|(?<![{_CN_DIGIT}A-Za-z]){_D}{{15}}(?![{_CN_DIGIT}A-Za-z])"
)
# WeChat/QQ ids are masked only after a cue: an id alone is indistinguishable from a product
# code. WeChat ids are 6–20 characters starting with a letter (or a phone number, masked
# before); QQ numbers 5–12 digits. 微信群/微信公众号 have no id after them and stay.
_WECHAT = re.compile(
    r"(?P<cue>(?<![A-Za-z])(?:微信号?|微信ID|威信|V信|v信|VX|vx|Vx|WX|wx|Wx|wechat|WeChat|WECHAT)"
    r"(?:号码?)?)(?P<sep>\s*(?:[:：]|是|为)?\s*)(?P<id>[A-Za-z][A-Za-z0-9_-]{5,19})(?![A-Za-z0-9_-])"
)
_QQ = re.compile(
    r"(?P<cue>(?<![A-Za-z])(?:QQ|qq|Qq|扣扣)(?:号码?|群)?)(?P<sep>\s*(?:[:：]|是|为)?\s*)"
    r"(?P<id>[1-9]\d{4,11})(?!\d)"
)

# Common single-character surnames (about the 150 most frequent; 和, 于, 向, 安
# and similar function words are left out because after a cue they are far more often a word
# than a name) and the compound surnames still in use.
_SURNAMES_1 = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭林何高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱侯江尹薛闫段雷黎史龙陶贺顾毛郝"
    "龚邵万钱严覃武戴莫孔汤易常乔赖文施洪牛庞樊殷葛章鲁柳翟兰蒙祝倪聂颜季耿邢温覃骆焦纪尤"
    "芦郎鲍甘钮裴谷庄岳盛童凌霍申宫柴左卓"
)
_SURNAMES_2 = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "尉迟",
    "公孙",
    "夏侯",
    "宇文",
    "长孙",
    "司徒",
    "端木",
)
# Characters that end a given name: particles, conjunctions and the first characters of the
# words that usually follow a name (电话, 手机, 联系, 同志, 先生, 说, 反映, 牵头 …). Without
# them 联系人张伟电话 would mask 张伟电 and 负责人和技术骨干 would look like a name.
_NOT_IN_NAME = (
    "的了和与及或等在是为对于向把被将也都要应须由从到着过之其这那此该每各们"
    "电手号联同先女书经主总负单部公企工项制治代资财结地姓邮微说讲称认提反表介牵带抓领兼"
    "，。、；：:,.;!?！？（）()【】[]《》“”‘’\"' \t\n"
)
# One given-name character: a Han character that is not one of the above (the lookbehind
# re-reads the character just matched).
_GIVEN = rf"(?:[\u4e00-\u9fff](?<![{re.escape(_NOT_IN_NAME)}]))"
_SURNAME = rf"(?:{'|'.join(_SURNAMES_2)}|[{_SURNAMES_1}])"
_PERSON = rf"{_SURNAME}{_GIVEN}{{1,2}}"
# A name directly after a personal-contact or post cue: 联系人：张伟, 法人张伟, 负责人为李娜,
# 书记王强 (not 总书记: see the module docstring on leaders' names).
_NAME_CUES = (
    "联系人",
    "联络人",
    "联络员",
    "对接人",
    "填表人",
    "填报人",
    "填写人",
    "受访人",
    "被访者",
    "法定代表人",
    "法人代表",
    "法人",
    "负责人",
    "董事长",
    "总经理",
    "经理",
    "厂长",
    "主任",
    "(?<!总)书记",
    "姓名",
)
_NAME_AFTER_CUE = re.compile(
    rf"(?P<cue>(?:{'|'.join(_NAME_CUES)}))(?P<sep>\s*(?:[:：]|是|为)?\s*)(?P<name>{_PERSON})"
)
# A name before 先生/女士 or a post (张伟先生, 王女士, 王经理, 李娜书记). 总书记, 总经理 and
# words such as 班主任, 项目经理, 党委书记 never match: the character before the post is then
# 总/班/目/委, none of them in the surname list or a given-name character after one.
_NAME_BEFORE_TITLE = re.compile(
    rf"(?P<name>{_SURNAME}{_GIVEN}{{0,2}})(?P<title>先生|女士|经理|书记|主任)"
)


def load_hash_key(
    env_var: str, key_file: str | os.PathLike[str] | None, allow_demo: bool
) -> tuple[bytes, str]:
    """Return ``(key, source)``: the env var if set, else the key file, else the demo key if allowed.

    ``source`` says where the key came from (never the key itself) for the log. Raises
    ChainpbError explaining how to set a key when none is found and the demo key is not allowed.
    """
    value = os.environ.get(env_var, "").strip() if env_var else ""
    if value:
        return value.encode("utf-8"), f"环境变量 environment variable {env_var}"
    if key_file:
        path = Path(key_file).expanduser()
        if path.is_file():
            text = path.read_text(encoding="utf-8").strip()
            if text:
                return text.encode("utf-8"), f"密钥文件 key file {path}"
    if allow_demo:
        log.warning(
            "使用公开的演示密钥（仅限示例数据），企业编号哈希不具保密性。 / Using the public demo "
            "hash key (example data only); enterprise-id hashes are not private."
        )
        return DEMO_HASH_KEY, "演示密钥 demo key (example data only, not secret)"
    shown_file = str(key_file) if key_file else "~/.config/chainpb/hash_key"
    raise ChainpbError(
        f"未找到企业编号哈希密钥。请设置环境变量：export {env_var or 'CHAINPB_HASH_KEY'}=<随机长字符串>，"
        f"或在仓库之外创建密钥文件：mkdir -p $(dirname {shown_file}) && "
        f'python -c "import secrets;print(secrets.token_hex(32))" > {shown_file}。'
        "请妥善保管密钥：更换密钥后所有企业编号的哈希都会改变。",
        f"No hash key for enterprise ids. Set the environment variable: "
        f"export {env_var or 'CHAINPB_HASH_KEY'}=<long random string>, or create a key file outside "
        f"git: mkdir -p $(dirname {shown_file}) && "
        f'python -c "import secrets;print(secrets.token_hex(32))" > {shown_file}. '
        "Keep the key safe: a new key changes every enterprise-id hash.",
    )


def hash_enterprise_id(raw_id: str, city_key: str, key: bytes) -> str:
    """HMAC-SHA256 of ``f"{city_key}:{raw_id}"`` under ``key``, first 16 hex characters."""
    message = f"{city_key}:{raw_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:HASH_HEX_CHARS]


class PiiMasker:
    """The masking function of every free-text or rejected value (see the module docstring).

    ``person_names`` and ``firm_names`` are the respondents' and enterprises' own names taken
    from the same file; each is masked wherever it occurs as an exact substring (names shorter
    than two characters are ignored: one character would wipe ordinary words).
    """

    def __init__(self, person_names: Iterable[str] = (), firm_names: Iterable[str] = ()) -> None:
        self._own: list[tuple[re.Pattern[str], str]] = []
        # Firms first and longest first, so that 宿迁张伟科技有限公司 becomes [企业名称] rather
        # than 宿迁[姓名]科技有限公司.
        for names, mask in ((firm_names, MASK_FIRM), (person_names, MASK_NAME)):
            cleaned = sorted(
                {str(n).strip() for n in names if n is not None and len(str(n).strip()) >= 2},
                key=lambda s: (-len(s), s),
            )
            if cleaned:
                self._own.append((re.compile("|".join(re.escape(n) for n in cleaned)), mask))

    @classmethod
    def from_table(cls, data: Any) -> PiiMasker:
        """The masker of one survey file: own names from its ``respondent_name`` and
        ``enterprise_name`` columns (canonical names, as after column mapping), any row."""
        columns = getattr(data, "columns", ())

        def values(column: str) -> list[str]:
            if column not in columns:
                return []
            return [str(v) for v in data[column].tolist() if v is not None and v == v]

        return cls(values("respondent_name"), values("enterprise_name"))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for pattern, mask in self._own:
            text = pattern.sub(mask, text)
        # Order matters: e-mails may contain digit runs, an ID number contains 11-digit runs that
        # would otherwise look like a mobile number, and a WeChat id may be a phone number.
        text = _EMAIL.sub(MASK_EMAIL, text)
        text = _ID_NUMBER.sub(MASK_ID_NUMBER, text)
        text = _ID_NUMBER_15.sub(MASK_ID_NUMBER, text)
        text = _MOBILE.sub(MASK_MOBILE, text)
        text = _LANDLINE.sub(MASK_LANDLINE, text)
        text = _ID_CN.sub(MASK_ID_NUMBER, text)
        text = _MOBILE_CN.sub(MASK_MOBILE, text)
        text = _WECHAT.sub(lambda m: m["cue"] + m["sep"] + MASK_WECHAT, text)
        text = _QQ.sub(lambda m: m["cue"] + m["sep"] + MASK_QQ, text)
        text = _NAME_AFTER_CUE.sub(lambda m: m["cue"] + m["sep"] + MASK_NAME, text)
        return _NAME_BEFORE_TITLE.sub(lambda m: MASK_NAME + m["title"], text)


_DEFAULT = PiiMasker()


def mask_pii(text: str) -> str:
    """Mask personal data in free text with the rules of the module docstring (no own names)."""
    return _DEFAULT(text)
