"""Building SOAP schedule_event parameters and reading responses in tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def find_all(text: str, name: str) -> list[ET.Element]:
    root = ET.fromstring(text)
    return [el for el in root.iter() if local(el.tag) == name]


def fault_code(text: str) -> str | None:
    codes = [el.text for el in find_all(text, "code")]
    return codes[0] if codes and find_all(text, "Fault") else None


def repeat_event(
    cond: dict[str, str],
    *,
    subject: str = "週次",
    tz: str = "Asia/Tokyo",
    users: tuple[int, ...] = (1,),
    event_id: str = "dummy",
    version: str = "-1",
    extra_attrs: str = "",
) -> str:
    attrs = " ".join(f'{k}="{v}"' for k, v in cond.items())
    members = "".join(f'<member><user id="{u}"/></member>' for u in users)
    return (
        f'<schedule_event id="{event_id}" event_type="repeat" version="{version}" '
        f'public_type="public" plan="" detail="{subject}" description="" '
        f'timezone="{tz}" end_timezone="{tz}" '
        f'allday="false" start_only="false" {extra_attrs}>'
        f"<members>{members}</members>"
        f"<repeat_info><condition {attrs}/></repeat_info></schedule_event>"
    )


def normal_event(
    start: str,
    end: str,
    *,
    subject: str = "単発",
    event_id: str = "dummy",
    version: str = "-1",
    users: tuple[int, ...] = (1,),
    description: str = "",
) -> str:
    members = "".join(f'<member><user id="{u}"/></member>' for u in users)
    return (
        f'<schedule_event id="{event_id}" event_type="normal" version="{version}" '
        f'public_type="public" plan="" detail="{subject}" description="{description}" '
        f'timezone="Asia/Tokyo" end_timezone="Asia/Tokyo" allday="false" start_only="false">'
        f"<members>{members}</members>"
        f'<when><datetime start="{start}" end="{end}"/></when></schedule_event>'
    )


def events_of(text: str) -> list[dict[str, Any]]:
    out = []
    for el in find_all(text, "schedule_event"):
        item: dict[str, Any] = dict(el.attrib)
        conds = [c for c in el.iter() if local(c.tag) == "condition"]
        item["condition"] = dict(conds[0].attrib) if conds else None
        item["exclusive"] = [
            dict(x.attrib) for x in el.iter() if local(x.tag) == "exclusive_datetime"
        ]
        item["datetime"] = [dict(x.attrib) for x in el.iter() if local(x.tag) == "datetime"]
        out.append(item)
    return out
