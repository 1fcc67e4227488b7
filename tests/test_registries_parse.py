"""Registry parsers on fixture files (tests/fixtures/registries/), and row-level diffs."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from fixtures.registries.xlsx_writer import build, rows_of

from monitor.registries.fara import parse_registrants
from monitor.registries.minjust import parse_export, parse_values, rows_from_pages, values_body
from monitor.registries.rows import RegistryFormatError, RegistryRow, diff_rows, iso_date, make_rows

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "registries"


def _bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _values() -> list[dict[str, object]]:
    return json.loads(_bytes("minjust_foreign_agents.json"))["values"]


def test_minjust_values_page_maps_the_documented_columns():
    size, raw = parse_values(_bytes("minjust_foreign_agents.json"), "minjust_foreign_agents")
    rows = rows_from_pages([(size, raw)])
    assert size == 4
    assert [r.key for r in rows] == ["reg:101", "reg:102", "reg:103", "reg:104"]
    meduza = rows[0].fields
    assert meduza["name"] == "Медуза (Meduza), SIA «Medusa Project»"
    assert (meduza["included"], meduza["inn"], meduza["domain"]) == ("2021-04-23", "9909565000", "meduza.io")
    assert "excluded" not in meduza  # null and "" are both "not set"
    assert rows[1].name == "Телеканал «Дождь» (TV Rain)"  # whitespace normalised
    assert rows[2].fields["excluded"] == "2024-03-15"


def test_minjust_undesirable_defaults_and_a_field_override():
    _, raw = parse_values(_bytes("minjust_undesirable.json"), "minjust_undesirable")
    assert raw[0]["country"] == "Латвийская Республика"
    assert raw[0]["included"] == "2023-01-26"
    _, raw = parse_values(_bytes("minjust_undesirable.json"), "minjust_undesirable", {"name": "field_3_s"})
    assert raw[1]["name"] == "Королевство Нидерландов"


def test_pages_that_do_not_add_up_are_an_error_not_a_shorter_register():
    page = json.dumps({"size": 3, "values": _values()[:2]}).encode()
    with pytest.raises(RegistryFormatError, match="incomplete"):
        rows_from_pages([parse_values(page, "minjust_foreign_agents")])


@pytest.mark.parametrize(
    "body",
    [b"<!DOCTYPE html><html>maintenance</html>", b'{"values": "x"}', b"[]", b'{"size": "many", "values": []}'],
)
def test_minjust_rejects_what_is_not_a_values_page(body):
    with pytest.raises(RegistryFormatError):
        parse_values(body, "minjust_foreign_agents")


def test_values_body_is_the_documented_query():
    assert json.loads(values_body(500, 250)) == {"offset": 500, "limit": 250, "search": "", "facets": {}, "sort": []}


def test_xlsx_export_gives_the_same_rows_as_json():
    json_rows = rows_from_pages([parse_values(_bytes("minjust_foreign_agents.json"), "minjust_foreign_agents")])
    assert parse_export(_bytes("minjust_foreign_agents.xlsx")) == json_rows


def test_two_exports_differ_in_bytes_but_not_in_rows():
    first, second = build(rows_of(_values())), build(rows_of(_values()))
    with zipfile.ZipFile(io.BytesIO(first)) as a, zipfile.ZipFile(io.BytesIO(second)) as b:
        assert a.read("docProps/core.xml") != b.read("docProps/core.xml")
    assert diff_rows(parse_export(first), parse_export(second)) == []


def test_xlsx_date_cells_and_bad_archives():
    assert iso_date("45000") == "2023-03-15"  # an Excel day number
    assert iso_date("2024-03-15") == iso_date("15.03.2024") == iso_date("03/15/2024") == "2024-03-15"
    assert iso_date("not a date") == "not a date"
    with pytest.raises(RegistryFormatError):
        parse_export(b"PK\x03\x04 not really a zip")
    with pytest.raises(RegistryFormatError, match="header"):
        parse_export(_headerless())


def _headerless() -> bytes:
    """An XLSX whose only row has no recognisable column titles."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    row = '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "xl/worksheets/sheet1.xml", f'<worksheet xmlns="{ns}"><sheetData>{row}</sheetData></worksheet>'
        )
    return buffer.getvalue()


