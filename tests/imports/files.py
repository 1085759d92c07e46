"""Realistic, ugly export files made by the tests themselves."""

import csv
import io
from datetime import date, datetime

from openpyxl import Workbook

ZH_HEADER = [
    "票号",
    "航段序号",
    "信用代码",
    "旅客姓名",
    "航班号",
    "航班日期",
    "出发",
    "到达",
    "舱位",
    "子舱位",
    "净收入",
    "里程",
]
EN_HEADER = [
    "ticket_number", "coupon", "agreement_number", "traveller", "flight", "date", "origin", "destination",
    "cabin", "fare_class", "net_revenue", "distance",
]  # fmt: skip


def csv_bytes(rows: list[list], encoding: str = "utf-8", bom: bool = False, crlf: bool = True) -> bytes:
    """A CSV file as Excel or a reservation system writes it."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
    for row in rows:
        writer.writerow(row)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def booking(code: str, ticket: str, **kw) -> list:
    """One booking row under ZH_HEADER."""
    return [
        ticket,
        kw.get("coupon", "1"),
        code,
        kw.get("name", "张三"),
        kw.get("flight", "CA1501"),
        kw.get("day", "2026-03-05"),
        kw.get("origin", "PEK"),
        kw.get("destination", "SHA"),
        kw.get("cabin", "Y"),
        kw.get("fare", "B"),
        kw.get("revenue", "1,280.50"),
        kw.get("distance", "1088"),
    ]


def xlsx_bytes(code: str) -> bytes:
    """A workbook with a merged title row above the header, real date cells and Excel serials."""
    wb = Workbook()
    ws = wb.active
    ws.append(["国航协议客户航段明细（2026年3月）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(ZH_HEADER))
    ws.append(ZH_HEADER)
    ws.append(
        [9991000000001, 1, code, "王五", "CA1501", datetime(2026, 3, 5), "PEK", "SHA", "C", "J", 5200, 1088]
    )
    ws.append(["9991000000002", 2, code, "王五", "CA1502", 46087, "SHA", "PEK", "F", "A", 9800.5, 1088])
    ws.append(
        ["9991000000003", 1, code, "赵六", "CA1301", date(2026, 3, 7), "PEK", "CAN", "W", "", "3,100", None]
    )
    ws.append([None] * len(ZH_HEADER))
    ws.append(["9991000000004", 1, code, "赵六", "CA1301", "2026/3/8", "PEK", "QQQ1", "Y", "", 100, 100])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


COMPANY_HEADER = [
    "公司名称",
    "英文名称",
    "统一社会信用代码",
    "行业",
    "规模",
    "城市",
    "地址",
    "营业部",
    "客户经理",
]
