"""`kakehashi mappings`: Garoon facility <-> room mailbox, schedule menu <-> Outlook category."""

from __future__ import annotations

import argparse
from typing import Any

from kakehashi.cli.commands._admin import (
    EXIT_OK,
    action,
    actions,
    call,
    emit,
    quote,
    table,
    tenant_path,
)

NAME = "mappings"
HELP = "facility <-> room mailbox and schedule menu <-> Outlook category tables (admin API)"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = actions(parser)
    action(sub, "list", _list, help="both tables")
    fac = action(sub, "set-facility", _set_facility, help="map a Garoon facility")
    fac.add_argument("code", help="Garoon facility code")
    fac.add_argument("room", help="room mailbox address")
    rm_fac = action(sub, "remove-facility", _remove_facility, help="unmap a facility")
    rm_fac.add_argument("code", help="Garoon facility code")
    menu = action(sub, "set-menu", _set_menu, help="map a schedule menu (予定メニュー)")
    menu.add_argument("menu", help="Garoon schedule menu")
    menu.add_argument("category", help="Outlook category (分類)")
    rm_menu = action(sub, "remove-menu", _remove_menu, help="unmap a schedule menu")
    rm_menu.add_argument("menu", help="Garoon schedule menu")


def _show(args: argparse.Namespace, data: Any) -> int:
    emit(args, data, render)
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    return _show(args, call(args, "GET", tenant_path(args, "/mappings")))


def _set_facility(args: argparse.Namespace) -> int:
    path = tenant_path(args, f"/mappings/facilities/{quote(args.code)}")
    return _show(args, call(args, "PUT", path, {"room": args.room}))


def _remove_facility(args: argparse.Namespace) -> int:
    path = tenant_path(args, f"/mappings/facilities/{quote(args.code)}")
    return _show(args, call(args, "DELETE", path))


def _set_menu(args: argparse.Namespace) -> int:
    path = tenant_path(args, f"/mappings/menus/{quote(args.menu)}")
    return _show(args, call(args, "PUT", path, {"category": args.category}))


def _remove_menu(args: argparse.Namespace) -> int:
    path = tenant_path(args, f"/mappings/menus/{quote(args.menu)}")
    return _show(args, call(args, "DELETE", path))


def render(data: dict[str, Any]) -> str:
    rooms = sorted(data["facility_rooms"].items())
    menus = sorted(data["menu_categories"].items())
    return "\n".join(
        [
            "facilities -> room mailboxes:",
            table([[k, v] for k, v in rooms], ["FACILITY", "ROOM"]) if rooms else "  (none)",
            "",
            "schedule menus -> Outlook categories (unmapped names pass through unchanged):",
            table([[k, v] for k, v in menus], ["MENU", "CATEGORY"]) if menus else "  (none)",
        ]
    )
