"""Bulk user import from a CSV: Garoon login, Microsoft 365 address, enabled.

Every row is validated before anything is written; rejected rows come back with their line
number and reason, the others are applied (nothing is written in a dry run). Japanese admins
export from Excel, so Shift_JIS (cp932, the variant Excel writes) is accepted next to UTF-8 with
or without a BOM.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from kakehashi.admin.checks import reason

# One "@", a dot in the domain, no spaces: the shape Exchange addresses have.
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_TRUE = {"true", "yes", "y", "1", "on", "enabled", "有効", "はい"}
_FALSE = {"false", "no", "n", "0", "off", "disabled", "無効", "いいえ"}
_HEADER_FIRST = {"garoon_login", "login", "garoon login", "ログイン名", "garoonログイン名"}


class CsvError(ValueError):
    """The file as a whole cannot be read (encoding, empty)."""


@dataclass
class Row:
    line: int
    login: str
    address: str
    enabled: bool


@dataclass
class Rejected:
    line: int
    reason: str
    login: str = ""
    address: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "login": self.login,
            "address": self.address,
            "reason": self.reason,
        }


@dataclass
class Parsed:
    encoding: str
    rows: list[Row] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name) for UTF-8 (BOM or not) or Shift_JIS."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        # Excel's "Unicode text" is UTF-16; cp932 would "decode" it into garbage rows.
        raise CsvError(
            "the file is UTF-16: save it as CSV UTF-8 or CSV (Shift_JIS) / "
            "UTF-16 のファイルです。CSV UTF-8 または CSV（Shift_JIS）で保存してください"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "shift_jis"
    except UnicodeDecodeError as exc:
        raise CsvError(
            f"the file is neither UTF-8 nor Shift_JIS (byte {exc.start}) / "
            f"UTF-8 でも Shift_JIS でもありません（{exc.start} バイト目）"
        ) from exc


def _parse_enabled(value: str) -> bool | None:
    text = value.strip().lower()
    if text == "":
        return True  # two-column files (login, address) enable everyone listed
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def parse(data: bytes) -> Parsed:
    """Rows that are well-formed on their own and unique within the file; the rest rejected."""
    text, encoding = decode(data)
    out = Parsed(encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    seen_login: dict[str, int] = {}
    seen_address: dict[str, int] = {}
    first = True
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank lines (Excel adds them at the end)
        if first:
            first = False
            if cells[0].strip().lower() in _HEADER_FIRST:
                continue
        if len(cells) not in (2, 3):
            out.rejected.append(
                Rejected(
                    line,
                    reason(
                        f"expected 3 columns (login, address, enabled), found {len(cells)}",
                        "列数が不正です（3 列: ログイン名, アドレス, 有効 のところ "
                        f"{len(cells)} 列）",
                    ),
                    cells[0].strip() if cells else "",
                )
            )
            continue
        login, address = cells[0].strip(), cells[1].strip()
        enabled = _parse_enabled(cells[2] if len(cells) == 3 else "")
        problem = ""
        if not login:
            problem = reason("Garoon login is missing", "Garoon のログイン名がありません")
        elif not _EMAIL.match(address):
            problem = reason(
                f"not a valid e-mail address: {address!r}",
                f"メールアドレスの形式が正しくありません: {address!r}",
            )
        elif enabled is None:
            problem = reason(
                f"enabled must be true or false, not {cells[2].strip()!r}",
                f"有効の値は true か false にしてください（{cells[2].strip()!r}）",
            )
        elif login in seen_login:
            problem = reason(
                f"login {login!r} already appears on line {seen_login[login]}",
                f"ログイン名 {login!r} は {seen_login[login]} 行目と重複しています",
            )
        elif address.lower() in seen_address:
            first_line = seen_address[address.lower()]
            problem = reason(
                f"address {address} already appears on line {first_line}",
                f"アドレス {address} は {first_line} 行目と重複しています",
            )
        if problem:
            out.rejected.append(Rejected(line, problem, login, address))
            continue
        assert enabled is not None
        seen_login[login] = line
        seen_address[address.lower()] = line
        out.rows.append(Row(line, login, address, enabled))
    if not out.rows and not out.rejected:
        raise CsvError("the file has no rows / 行がありません")
    return out