def test_fara_active_and_terminated():
    active = parse_registrants(_bytes("fara_active.json"))
    assert [r.key for r in active] == ["reg:6001", "reg:7715"]  # the row without a number is skipped
    assert active[1].fields["included"] == "2026-04-14"
    assert active[1].name == "Smith, Jane Q."
    terminated = parse_registrants(_bytes("fara_terminated.json"))  # one row as an object, not a list
    assert terminated[0].fields["excluded"] == "2020-12-31"
    assert terminated[0].key == "reg:5001"
    assert parse_registrants(b'{"REGISTRANTS_TERMINATED": ""}') == []
    with pytest.raises(RegistryFormatError, match="not JSON"):
        parse_registrants(b"<html>FARA eFile</html>")
    with pytest.raises(RegistryFormatError):
        parse_registrants(b'{"SOMETHING_ELSE": {}}')


def _row(key: str, **fields: str) -> RegistryRow:
    return RegistryRow(key=key, fields={"name": key.upper(), **fields})


def test_row_diff_added_removed_changed_and_excluded():
    before = [_row("a", included="2021-01-01"), _row("b"), _row("c", domain="c.org")]
    after = [_row("c", domain="c.io"), _row("a", included="2021-01-01", excluded="2024-02-02"), _row("d")]
    changes = {c.key: c for c in diff_rows(before, after)}
    assert {k: c.change for k, c in changes.items()} == {"a": "removed", "b": "removed", "c": "changed", "d": "added"}
    assert changes["a"].detail == "excluded from the registry on 2024-02-02"
    assert changes["b"].detail.startswith("no longer listed")
    assert changes["c"].detail == "domain: c.org → c.io"
    assert diff_rows(after, list(reversed(after))) == []
    lifted = diff_rows([_row("a", excluded="2024-02-02")], [_row("a")])
    assert lifted[0].change == "added"
    assert lifted[0].detail == "exclusion of 2024-02-02 lifted"


def test_keys_fall_back_to_name_and_date_and_stay_unique():
    rows = make_rows(
        [{"name": "Иванов  И."}, {"name": "иванов и."}, {"name": "X", "included": "2020-01-01"}, {"name": ""}]
    )
    assert [r.key for r in rows] == ["name:иванов и.|", "name:иванов и.|#2", "name:x|2020-01-01"]


def test_a_corrected_exclusion_date_and_other_edits_are_changes():
    (fixed,) = diff_rows([_row("a", excluded="2024-02-02")], [_row("a", excluded="2024-02-03", domain="a.io")])
    assert fixed.change == "changed"
    assert fixed.detail == "excluded: 2024-02-02 → 2024-02-03; domain: — → a.io"
    (excluded,) = diff_rows([_row("a")], [_row("a", excluded="2024-02-02", domain="a.io")])
    assert excluded.detail == "excluded from the registry on 2024-02-02; domain: — → a.io"


def test_verified_tls_is_a_crawl_setting_only_where_asked():
    from monitor.crawl import FetchSettings, build_settings

    plain = build_settings(FetchSettings()).getdict("DOWNLOAD_HANDLERS")
    assert "https" not in plain
    verified = build_settings(FetchSettings(verify_tls=True, ca_file="ca.pem"))
    handlers = verified.getdict("DOWNLOAD_HANDLERS")
    assert handlers["https"] == "monitor.registries.tls.VerifyingHTTPSHandler"
    assert handlers["file"] is None  # the "web only" handlers stay switched off
    assert verified.get("TLS_CA_FILE") == "ca.pem"


def test_a_bundle_without_certificates_is_refused(tmp_path):
    from monitor.registries.tls import load_bundle

    (tmp_path / "empty.pem").write_text("not a certificate")
    with pytest.raises(ValueError, match="no PEM certificate"):
        load_bundle(tmp_path / "empty.pem")


def test_renamed_columns_are_a_format_error_not_an_empty_register():
    renamed = json.dumps({"size": 1, "values": [{"field_20_s": "Медуза", "field_80_s": "101"}]}).encode()
    with pytest.raises(RegistryFormatError, match="name column 'field_2_s'"):
        parse_values(renamed, "minjust_foreign_agents")
    with pytest.raises(RegistryFormatError, match="Registration_Number"):
        parse_registrants(b'{"REGISTRANTS_ACTIVE": {"ROW": [{"Reg_No": 1, "Name": "A"}]}}')


def test_info_columns_and_their_url():
    from monitor.registries.minjust import info_url, parse_columns

    assert (
        info_url("https://r.example/rest/registry/abc/values#offset=500") == "https://r.example/rest/registry/abc/info"
    )
    info = json.dumps({"columns": [{"name": "field_3_s", "title": "Страна"}, "junk"]}).encode()
    (column,) = parse_columns(info, "minjust_undesirable", {"country": "field_3_s"})
    assert (column["suggests"], column["mapped_to"]) == ("country", "country")
    with pytest.raises(RegistryFormatError, match="no 'columns'"):
        parse_columns(b'{"lastUpdate": "2026-11-20"}', "minjust_undesirable")
