"""Hypothesis strategies shared by the engine tests."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta

from hypothesis import strategies as st

from kakehashi.contracts.event import (
    CompanyInfo,
    Facility,
    Frequency,
    NormalizedEvent,
    Person,
    Recurrence,
    Response,
    Visibility,
    Weekday,
)
from kakehashi.engine import timezones
from kakehashi.engine.translate.context import TranslationContext

ZONES = ["Asia/Tokyo", "America/New_York", "Europe/Berlin", "UTC", "Australia/Sydney"]
WEEKDAYS = list(Weekday)

CTX = TranslationContext(
    facility_rooms={"room-a": "room-a@contoso.example", "room-b": "room-b@contoso.example"},
    menu_categories={"会議": "Meeting", "外出": "Out of office"},
    users={f"user{i}": f"user{i}@contoso.example" for i in range(6)},
    default_zone="Asia/Tokyo",
)

_text_chars = st.characters(
    codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters="<>&\r\u0085"
)
line = st.text(_text_chars, max_size=20).map(str.strip)
word = st.text(st.sampled_from("abcdefxyz"), min_size=1, max_size=6)


@st.composite
def body_text(draw: st.DrawFn) -> str:
    lines = draw(st.lists(line, max_size=4))
    from kakehashi.engine.body import normalize_text

    return normalize_text("\n".join(lines))


def rules(garoon_only: bool = False) -> st.SearchStrategy[Recurrence]:
    start = st.dates(date(2024, 1, 1), date(2027, 12, 31))

    @st.composite
    def build(draw: st.DrawFn) -> Recurrence:
        s = draw(start)
        if garoon_only:
            kind = draw(st.sampled_from(["day", "weekday", "week", "nth", "mday"]))
            freq = {
                "day": Frequency.DAILY,
                "weekday": Frequency.WEEKLY,
                "week": Frequency.WEEKLY,
                "nth": Frequency.MONTHLY_WEEKDAY,
                "mday": Frequency.MONTHLY_DAY,
            }[kind]
            interval = draw(st.sampled_from([1, 2, 3])) if kind == "week" else 1
            days: tuple[Weekday, ...] = ()
            if kind == "weekday":
                days = tuple(WEEKDAYS[:5])
            elif kind in ("week", "nth"):
                days = (draw(st.sampled_from(WEEKDAYS)),)
            wom = draw(st.sampled_from([1, 2, 3, 4, -1])) if kind == "nth" else None
            dom = draw(st.sampled_from([*range(1, 32), -1])) if kind == "mday" else None
            until = draw(st.none() | st.dates(s, s + timedelta(days=800)))
            return Recurrence(
                frequency=freq,
                interval=interval,
                weekdays=days,
                week_of_month=wom,
                day_of_month=dom,
                start_date=s,
                until=until,
            )
        freq = draw(st.sampled_from([f for f in Frequency if f != Frequency.UNKNOWN]))
        interval = draw(st.integers(1, 5))
        days = ()
        wom = dom = month = None
        if freq in (Frequency.WEEKLY, Frequency.MONTHLY_WEEKDAY, Frequency.YEARLY_WEEKDAY):
            days = tuple(draw(st.sets(st.sampled_from(WEEKDAYS), min_size=1, max_size=3)))
        if freq in (Frequency.MONTHLY_WEEKDAY, Frequency.YEARLY_WEEKDAY):
            wom = draw(st.sampled_from([1, 2, 3, 4, -1]))
        if freq in (Frequency.MONTHLY_DAY, Frequency.YEARLY_DAY):
            # Graph's day 31 is Outlook's end of month, so 31 is spelled -1 here.
            top = 29 if freq == Frequency.YEARLY_DAY else 31
            dom = draw(st.sampled_from([*range(1, top), *([-1] if top == 31 else [])]))
        if freq in (Frequency.YEARLY_DAY, Frequency.YEARLY_WEEKDAY):
            month = draw(st.integers(1, 12))
        end = draw(st.sampled_from(["none", "until", "count"]))
        return Recurrence(
            frequency=freq,
            interval=interval,
            weekdays=days,
            week_of_month=wom,
            day_of_month=dom,
            month=month,
            start_date=s,
            until=draw(st.dates(s, s + timedelta(days=1500))) if end == "until" else None,
            count=draw(st.integers(1, 40)) if end == "count" else None,
        )

    return build()


people_logins = st.sampled_from([f"user{i}" for i in range(6)] + ["ghost1", "ghost2"])


@st.composite
def events(draw: st.DrawFn, garoon: bool = False, graph: bool = False) -> NormalizedEvent:
    """Events whose every field both sides can express (the round-trip domain)."""
    tz = draw(st.sampled_from(ZONES))
    day = draw(st.dates(date(2025, 1, 1), date(2027, 12, 31)))
    kind = draw(st.sampled_from(["timed", "allday", "banner"]))
    if kind == "timed":
        at = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))
        # Round through UTC so a wall time inside a DST gap becomes a real one.
        start = timezones.localize(day, at, tz).astimezone(UTC).astimezone(timezones.zone(tz))
        # Elapsed time, not wall-clock arithmetic (which can land inside a DST gap).
        length = timedelta(minutes=draw(st.integers(0, 48 * 4)) * 15)
        end = (start.astimezone(UTC) + length).astimezone(timezones.zone(tz))
    else:
        n = draw(st.integers(2, 5)) if kind == "banner" else 1
        start = timezones.local_midnight(day, tz)
        end = timezones.local_midnight(day + timedelta(days=n), tz)
    organizer_login = draw(st.sampled_from([f"user{i}" for i in range(6)]))
    organizer = Person(
        garoon_login=organizer_login,
        email=CTX.users[organizer_login],
        name=draw(word),
    )
    logins = draw(st.sets(people_logins, max_size=4)) - {organizer_login}
    attendees = []
    for login in sorted(logins):
        email = CTX.users.get(login)
        response = Response.NONE
        if email:
            choices = [Response.NONE, Response.ACCEPTED, Response.DECLINED]
            if not garoon:
                choices.append(Response.TENTATIVE)
            response = draw(st.sampled_from(choices))
        attendees.append(
            Person(garoon_login=login, email=email, name=draw(word), response=response)
        )
    for i in range(draw(st.integers(0, 2))):
        attendees.append(Person(email=f"guest{i}@example.org", name=draw(word)))
    facilities = [
        Facility(garoon_code=c, room_email=CTX.facility_rooms.get(c), name=draw(word))
        for c in sorted(draw(st.sets(st.sampled_from(["room-a", "room-b", "hall"]), max_size=2)))
    ]
    company = CompanyInfo(
        name=draw(line),
        zip_code=draw(line),
        route=draw(line),
        route_time=draw(line),
        route_fare=draw(line),
        phone=draw(line),
    )
    recurrence = None
    if kind != "banner" and draw(st.booleans()):
        rule = draw(rules(garoon_only=garoon))
        recurrence = rule.model_copy(update={"start_date": day})
        if recurrence.until is not None and recurrence.until < day:
            recurrence = recurrence.model_copy(update={"until": day})
        if draw(st.booleans()):
            from kakehashi.engine.recurrence import occurrence_dates

            dates = occurrence_dates(recurrence, day, day + timedelta(days=90))
            if len(dates) > 1:
                ex = draw(st.sets(st.sampled_from(dates[1:]), max_size=2))
                recurrence = recurrence.model_copy(update={"excluded": tuple(sorted(ex))})
    return NormalizedEvent(
        title=draw(line),
        body=draw(body_text()),
        start=start,
        end=end,
        timezone=tz,
        all_day=kind != "timed",
        banner=kind == "banner",
        visibility=draw(st.sampled_from(list(Visibility))),
        category=draw(st.sampled_from(["", "会議", "外出", "Travel"])),
        organizer=organizer,
        attendees=tuple(attendees),
        facilities=tuple(facilities),
        location=draw(line),
        company=company,
        join_url=draw(st.none() | st.just("https://teams.microsoft.com/l/meetup-join/abc")),
        # Graph reads an attendance check only where someone is invited (translate/graph.py).
        attendance_check=draw(st.booleans())
        if garoon or any(p.email for p in attendees)
        else False,
        recurrence=recurrence,
    )
