//! The request a message makes, as the policy works it out: a booking request amended or
//! started afresh, the message's dates placed in the request's month, and the new stay a
//! reschedule asks for.

use agent_nodes::nlu::Entities;
use chrono::{Datelike, NaiveDate};

use super::{Dialog, World};
use crate::booking::merge;
use crate::reading::{Reading, YearSwitch};
use crate::state::{Slots, Stay};

/// The booking request after `r`: the one in progress amended, or a new one — from the
/// previous request when the guest says "same dates" or "the same again", at the hotel in
/// focus when the message names none.
pub(super) fn request(d: &Dialog, r: &Reading, w: World<'_>, named: Option<&String>) -> Slots {
    let mut base = if d.slots.started() && !r.fresh_start {
        d.slots.clone()
    } else {
        Slots::default()
    };
    if let Some(previous) = d.previous.as_ref().filter(|_| !d.slots.started()) {
        // "Not now" … "actually u know what let's do it. the austin one, mar 1-3": the request
        // dropped, taken up again (at its own hotel).
        let taken_up = LETS_DO_IT.is_match(&crate::text::fold(&r.message))
            && named.is_none_or(|h| previous.hotel.as_ref() == Some(h));
        // "Uy no, mucha plata" then "bueno, entonces que sean solo 2 noches": the request
        // declined, with its new length.
        let new_length = named.is_none()
            && r.entities.check_in.is_none()
            && r.entities.check_out.is_none()
            && r.entities.nights.is_some()
            && r.entities.room_type.is_none()
            && r.entities.adults.is_none();
        if r.same_request || taken_up || new_length {
            base = previous.clone();
        }
        if r.same_dates || (r.adds && !r.has_dates()) {
            (base.check_in, base.check_out) = (previous.check_in, previous.check_out);
        }
        // "Same dates somewhere else" is the same party too, unless the message names another
        // ("the same week for my parents") or a number.
        if r.same_people || ((r.same_request || r.same_dates) && !r.other_party) {
            base.guests = previous.guests;
        }
        // "Make a new one then, same room, dec 14 to 16": the room of the last request.
        if r.same_room && r.entities.room_type.is_none() {
            base.room.clone_from(&previous.room);
            if named.is_none() && d.focus.is_none() {
                base.hotel.clone_from(&previous.hotel);
            }
        }
        // "What would a standard be, same dates?" after declining a suite: the same hotel,
        // unless the message names another.
        if r.same_dates && named.is_none() && d.focus.is_none() {
            base.hotel.clone_from(&previous.hotel);
        }
    }
    // "Same dates" while the request has none: the stay of the guest's booking just shown or
    // named ("I have a booking at the seaside for dec 12 … and the lodge for the same
    // dates?", "can u get her her own standard room same dates").
    if r.same_dates
        && base.check_in.is_none()
        && let Some(b) = d
            .shown
            .clone()
            .or_else(|| super::bookings::pick_booking(r, w, None))
            .and_then(|p| super::bookings::booking(w, &p))
    {
        (base.check_in, base.check_out) = (Some(b.quote.check_in), Some(b.quote.check_out));
        if !r.other_party {
            base.guests = Some(b.quote.guests);
        }
    }
    if named.is_none() && d.focus.is_some() && d.focus != base.hotel {
        let mut focus = Entities::default();
        focus.hotel.clone_from(&d.focus);
        base = merge(w.catalog, base, &focus);
    }
    let mut entities = amendment(r, &base, d.month, w.today);
    // "Then I'm flying to Dallas Thursday evening" right after a stay that ends on a Thursday:
    // that Thursday, not the next one from today.
    if let (Some(weekday), Some(arrival), Some(before)) = (
        r.weekday,
        entities.check_in,
        d.previous.as_ref().and_then(|p| p.check_out),
    ) && !d.slots.started()
        && r.months.is_empty()
        && !r.day_only
        && before.weekday() == weekday
        && before > arrival
        && (before - arrival).num_days() % 7 == 0
    {
        let later = before - arrival;
        entities.check_in = Some(before);
        entities.check_out = entities.check_out.map(|out| out + later);
    }
    let mut slots = merge(w.catalog, base, &entities);
    // "The cheapest place you have for this weekend": with no hotel in mind, the hotel of the
    // cheapest room that fits the party.
    if r.cheapest
        && slots.hotel.is_none()
        && r.entities.room_type.is_none()
        && slots.check_in.is_some()
    {
        let fits = |room: &&hotel::RoomType| slots.guests.is_none_or(|g| room.max_guests >= g);
        slots.hotel = w
            .catalog
            .hotels()
            .iter()
            .filter_map(|h| {
                h.rooms
                    .iter()
                    .filter(fits)
                    .map(|room| room.base)
                    .min()
                    .map(|b| (b, h))
            })
            .min_by_key(|(base, _)| *base)
            .map(|(_, h)| h.code.clone());
    }
    // "Your biggest room", "la más barata": the hotel's largest or cheapest (that fits the
    // party, when it is known).
    if (r.biggest || r.cheapest)
        && r.entities.room_type.is_none()
        && let Some(h) = slots.hotel.as_deref().and_then(|c| w.catalog.hotel(c).ok())
    {
        let fits = |room: &&hotel::RoomType| slots.guests.is_none_or(|g| room.max_guests >= g);
        let room = if r.biggest {
            h.rooms.iter().max_by_key(|room| room.max_guests)
        } else {
            h.rooms.iter().filter(fits).min_by_key(|room| room.base)
        };
        if let Some(room) = room {
            slots.room = Some(room.kind.name().to_owned());
        }
    }
    only_fitting_room(w.catalog, &mut slots);
    slots
}

