"""Policy folders (chainpb.ingest.policies): manifest, .txt in several encodings, .docx with tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chainpb.errors import InputError
from chainpb.ingest.policies import POLICY_COLUMNS, read_docx_text, read_policy_folder
from chainpb.ingest.survey import pool_tables


def write_docx(path: Path) -> None:
    from docx import Document

    document = Document()
    document.add_paragraph("关于推进產業鏈黨建的實施意見")
    table = document.add_table(rows=2, cols=3)
    for j, text in enumerate(["机制", "牵头单位", "完成时限"]):
        table.cell(0, j).text = text
    for j, text in enumerate(["联席会议制度", "市委组织部", "2024年底"]):
        table.cell(1, j).text = text
    document.add_paragraph("联系人：王某，电话 0527-84361234。")
    merged = document.add_table(rows=1, cols=3)
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "合并单元格"
    merged.cell(0, 2).text = "末列"
    document.save(str(path))


def make_folder(root: Path) -> Path:
    folder = root / "policies"
    folder.mkdir()
    (folder / "b_notice.txt").write_bytes(
        "各产业链党建联盟：\r\n请于２０２４年完成组建。\r\n".encode("gbk")
    )
    (folder / "a_plan.txt").write_text(
        "宿迁市产业链党建工作方案\n  应建尽建  ，  扩大覆盖。\n", encoding="utf-8"
    )
    write_docx(folder / "c_opinion.docx")
    manifest = (
        "file,title,issuer,date\n"
        "b_notice.txt,关于组建产业链党建联盟的通知,中共宿迁市委组织部,2024-03-01\n"
        "c_opinion.docx,實施意見,中共宿迁市委,2023-11-20\n"
        "a_plan.txt,工作方案,中共宿迁市委组织部,2023-05-08\n"
    )
    (folder / "manifest.csv").write_bytes(manifest.encode("gbk"))
    return folder


def test_docx_paragraphs_and_tables_in_document_order(tmp_path: Path) -> None:
    path = tmp_path / "doc.docx"
    write_docx(path)
    # Tables stay between the paragraphs around them; one line per table row, cells joined by
    # "；"; a merged cell appears once.
    assert read_docx_text(path).split("\n") == [
        "关于推进產業鏈黨建的實施意見",
        "机制；牵头单位；完成时限",
        "联席会议制度；市委组织部；2024年底",
        "联系人：王某，电话 0527-84361234。",
        "合并单元格；末列",
    ]


def test_read_policy_folder(tmp_path: Path) -> None:
    table = read_policy_folder(make_folder(tmp_path), "suqian", "宿迁市")
    assert list(table.columns) == list(POLICY_COLUMNS)
    assert table["doc_id"].tolist() == ["suqian-a_plan", "suqian-b_notice", "suqian-c_opinion"]
    texts = dict(zip(table["doc_id"], table["text"], strict=True))
    # Whitespace normalised (spaces between CJK characters dropped), CRLF → LF, full-width digits
    # → half-width (GBK file), traditional → simplified, phone masked.
    assert texts["suqian-a_plan"] == "宿迁市产业链党建工作方案\n应建尽建，扩大覆盖。"
    assert texts["suqian-b_notice"] == "各产业链党建联盟：\n请于2024年完成组建。"
    assert texts["suqian-c_opinion"].split("\n")[0] == "关于推进产业链党建的实施意见"
    assert "联席会议制度；市委组织部；2024年底" in texts["suqian-c_opinion"]
    assert "[电话]" in texts["suqian-c_opinion"] and "84361234" not in texts["suqian-c_opinion"]
    assert table["n_chars"].tolist() == [len(t) for t in table["text"]]
    row = table.set_index("doc_id").loc["suqian-c_opinion"]
    assert (row["title"], row["issuer"], row["date"], row["file"]) == (
        "实施意见",
        "中共宿迁市委",
        "2023-11-20",
        "c_opinion.docx",
    )
    assert (table["city_key"] == "suqian").all() and (table["city_name"] == "宿迁市").all()


def test_ignores_office_lock_files(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "~$opinion.docx").write_bytes(b"lock")
    assert len(read_policy_folder(folder, "suqian", "宿迁市")) == 3


def test_manifest_row_without_file(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "a_plan.txt").unlink()
    with pytest.raises(InputError) as info:
        read_policy_folder(folder, "suqian", "宿迁市")
    message = str(info.value)
    # Names both the manifest (with its row) and the missing file.
    assert "manifest.csv" in message and "row 4" in message and "a_plan.txt" in message


def test_file_not_in_manifest(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "d_extra.txt").write_text("多余文件", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_policy_folder(folder, "suqian", "宿迁市")
    assert "manifest.csv" in str(info.value) and "d_extra.txt" in str(info.value)


def test_manifest_missing_column(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "manifest.csv").write_text("file,title,date\na_plan.txt,x,2024\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks column"):
        read_policy_folder(folder, "suqian", "宿迁市")


def test_missing_manifest(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "manifest.csv").unlink()
    with pytest.raises(InputError, match=r"manifest\.csv is missing"):
        read_policy_folder(folder, "suqian", "宿迁市")


def test_undecodable_policy_text(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "a_plan.txt").write_bytes(
        b"ok\x80\xff"
    )  # 0x80 at offset 2 is invalid in UTF-8 and GB18030
    with pytest.raises(InputError) as info:
        read_policy_folder(folder, "suqian", "宿迁市")
    assert "a_plan.txt" in str(info.value) and "offset 2" in str(info.value)


def test_unsupported_listed_file(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    (folder / "e.doc").write_bytes(b"\xd0\xcf\x11\xe0")  # .pdf is read since issue 12; .doc not
    with (folder / "manifest.csv").open("ab") as handle:
        handle.write("e.doc,旧版Word文件,某部门,2024-01-01\n".encode("gbk"))
    with pytest.raises(InputError, match="unsupported policy file type"):
        read_policy_folder(folder, "suqian", "宿迁市")


def test_pool_policies_sorted(tmp_path: Path) -> None:
    folder = make_folder(tmp_path)
    wuxi = read_policy_folder(folder, "wuxi", "无锡市")
    suqian = read_policy_folder(folder, "suqian", "宿迁市")
    pooled = pool_tables([wuxi, suqian])
    assert pooled["doc_id"].tolist() == [
        "suqian-a_plan",
        "suqian-b_notice",
        "suqian-c_opinion",
        "wuxi-a_plan",
        "wuxi-b_notice",
        "wuxi-c_opinion",
    ]
    assert isinstance(pooled, pd.DataFrame)


# ------------------------------------------------------- files not read, and empty texts


def test_unread_files_are_named_in_the_log(tmp_path: Path, caplog) -> None:
    folder = make_folder(tmp_path)
    (folder / "d_rules.pdf").write_bytes(b"%PDF-1.4")
    (folder / "e_old.DOC").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "notes.xlsx").write_bytes(b"PK")
    (folder / "~$opinion.docx").write_bytes(b"lock")
    (folder / "archive").mkdir()
    with caplog.at_level("WARNING", logger="chainpb.ingest.policies"):
        table = read_policy_folder(folder, "suqian", "宿迁市")
    assert len(table) == 3  # the three listed documents, nothing else
    lines = [r.getMessage() for r in caplog.records]
    # One line per unread entry, sorted by name (Python sorts "~" after letters).
    assert [line.split(" — ")[0] for line in lines] == [
        f"未读取 not read: {folder / n}"
        for n in ("archive", "d_rules.pdf", "e_old.DOC", "notes.xlsx", "~$opinion.docx")
    ]
    pdf = lines[1]
    # Since issue 12 a .pdf is read when listed; an unlisted one is named, not an error.
    assert (
        ".pdf 文件未在 manifest.csv 中列出，不读取" in pdf
        and "unless listed in manifest.csv" in pdf
    )
    assert ".doc files are not read" in lines[2]  # suffix compared case-insensitively
    assert "不是政策文档（.xlsx）" in lines[3] and "not a policy document (.xlsx)" in lines[3]
    assert "Office 临时锁文件" in lines[4] and "子文件夹" in lines[0]


def test_clean_folder_logs_nothing(tmp_path: Path, caplog) -> None:
    folder = make_folder(tmp_path)
    with caplog.at_level("WARNING", logger="chainpb.ingest.policies"):
        read_policy_folder(folder, "suqian", "宿迁市")
    assert caplog.records == []


@pytest.mark.parametrize(
    ("content", "zh", "en"),
    [
        (b"", "是 0 字节的空文件", "is an empty file (0 bytes)"),
        (" \r\n\u3000\n".encode(), "没有文字（7 字节", "has no text (7 bytes of blanks)"),
    ],
)
def test_empty_policy_text_is_an_input_error(tmp_path: Path, content, zh, en) -> None:
    # " \r\n" is 3 bytes, the ideographic space U+3000 is 3 bytes in UTF-8, "\n" 1: 7 bytes.
    folder = make_folder(tmp_path)
    (folder / "b_notice.txt").write_bytes(content)
    with pytest.raises(InputError) as info:
        read_policy_folder(folder, "suqian", "宿迁市")
    message = str(info.value)
    assert f"文件 {folder / 'b_notice.txt'}" in message and zh in message and en in message


def test_empty_docx_is_an_input_error(tmp_path: Path) -> None:
    from docx import Document

    folder = make_folder(tmp_path)
    Document().save(str(folder / "c_opinion.docx"))  # a valid .docx with no paragraphs
    with pytest.raises(InputError, match=r"c_opinion\.docx.*没有文字"):
        read_policy_folder(folder, "suqian", "宿迁市")
