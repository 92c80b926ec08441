"""Privacy at ingest: keyed hashing of enterprise ids and masking of personal data in free text.

- Enterprise ids are replaced by ``HMAC-SHA256(key, f"{city_key}:{raw_id}")`` (hex, first 16
  characters). Keyed, so that nobody without the key can confirm a guessed id by hashing it;
  city-prefixed, so that the same internal number in two cities gives two different firms.
- The key comes from the environment variable (``privacy.hash_key_env``), else from a key file
  outside git (``privacy.hash_key_file``). Only the bundled example may fall back to the fixed
  public :data:`DEMO_HASH_KEY` — its hashes protect nothing and a warning says so.
- :func:`mask_pii` replaces mobile numbers, landlines, 18-digit resident ID numbers and e-mail
  addresses in free text with ``[手机号]``, ``[电话]``, ``[身份证号]``, ``[邮箱]``. Digit runs are
  matched only when not glued to further digits, so years (2023年), amounts (1200万元),
  percentages and ordinary counts are left alone.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from pathlib import Path

from chainpb.errors import ChainpbError

log = logging.getLogger(__name__)

#: Public key for the bundled example only. Hashes made with it are not private.
DEMO_HASH_KEY = b"chainpb-demo-key-NOT-SECRET"
HASH_HEX_CHARS = 16

MASK_MOBILE = "[手机号]"
MASK_LANDLINE = "[电话]"
MASK_ID_NUMBER = "[身份证号]"
MASK_EMAIL = "[邮箱]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Region (6) + birth date 19xx/20xx MMDD + sequence (3) + check digit or X. Requiring a valid
# date shape keeps long amounts and serial numbers from being masked as ID numbers.
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])"
)
# 11-digit mobile 1[3-9]x, optionally +86/0086/86 in front and written 3-4-4 with spaces or dashes.
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
# Landline: area code 0xx/0xxx, a dash (or brackets), 7–8 digits, optional extension.
_LANDLINE = re.compile(r"(?<!\d)(?:0\d{2,3}-|[(（]0\d{2,3}[)）]\s?)\d{7,8}(?:-\d{1,5})?(?!\d)")


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


def mask_pii(text: str) -> str:
    """Mask e-mail addresses, ID numbers, mobile and landline numbers in free text."""
    if not text:
        return text
    # Order matters: e-mails may contain digit runs, and an ID number contains 11-digit runs
    # that would otherwise look like a mobile number.
    text = _EMAIL.sub(MASK_EMAIL, text)
    text = _ID_NUMBER.sub(MASK_ID_NUMBER, text)
    text = _MOBILE.sub(MASK_MOBILE, text)
    return _LANDLINE.sub(MASK_LANDLINE, text)