/// "Something for 4 in Colorado", "how much is the budget stay, still 3 of us": when one room
/// type alone holds the party at the request's hotel, there is no choice to ask about.
pub(super) fn only_fitting_room(catalog: &hotel::Catalog, slots: &mut Slots) {
    if slots.room.is_none()
        && let (Some(h), Some(guests)) = (
            slots.hotel.as_deref().and_then(|c| catalog.hotel(c).ok()),
            slots.guests,
        )
        && let [only] = h
            .rooms
            .iter()
            .filter(|room| room.max_guests >= guests)
            .collect::<Vec<_>>()
            .as_slice()
    {
        slots.room = Some(only.kind.name().to_owned());
    }
}

/// The entities of `r` as they amend `slots`: days of the month alone ("del 12 al 15") in the
/// month of the request, a weekday ("until Monday") after its arrival, and a bare number ("5
/// then") as the party when the request has one or lacks one.
pub(super) fn amendment(
    r: &Reading,
    slots: &Slots,
    month: Option<u32>,
    today: NaiveDate,
) -> Entities {
    let mut e = anchored(r, slots, month, today);
    // "3 nights, until Friday": the understander counted the nights back from the Friday
    // after today; the request's own arrival is where they start.
    let counted_back = e.nights.is_some_and(|n| {
        e.check_in
            .zip(e.check_out)
            .is_some_and(|(i, o)| (o - i).num_days() == i64::from(n))
    }) && !r.day_only
        && r.months.is_empty();
    // "Just for monday night", "la noche del lunes": the weekday is the night's, its arrival.
    let folded = crate::text::fold(&r.message);
    let words = crate::text::words(&folded);
    let night_of = words
        .windows(2)
        .any(|w| crate::reading::weekday_word(w[0]).is_some() && matches!(w[1], "night" | "nite"))
        || words.windows(3).any(|w| {
            w[0] == "noche" && w[1] == "del" && crate::reading::weekday_word(w[2]).is_some()
        });
    if counted_back && slots.check_in.is_some() && r.weekday.is_some() && !night_of {
        e.check_in = None;
    }
    // "Uy no, llegamos el sábado, no el viernes" of a stay from Friday Jan 8: the Saturday of
    // that week, not the next one from today ("next saturday" is still counted from today).
    if let (Some(weekday), Some(arrival), Some(new_in), None) =
        (r.weekday, slots.check_in, e.check_in, e.check_out)
        && new_in.weekday() == weekday
        && (new_in - arrival).num_days().abs() > 6
        && !r.day_only
        && r.months.is_empty()
        && !words.iter().any(|w| {
            matches!(
                *w,
                "next" | "this" | "coming" | "proximo" | "este" | "siguiente"
            )
        })
        && !folded.contains("que viene")
        && let Some(near) = (arrival - chrono::Duration::days(3))
            .iter_days()
            .take(7)
            .find(|d| d.weekday() == weekday)
    {
        e.check_in = Some(near);
    }
    if let (Some(weekday), Some(arrival), None, Some(_)) =
        (r.weekday, slots.check_in, e.check_in, e.check_out)
    {
        e.check_out = arrival
            .succ_opt()
            .and_then(|from| from.iter_days().take(7).find(|d| d.weekday() == weekday));
    }
    if e.adults.is_none() && e.children.is_none() && slots.started() && !r.has_dates() {
        e.adults = r.bare_number;
    }
    // "Lo mismo pero en el grand plaza? es para san valentín" of a stay Feb 12–14: the
    // holiday says what the stay is for; it is in the stay already.
    if let (Some(day), None, Some(arrival), Some(departure)) =
        (e.check_in, e.check_out, slots.check_in, slots.check_out)
        && arrival <= day
        && day <= departure
        && crate::reading::names_holiday(&folded)
        && !folded.bytes().any(|b| b.is_ascii_digit())
    {
        e.check_in = None;
    }
    // "Entonces esta navidad, mismas fechas" after dates a year too far: the day named only
    // says which year; the request's days stay.
    if let (true, Some(day), None, Some(arrival), Some(departure)) = (
        r.same_dates,
        e.check_in,
        e.check_out,
        slots.check_in,
        slots.check_out,
    ) && day.year() != arrival.year()
        && day.month() == arrival.month()
        && let Some(moved) = arrival.with_year(day.year())
    {
        e.check_in = Some(moved);
        e.check_out = Some(moved + (departure - arrival));
    }
    // "I meant January": the same days, in that month (the next one from today).
    if let (Some(month), Some(arrival), Some(departure), false) = (
        r.month_switch,
        slots.check_in,
        slots.check_out,
        r.has_dates(),
    ) {
        let moved = (0..=1).find_map(|years| {
            let year = today.year() + years;
            let arrival = arrival.with_year(year)?.with_month(month)?;
            (arrival >= today).then_some(arrival)
        });
        if let Some(new_in) = moved {
            e.check_in = Some(new_in);
            e.check_out = new_in.checked_add_signed(departure - arrival);
        }
    }
    // "Sorry, I meant 2027": the same days, in that year.
    if let (Some(switch), Some(arrival), Some(departure), false) = (
        r.year_switch,
        slots.check_in,
        slots.check_out,
        r.has_dates(),
    ) {
        let year = match switch {
            YearSwitch::To(year) => year,
            YearSwitch::Later(years) => arrival.year() + years,
            YearSwitch::This => today.year(),
        };
        if let Some(new_in) = arrival.with_year(year) {
            e.check_in = Some(new_in);
            e.check_out = new_in.checked_add_signed(departure - arrival);
        }
    }
    // "Yes but one more night", "una noche menos": the request's departure moves; "push it a
    // week": both dates do ("a day earlier, we leave" only the departure). Dates written out
    // beside them say more.
    if let (Some(arrival), Some(departure), false) =
        (slots.check_in, slots.check_out, r.has_dates())
    {
        if let Some(extra) = r.extra_nights {
            let out = departure + chrono::Duration::days(extra);
            if out > arrival {
                e.check_out = Some(out);
            }
        } else if let Some(shift) = r.shift_days {
            let shift = chrono::Duration::days(shift);
            if !r.leaving {
                e.check_in = Some(arrival + shift);
            }
            if !r.keeps_departure {
                e.check_out = Some(departure + shift);
            }
        }
    }
    e
}

