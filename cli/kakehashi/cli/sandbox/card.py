"""What `kakehashi sandbox` prints: where things run, and commands to try both directions.

The commands are plain bash + curl + python3 against the simulators' "as a person" control
endpoints (which fire the same browser hints and change notifications a person would) and the
Garoon REST API; tests run them exactly as printed.
"""

from __future__ import annotations

import base64
import json
import shlex
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from kakehashi.cli.sandbox.manifest import Manifest

BEGIN = "# ---- try it (bash; paste the setup once, then each step) ----"
END = "# ---- end ----"
SUBJECT = "Kakehashi demo"

_SHOW = (
    "import json,sys; d=json.load(sys.stdin); d=d.get('events', d) if isinstance(d, dict) else d; "
    "[print(' ', e['id'][:16], e['subject'], e['start'].get('dateTime')) for e in d] "
    "or print('  (no events)')"
)
_ID = "import json,sys; print(json.load(sys.stdin)['id'])"


def _slot(tz: str, hour: int) -> tuple[str, str]:
    """Tomorrow hour:00-hour+1:00 local, as RFC 3339 with offset."""
    zone = ZoneInfo(tz)
    day = (datetime.now(zone) + timedelta(days=1)).date()
    start = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
    return start.isoformat(), (start + timedelta(hours=1)).isoformat()


def _j(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _q(value: object) -> str:
    return shlex.quote(_j(value))


def commands(m: Manifest) -> str:
    user = m.users[0]
    tz = m.tenant.time_zone
    start, end = _slot(tz, 10)
    moved = _slot(tz, 15)
    auth = base64.b64encode(f"{user.login}:{user.garoon_password}".encode()).decode()
    garoon_root = m.garoon.control_url.removesuffix("/_sim")
    created = {
        "eventType": "REGULAR",
        "subject": SUBJECT,
        "start": {"dateTime": start, "timeZone": tz},
        "end": {"dateTime": end, "timeZone": tz},
        "attendees": [{"type": "USER", "code": user.login}],
    }
    edit_changes = {
        "subject": f"{SUBJECT} (moved)",
        "start": {"dateTime": moved[0], "timeZone": tz},
        "end": {"dateTime": moved[1], "timeZone": tz},
    }
    outlook_event = {
        "subject": f"{SUBJECT} from Outlook",
        "start": {"dateTime": start[:19], "timeZone": "Tokyo Standard Time"},
        "end": {"dateTime": end[:19], "timeZone": "Tokyo Standard Time"},
    }
    lines = [
        BEGIN,
        f"export G={garoon_root} M={m.graph.url} CA={shlex.quote(m.graph.ca_file)}",
        f"J='Content-Type: application/json'; ME={user.email}",
        f'outlook() {{ echo "Outlook, $ME:"; curl -s --cacert "$CA" "$M/_sim/mailboxes/$ME/events"'
        f' | python3 -c "{_SHOW}"; }}',
        f"garoon() {{ echo 'Garoon, {user.login}:'; curl -s \"$G/g/api/v1/schedule/events\""
        f" -H 'X-Cybozu-Authorization: {auth}' | python3 -c \"{_SHOW}\"; }}",
        "",
        f"# 1. create: {user.login} adds an event in Garoon's screen; look in Outlook",
        f'EID=$(curl -sf -XPOST $G/_sim/person/{user.login}/create -H "$J" -d {_q(created)}'
        f' | python3 -c "{_ID}") && echo "Garoon event $EID" && outlook',
        f"# 2. change: {user.login} moves it to 15:00 in Garoon; look in Outlook",
        f'curl -sf -o /dev/null -XPOST $G/_sim/person/{user.login}/edit -H "$J" -d '
        f'\'{{"eventId":"\'$EID\'","range":"ALL","changes":{_j(edit_changes)}}}\' && outlook',
        f"# 3. delete: {user.login} deletes it in Garoon; look in Outlook",
        f'curl -sf -o /dev/null -XPOST $G/_sim/person/{user.login}/delete -H "$J" -d '
        '\'{"eventId":"\'$EID\'","range":"ALL"}\' && outlook',
        "",
        "# ... and the other way round, in Outlook; look in Garoon",
        f'OID=$(curl -sf --cacert "$CA" -XPOST "$M/_sim/people/$ME/events" -H "$J" -d '
        f'{_q(outlook_event)} | python3 -c "{_ID}") && echo "Outlook event $OID" && garoon',
        'curl -sf -o /dev/null --cacert "$CA" -XPATCH "$M/_sim/people/$ME/events/$OID" '
        '-H "$J" -d \'{"subject":"' + SUBJECT + " renamed in Outlook\"}' && garoon",
        'curl -sf -o /dev/null --cacert "$CA" -XDELETE "$M/_sim/people/$ME/events/$OID" && garoon',
        "",
        "# sync takes well under a second: if a copy is not there yet, run `outlook` or `garoon`",
        "# again. Both sides agree?  kakehashi verify",
        END,
    ]
    return "\n".join(lines)


def card(m: Manifest, manifest_path: str) -> str:
    svc = m.services
    others = ", ".join(
        f"{name} {entry.url.rsplit(':', 1)[1]}"
        for name, entry in svc.items()
        if name not in ("ingress", "admin")
    )
    users = ", ".join(f"{u.login}/{u.garoon_password} ⇄ {u.email}" for u in m.users)
    rooms = ", ".join(f"{r.code} ⇄ {r.email}" for r in m.rooms)
    lines = [
        f"Kakehashi sandbox: {m.tenant.name} (tenant {m.tenant.id!r}), {len(m.users)} linked users",
        f"  Graph simulator   {m.graph.url}   (HTTPS; CA {m.graph.ca_file})",
        f"  Garoon simulator  {m.garoon.url}   (control {m.garoon.control_url})",
        f"  ingress           {svc['ingress'].url}   {m.webhooks['garoon']}  {m.webhooks['graph']}",
        f"  admin API         {svc['admin'].url}/api/v1/   (Authorization: Bearer {m.admin_token})",
        f"  services          {others}   (/healthz /readyz /metrics)",
        f"  bus {m.bus}, store {m.store}; Graph subscriptions by {m.subscriptions_by}",
        f"  users    {users}",
        f"  rooms    {rooms};  menus = categories: {', '.join(m.menus)}",
        f"  manifest {manifest_path}",
        "",
        commands(m),
        "",
        "Ctrl-C stops everything.",
    ]
    return "\n".join(lines)
