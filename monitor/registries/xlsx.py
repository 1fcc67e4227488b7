"""Just enough of SpreadsheetML to read the first sheet of an XLSX file as rows of text (zipfile + lxml).

No dependency for one export format. Hostile input is bounded: the archive's total unpacked size is
capped (a zip bomb is refused before anything is inflated) and XML is parsed without entities or network.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

from lxml import etree

from monitor.registries.rows import RegistryFormatError

MAX_UNPACKED = 200_000_000  # bytes; the MoJ export is a few MB
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def read_sheet(data: bytes) -> list[list[str]]:
    """The first worksheet as rows of cell texts (gaps filled with ``""``); RegistryFormatError if not XLSX."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise RegistryFormatError(f"XLSX unpacks to more than {MAX_UNPACKED} bytes")
            strings = _shared_strings(archive)
            sheet = _xml(archive, _first_sheet(archive))
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise RegistryFormatError(f"not a readable XLSX file: {exc}") from None
    return [_row(row, strings) for row in sheet.iterfind("m:sheetData/m:row", _NS)]


def _xml(archive: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(archive.read(name), _PARSER)


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The path of the workbook's first sheet (via its relationship), or the conventional one."""
    try:
        workbook = _xml(archive, "xl/workbook.xml")
        sheet = workbook.find("m:sheets/m:sheet", _NS)
        rels = _xml(archive, "xl/_rels/workbook.xml.rels")
        rel_id = sheet.get(f"{{{_NS['r']}}}id") if sheet is not None else None
        for rel in rels.iterfind("rel:Relationship", _NS):
            if rel.get("Id") == rel_id:
                target = rel.get("Target", "")
                return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    except KeyError:
        pass
    return "xl/worksheets/sheet1.xml"


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    root = _xml(archive, "xl/sharedStrings.xml")
    return ["".join(si.itertext()) for si in root.iterfind("m:si", _NS)]


def _row(row: etree._Element, strings: list[str]) -> list[str]:
    cells: dict[int, str] = {}
    for position, cell in enumerate(row.iterfind("m:c", _NS)):
        match = _CELL_REF.match(cell.get("r", ""))
        column = _column_index(match.group(1)) if match else position
        cells[column] = _value(cell, strings)
    width = max(cells, default=-1) + 1
    return [cells.get(i, "") for i in range(width)]


def _value(cell: etree._Element, strings: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find("m:is", _NS)
        return "".join(inline.itertext()) if inline is not None else ""
    value = cell.findtext("m:v", default="", namespaces=_NS)
    if kind == "s":
        try:
            return strings[int(value)]
        except (ValueError, IndexError):
            raise RegistryFormatError(f"cell {cell.get('r')} points at a missing shared string") from None
    return value


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - ord("A") + 1)
    return index - 1