/// Whether a correction made the stay much longer than quoted without the guest saying a
/// length: more than twice as long and over a week is more likely a misread date than a wish,
/// so the dates are asked for rather than quoted.
pub(super) fn surprising_length(quoted: &Stay, amended: &Slots, r: &Reading) -> bool {
    let Some((check_in, check_out)) = amended.check_in.zip(amended.check_out) else {
        return false;
    };
    let before = (quoted.check_out - quoted.check_in).num_days();
    let after = (check_out - check_in).num_days();
    r.entities.nights.is_none() && after > 7 && after > 2 * before
}

/// The message's entities, with days of the month alone ("del 12 al 15") placed in the month
/// of the request they amend rather than counted from today.
pub(super) fn anchored(
    r: &Reading,
    slots: &Slots,
    month: Option<u32>,
    today: NaiveDate,
) -> Entities {
    let mut e = r.entities.clone();
    // The request's arrival, or else the first of the month it was said to be in.
    let month_first = month.and_then(|m| {
        let first = today.with_day(1)?;
        (0..12).find_map(|k| {
            let d = first.checked_add_months(chrono::Months::new(k))?;
            (d.month() == m).then_some(d)
        })
    });
    let Some(draft_in) = slots.check_in.or(month_first).filter(|_| r.day_only) else {
        return e;
    };
    let month_start = draft_in.with_day(1).unwrap_or(draft_in).max(today);
    let next_day = |from: NaiveDate, day: u32| from.iter_days().take(62).find(|d| d.day() == day);
    match (e.check_in, e.check_out) {
        (Some(check_in), check_out) => {
            e.check_in = next_day(month_start, check_in.day());
            // A request over the turn of a month (Dec 28 – Jan 2): "llegamos el 2" is the day
            // nearer the request, January's.
            let later_month = slots
                .check_out
                .filter(|out| out.month() != draft_in.month())
                .and_then(|out| out.with_day(1))
                .and_then(|first| next_day(first, check_in.day()));
            if let (Some(near), Some(later)) = (e.check_in, later_month)
                && (later - draft_in).num_days().abs() < (near - draft_in).num_days().abs()
            {
                e.check_in = Some(later);
            }
            if let (Some(new_in), Some(out)) = (e.check_in, check_out) {
                e.check_out = new_in.succ_opt().and_then(|d| next_day(d, out.day()));
                // "The 18th, mon to fri": the Friday after the arrival placed, unless the
                // departure's day is written out.
                let written = crate::text::words(&crate::text::fold(&r.message))
                    .iter()
                    .any(|w| w.trim_end_matches(char::is_alphabetic) == out.day().to_string());
                if let (Some(end), false) = (r.range_end, written) {
                    e.check_out = new_in
                        .succ_opt()
                        .and_then(|d| d.iter_days().take(7).find(|d| d.weekday() == end));
                }
            }
        }
        (None, Some(out)) => {
            let from = slots
                .check_in
                .and_then(|d| d.succ_opt())
                .unwrap_or(month_start);
            e.check_out = next_day(from, out.day());
        }
        (None, None) => {}
    }
    e
}

/// Whether a correction moved the stay to another month without the guest naming one ("the
/// concert is on the 5th, I'll stay until Sunday" read as December in a March request): more
/// likely a misread date than a wish, so the dates are asked for rather than quoted.
pub(super) fn surprising_move(quoted: &Stay, amended: &Slots, r: &Reading) -> bool {
    let Some(check_in) = amended.check_in else {
        return false;
    };
    r.months.is_empty()
        && r.month_switch.is_none()
        && r.entities.check_in.is_some()
        && (check_in.year(), check_in.month()) != (quoted.check_in.year(), quoted.check_in.month())
        // A stay over the turn of a month moves within its own months.
        && (check_in.year(), check_in.month()) != (quoted.check_out.year(), quoted.check_out.month())
}

/// "Let's do it", "hagámoslo": a request taken up again.
static LETS_DO_IT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"\b(?:lets|let\s+us)\s+do\s+it\b|\bhagamoslo\b|\bvamos\s+con\s+(?:eso|esa|ese)\b",
    )
    .unwrap_or_else(|e| panic!("let's do it rule: {e}"))
});
