"""Keyed hashing of enterprise ids, the hash key source, and PII masking (chainpb.ingest.privacy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainpb.errors import ChainpbError
from chainpb.ingest.privacy import DEMO_HASH_KEY, hash_enterprise_id, load_hash_key, mask_pii


def test_hash_matches_openssl_reference() -> None:
    # Expected values computed independently with OpenSSL, first 16 hex characters:
    #   printf 'suqian:A001' | openssl dgst -sha256 -hmac 'test-key'
    #   -> ca664f74b3509c4db6914824bf2e5d3a6429e33a2e66f65eb54d92f5f5287095
    #   printf 'suzhou:A001' | openssl dgst -sha256 -hmac 'test-key'
    #   -> 11983a26f061be988b62dd7246bd99c4b23847fcbfc410667ce16cc81e942d00
    #   printf 'suqian:A001' | openssl dgst -sha256 -hmac 'other-key'
    #   -> e1b11650ca86157a87d972fb97f257dd5bd11cdbe32887feb89a88dbbee1e95f
    assert hash_enterprise_id("A001", "suqian", b"test-key") == "ca664f74b3509c4d"
    assert hash_enterprise_id("A001", "suzhou", b"test-key") == "11983a26f061be98"
    assert hash_enterprise_id("A001", "suqian", b"other-key") == "e1b11650ca86157a"


def test_demo_key_hash_is_documented_value() -> None:
    # printf 'suqian:A001' | openssl dgst -sha256 -hmac 'chainpb-demo-key-NOT-SECRET'
    # -> 568a0f469fef0e25c22248a5a0d43a212ebce6ca86c80c7375f4c4f49aa95713
    assert hash_enterprise_id("A001", "suqian", DEMO_HASH_KEY) == "568a0f469fef0e25"


def test_key_from_env_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "hash_key"
    key_file.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("CHAINPB_TEST_KEY", "from-env")
    key, source = load_hash_key("CHAINPB_TEST_KEY", key_file, allow_demo=False)
    assert key == b"from-env" and "CHAINPB_TEST_KEY" in source
    assert "from-env" not in source  # the log must never show the key


def test_key_from_file_with_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAINPB_TEST_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".config").mkdir()
    (tmp_path / ".config" / "hash_key").write_text("  from-file \n", encoding="utf-8")
    key, source = load_hash_key("CHAINPB_TEST_KEY", "~/.config/hash_key", allow_demo=False)
    assert key == b"from-file" and "key file" in source


def test_demo_key_only_when_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAINPB_TEST_KEY", raising=False)
    key, source = load_hash_key("CHAINPB_TEST_KEY", tmp_path / "absent", allow_demo=True)
    assert key == DEMO_HASH_KEY and "demo" in source
    with pytest.raises(ChainpbError) as info:
        load_hash_key("CHAINPB_TEST_KEY", tmp_path / "absent", allow_demo=False)
    message = str(info.value)
    assert "export CHAINPB_TEST_KEY=" in message
    assert "secrets.token_hex(32)" in message
    assert "密钥" in message


def test_empty_env_var_falls_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINPB_TEST_KEY", "  ")
    with pytest.raises(ChainpbError):
        load_hash_key("CHAINPB_TEST_KEY", tmp_path / "absent", allow_demo=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("联系人电话13912345678。", "联系人电话[手机号]。"),
        ("手机：139-1234-5678", "手机：[手机号]"),
        ("手机 139 1234 5678 张", "手机 [手机号] 张"),
        ("+86 139 1234 5678", "[手机号]"),
        ("+86-13912345678", "[手机号]"),
        ("8613912345678", "[手机号]"),
        ("座机0512-66881234，", "座机[电话]，"),
        ("电话025-12345678转", "电话[电话]转"),
        ("（0512）66881234", "[电话]"),
        ("身份证32058219900101123X。", "身份证[身份证号]。"),
        ("身份证号320582199001011234", "身份证号[身份证号]"),
        ("邮箱 zhang.san@example.com.cn 联系", "邮箱 [邮箱] 联系"),
        ("请发dj_office@suqian.gov.cn", "请发[邮箱]"),
    ],
)
def test_mask_pii_positives(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2023年投入研发资金1200万元，同比增长12.5%。",
        "员工 350 人，专利 12 项，成立于 2008 年。",
        "营业收入 13500000 元",  # 8 digits: not a mobile number
        "合同编号139123456789",  # 12 digits: too long for a mobile number
        "订单号20230101123456789012",  # 20 digits: not an ID number
        "2013年12月至2014年3月",
        "产值增长 0.15，1,200 家企业",
        "第1391号文件",
    ],
)
def test_mask_pii_negatives(text: str) -> None:
    assert mask_pii(text) == text


def test_mask_pii_empty() -> None:
    assert mask_pii("") == ""
