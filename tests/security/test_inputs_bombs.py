"""Resource bombs are refused quickly, in bounded memory, with one clear error.

Each test puts one hostile file into a copy of the tiny valid review and runs
validation in a child process limited to 1 GB of address space. The child's
timeout is generous: a bomb that is not refused runs into it (or out of
memory) and the test fails; nothing here is timed. Each refusal must name the
file and the limit (``limits:`` in ``params.yaml``) with its value.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tiny_review import TABLES, write_review
from pipeline.params import params

GB = 1 << 30
TIMEOUT = 300  # seconds: a bomb that is not refused ends here
LIMITS = params().limits

CHILD = """
import json, sys
from pathlib import Path
from pipeline.load import load_review
folder = Path(sys.argv[1])
review = load_review(folder.name, folder, strict=False)
print(json.dumps([i.__dict__ for i in review.issues]))
"""


def _one_gigabyte():
    resource.setrlimit(resource.RLIMIT_AS, (GB, GB))


def validate_in_child(folder: Path) -> list[dict]:
    """Every issue of the review, found by a child process of at most 1 GB."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(folder)], capture_output=True, text=True,
                          timeout=TIMEOUT, preexec_fn=_one_gigabyte, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def errors_of(issues: list[dict], file: str) -> list[dict]:
    return [i for i in issues if i["severity"] == "error" and i["file"] == file]


def _tiny(tmp_path: Path, **replace) -> Path:
    return write_review(tmp_path / "tiny", dict(TABLES, **replace))


def _sheet_xml(rows: int):
    """A worksheet with `rows` one-cell rows and no <dimension> tag, in chunks."""
    yield (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    yield b'<row r="1"><c r="A1" t="inlineStr"><is><t>team_id</t></is></c></row>'
    step = 100_000
    for start in range(2, rows + 2, step):
        yield b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r)
                       for r in range(start, min(start + step, rows + 2)))
    yield b"</sheetData></worksheet>"


def write_xlsx(path: Path, sheet_chunks) -> None:
    """A minimal workbook (one sheet named teams) written member by member, the sheet streamed."""
    ns = "http://schemas.openxmlformats.org/"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="%spackage/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>' % ns),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="%spackage/2006/relationships">'
            '<Relationship Id="rId1" Type="%sofficeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>' % (ns, ns)),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="%sspreadsheetml/2006/main" '
            'xmlns:r="%sofficeDocument/2006/relationships"><sheets><sheet name="teams" sheetId="1" r:id="rId1"/>'
            '</sheets></workbook>' % (ns, ns)),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="%spackage/2006/relationships">'
            '<Relationship Id="rId1" Type="%sofficeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>' % (ns, ns)),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for chunk in sheet_chunks:
                member.write(chunk)


def test_an_xlsx_of_millions_of_rows_without_dimension_is_refused_before_parsing(tmp_path):
    folder = _tiny(tmp_path, teams=None)
    rows = LIMITS.max_rows + 500_000
    write_xlsx(folder / "teams.xlsx", _sheet_xml(rows))
    assert (folder / "teams.xlsx").stat().st_size < 50 << 20  # small on disk: it is the expansion that bites
    [error] = errors_of(validate_in_child(folder), "teams.xlsx")
    assert error["rule"] == "limit_max_rows"
    assert f"limits.max_rows = {LIMITS.max_rows:,}" in error["message"] and f"{rows:,} rows" in error["message"]


def test_an_xlsx_that_unzips_beyond_the_limit_is_refused(tmp_path):
    folder = _tiny(tmp_path, teams=None)
    mb = int(LIMITS.max_xlsx_uncompressed_mb) + 10
    blank = b" " * (1 << 20)
    write_xlsx(folder / "teams.xlsx", [b"<worksheet>", *(blank for _ in range(mb)), b"</worksheet>"])
    [error] = errors_of(validate_in_child(folder), "teams.xlsx")
    assert error["rule"] == "limit_max_xlsx_uncompressed_mb"
    assert f"limits.max_xlsx_uncompressed_mb = {LIMITS.max_xlsx_uncompressed_mb:,}" in error["message"]


def test_a_header_of_a_million_columns_is_refused(tmp_path):
    header = ",".join(f"c{i}" for i in range(1_000_000))
    folder = _tiny(tmp_path, recommendations=header + "\n" + "x," * 999_999 + "x\n")
    [error] = errors_of(validate_in_child(folder), "recommendations.csv")
    assert (error["rule"], error["row"]) == ("limit_max_columns", 1)
    assert "1,000,000 columns" in error["message"]
    assert f"limits.max_columns = {LIMITS.max_columns:,}" in error["message"]


def test_a_yaml_alias_bomb_is_refused(tmp_path):
    folder = _tiny(tmp_path)
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 9)}]" for k in range(1, 10)]
    text = (folder / "review.yml").read_text()
    (folder / "review.yml").write_text("\n".join(lines) + "\n" + text.replace("title: Tiny review", "title: *a9"))
    issues = validate_in_child(folder)
    [error] = errors_of(issues, "review.yml")
    assert error["rule"] == "yaml_alias"
    assert "anchor or alias" in error["message"]


def test_an_oversized_yaml_is_refused(tmp_path):
    folder = _tiny(tmp_path)
    with open(folder / "review.yml", "a") as fh:
        fh.write("# " + "x" * int(LIMITS.max_yaml_kb * 1024) + "\n")
    [error] = errors_of(validate_in_child(folder), "review.yml")
    assert error["rule"] == "limit_max_yaml_kb"


def test_an_oversized_file_is_refused_without_being_read(tmp_path):
    folder = _tiny(tmp_path)
    with open(folder / "monitoring.csv", "r+b") as fh:  # sparse: large to stat, nothing on disk
        fh.truncate(int(LIMITS.max_file_mb * (1 << 20)) + 1)
    [error] = errors_of(validate_in_child(folder), "monitoring.csv")
    assert error["rule"] == "limit_max_file_mb"
    assert f"limits.max_file_mb = {LIMITS.max_file_mb:,}" in error["message"]


@pytest.mark.parametrize("limit", ["max_rows", "max_cell_chars"])
def test_csv_rows_and_cells_beyond_the_limits_name_file_and_limit(tmp_path, limit):
    """A table past the row limit, or a cell past the cell limit (both written plainly, in-process)."""
    from pipeline.load import read_review

    small = LIMITS.model_copy(update={"max_rows": 3, "max_cell_chars": 50})
    body = "2009-01-31,T1\n" * 4 if limit == "max_rows" else f"2009-01-31,{'x' * 51}\n"
    folder = _tiny(tmp_path, recommendations=None, workforce=None)
    (folder / "case_population.csv").write_text("cpp_start_date,team_id\n" + body)
    _, _, issues, _ = read_review(folder, limits=small)
    [error] = [i for i in issues if i.file == "case_population.csv"]
    assert error.rule == f"limit_{limit}" and f"limits.{limit} = " in error.message
    if limit == "max_cell_chars":
        assert (error.row, error.column) == (2, "team_id")
