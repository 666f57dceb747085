//! The new stay a reschedule asks for: shifted, moved to a new arrival, or to new dates
//! placed from the booking's own month.

use chrono::{Datelike, NaiveDate};
use hotel::Booking;

use super::request::anchored;
use crate::reading::Reading;
use crate::state::Slots;

/// [`new_dates`], unless they make the stay much longer without the guest saying a length
/// (more than twice as long and over a week: "we'd leave monday the 14th" misread as a
/// fortnight). Those are asked for instead; the answer to that question is read with
/// [`new_dates`] itself, so a guest who meant it is not asked forever.
pub(super) fn likely_new_dates(
    r: &Reading,
    b: Option<&Booking>,
    today: NaiveDate,
) -> Option<(NaiveDate, NaiveDate)> {
    let (check_in, check_out) = new_dates(r, b, today)?;
    let before = b.map_or(0, |b| (b.quote.check_out - b.quote.check_in).num_days());
    let after = (check_out - check_in).num_days();
    let said = r.entities.nights.is_some() || r.extra_nights.is_some() || r.shift_days.is_some();
    (said || after <= 7 || after <= 2 * before).then_some((check_in, check_out))
}

/// The new stay a reschedule asks for, given the booking it moves: shifted ("a week later"),
/// moved to a new arrival keeping its length, or to new dates; days of the month alone are
/// placed from the booking's month, and "from the 3rd to the 10th" (its own arrival first)
/// means arriving on the 10th.
pub(super) fn new_dates(
    r: &Reading,
    b: Option<&Booking>,
    today: NaiveDate,
) -> Option<(NaiveDate, NaiveDate)> {
    let b = b?;
    let (old_in, old_out) = (b.quote.check_in, b.quote.check_out);
    let nights = (old_out - old_in).num_days().max(1) as u64;
    // "Add a night", "una noche menos": the departure moves — to the date given with it
    // ("one more night, checking out the 29th"), or by the nights added when the only dates
    // are the booking's own ("tengo del 4 al 6 y quisiera dos noches más").
    if let Some(extra) = r.extra_nights
        && r.entities.check_in.is_none_or(|d| d == old_in)
        && r.entities.check_out.is_none_or(|d| d == old_out)
    {
        let out = old_out + chrono::Duration::days(extra);
        return (out > old_in).then_some((old_in, out));
    }
    // "Extend my NYE stay by a night, till jan 3": the departure said with the nights added.
    if let (Some(extra), Some(out)) = (r.extra_nights, r.entities.check_out)
        && extra > 0
        && r.entities.check_in.is_none_or(|d| d == old_in)
        && out > old_out
    {
        return Some((old_in, out));
    }
    // "Come a day later? Arriving the 13th, still leaving Monday": new days written out say
    // more than the offset beside them (a month named is more often the booking's own: "the
    // January one, the following weekend").
    // ("¿La pueden pasar al martes 24 y salir el miércoles 25?": days named with their
    // weekday are written out too.)
    let both = r.entities.check_in.is_some()
        && r.entities.check_out.is_some()
        && (r.day_only || WEEKDAY_DAY.is_match(&crate::text::fold(&r.message)));
    // "Tengo reserva para fin de año y nos volvemos un día antes, el 3 en vez del 4": a day
    // inside the stay names the booking; only the departure moves.
    // ("Arriving tue the 24th and leaving thu the 26th" moves the arrival too.)
    let folded = crate::text::fold(&r.message);
    let arrival_said = [
        "arriv", "lleg", "check in", "checkin", "check-in", "entrada", "from", "desde", "get in",
    ]
    .iter()
    .any(|w| folded.contains(w));
    // (Only a holiday, not written as a number: "fin de año", "new year's".)
    let holiday = crate::reading::names_holiday(&folded);
    let written = |day: NaiveDate| {
        crate::text::words(&folded)
            .iter()
            .any(|w| w.trim_end_matches(char::is_alphabetic) == day.day().to_string())
    };
    if r.leaving
        && !arrival_said
        && holiday
        && r.entities
            .check_in
            .is_some_and(|i| i > old_in && i < old_out && !written(i))
    {
        let mut departure = r.clone();
        departure.entities.check_in = None;
        return new_dates(&departure, Some(b), today);
    }
    if let Some(shift) = r.shift_days.filter(|_| !both) {
        let shift = chrono::Duration::days(shift);
        // "We leave a day early" moves the departure only; "a day later, checkout stays the
        // same" the arrival only.
        if r.leaving {
            return (old_out + shift > old_in).then_some((old_in, old_out + shift));
        }
        if r.keeps_departure {
            return (old_in + shift < old_out).then_some((old_in + shift, old_out));
        }
        return Some((old_in + shift, old_out + shift));
    }
    let as_slots = Slots {
        check_in: Some(old_in),
        check_out: Some(old_out),
        ..Slots::default()
    };
    let mut e = anchored(r, &as_slots, None, today);
    // "Queremos quedarnos hasta el lunes": the Monday after the booking's arrival, not the
    // next one from today.
    // (A day written out, "checking out Friday the 11th", says more than the weekday.)
    // (A reference's digits, "HPH ZKNHF2", write no day.)
    let written_day = r.message.split(|c: char| !c.is_alphanumeric()).any(|w| {
        let digits = w.trim_start_matches(|c: char| c.is_ascii_digit());
        digits.len() < w.len() && matches!(digits, "" | "st" | "nd" | "rd" | "th")
    });
    if let (Some(weekday), None, true, false) = (r.weekday, e.check_in, r.leaving, written_day) {
        e.check_out = old_in
            .succ_opt()
            .and_then(|from| from.iter_days().take(7).find(|d| d.weekday() == weekday));
    }
    let keep_length = |arrival: NaiveDate| {
        let nights = e.nights.map_or(nights, u64::from);
        arrival.checked_add_days(chrono::Days::new(nights))
    };
    let dates = match (e.check_in, e.check_out) {
        // "Add a night, leaving the 11th", "salir el 3 de enero": a single date about leaving
        // is the new departure.
        (Some(date), None) | (None, Some(date)) if r.leaving || r.extra_nights.is_some() => {
            (old_in, date)
        }
        // "One more night, checking out on the 29th": nights added move the departure only.
        // ("Un día tarde y una noche más, o sea del 24 al 28" says the whole new stay.)
        (arrival, Some(departure))
            if r.extra_nights.is_some() && arrival.is_none_or(|a| a == old_in) =>
        {
            (old_in, departure)
        }
        // The booking's own dates are no new ones.
        (Some(from), Some(to)) if (from, to) == (old_in, old_out) => return None,
        // ("Only need my room dec 1 to dec 3 now", with no word of moving, is the new stay.)
        (Some(from), Some(to)) if from == old_in && (to >= old_out || moves(r)) => {
            (to, keep_length(to)?)
        }
        (Some(arrival), Some(departure)) => (arrival, departure),
        // "Arrive the 17th instead, same checkout".
        (Some(arrival), None) if r.keeps_departure => (arrival, old_out),
        (Some(arrival), None) => (arrival, keep_length(arrival)?),
        (None, Some(departure)) => (old_in, departure),
        (None, None) => return None,
    };
    // The booking's own dates ("my booking for tomorrow") are no new dates: ask for them.
    (dates != (old_in, old_out)).then_some(dates)
}

/// Whether the message speaks of moving a stay ("move it from the 3rd to the 10th", "pásala
/// del 22 al 23"), as opposed to giving the stay it wants.
fn moves(r: &Reading) -> bool {
    const MOVING: &[&str] = &[
        "move",
        "moving",
        "push",
        "reschedule",
        "change",
        "switch",
        "mover",
        "muevela",
        "muevalo",
        "mueve",
        "pasar",
        "pasala",
        "pasalo",
        "pasa",
        "cambiar",
        "cambiala",
        "cambialo",
        "correr",
        "correla",
        "adelantar",
        "retrasar",
    ];
    let folded = crate::text::fold(&r.message);
    crate::text::words(&folded)
        .iter()
        .any(|w| MOVING.contains(w))
}

/// A weekday with its day of the month: "martes 24", "Friday the 11th".
static WEEKDAY_DAY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|lunes|martes|miercoles|jueves|viernes|sabado|domingo)\s+(?:the\s+)?[0-9]{1,2}(?:st|nd|rd|th)?\b",
    )
    .unwrap_or_else(|e| panic!("weekday-day rule: {e}"))
});
