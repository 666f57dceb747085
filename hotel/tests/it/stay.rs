//! Stay rules: nights, booking horizon, guests, dates, unknown hotel or room.

use chrono::NaiveDate;
use hotel::{Catalog, Error, RoomKind, StayRequest};

use crate::d;

/// Today for every case: Monday 2026-06-01; the horizon ends 2027-06-01.
fn today() -> NaiveDate {
    d(2026, 6, 1)
}

fn request(
    hotel: &str,
    room: RoomKind,
    check_in: NaiveDate,
    nights: i64,
    guests: u32,
) -> StayRequest {
    StayRequest {
        hotel: hotel.into(),
        room,
        check_in,
        check_out: check_in + chrono::Duration::days(nights),
        guests,
    }
}

#[test]
fn valid_stays_are_quoted() {
    let catalog = Catalog::load().unwrap();
    let cases = [
        (
            "1 night",
            request("SRS", RoomKind::Standard, d(2026, 6, 10), 1, 2),
            1,
        ),
        (
            "30 nights",
            request("SRS", RoomKind::Standard, d(2026, 6, 10), 30, 2),
            30,
        ),
        (
            "check-in today",
            request("SRS", RoomKind::Standard, today(), 2, 1),
            2,
        ),
        (
            "check-in +365 days",
            request("SRS", RoomKind::Standard, d(2027, 6, 1), 1, 1),
            1,
        ),
        (
            "guests at max",
            request("SRS", RoomKind::Family, d(2026, 6, 10), 1, 5),
            1,
        ),
        (
            "lowercase code",
            request("srs", RoomKind::Suite, d(2026, 6, 10), 3, 4),
            3,
        ),
    ];
    for (name, request, nights) in cases {
        let quote = catalog
            .quote(&request, today())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(quote.nights.len(), nights, "{name}");
        assert_eq!(quote.hotel, "SRS", "{name}");
    }
}

/// (name, request, which variant, its message)
type Case = (&'static str, StayRequest, fn(&Error) -> bool, &'static str);

#[test]
fn each_broken_rule_is_its_own_error() {
    let catalog = Catalog::load().unwrap();
    let june10 = d(2026, 6, 10);
    let mut same_day = request("SRS", RoomKind::Standard, june10, 1, 2);
    same_day.check_out = june10;
    let mut backwards = request("SRS", RoomKind::Standard, june10, 1, 2);
    backwards.check_out = d(2026, 6, 9);
    let cases: Vec<Case> = vec![
        (
            "31 nights",
            request("SRS", RoomKind::Standard, june10, 31, 2),
            |e| matches!(e, Error::TooManyNights { nights: 31 }),
            "a stay can be at most 30 nights, not 31",
        ),
        (
            "check-in yesterday",
            request("SRS", RoomKind::Standard, d(2026, 5, 31), 1, 2),
            |e| matches!(e, Error::CheckInInPast { .. }),
            "check-in (2026-05-31) is in the past; today is 2026-06-01",
        ),
        (
            "check-in +366 days",
            request("SRS", RoomKind::Standard, d(2027, 6, 2), 1, 2),
            |e| matches!(e, Error::CheckInTooFarAhead { .. }),
            "check-in (2027-06-02) is too far ahead; the latest possible is 2027-06-01",
        ),
        (
            "guests max + 1",
            request("SRS", RoomKind::Standard, june10, 1, 3),
            |e| {
                matches!(
                    e,
                    Error::TooManyGuests {
                        max: 2,
                        guests: 3,
                        ..
                    }
                )
            },
            "a Standard room sleeps at most 2 guests, not 3",
        ),
        (
            "no guests",
            request("SRS", RoomKind::Standard, june10, 1, 0),
            |e| matches!(e, Error::NoGuests),
            "a booking needs at least 1 guest",
        ),
        (
            "check-out on check-in",
            same_day,
            |e| matches!(e, Error::CheckOutNotAfterCheckIn { .. }),
            "check-out (2026-06-10) must be after check-in (2026-06-10)",
        ),
        (
            "check-out before check-in",
            backwards,
            |e| matches!(e, Error::CheckOutNotAfterCheckIn { .. }),
            "check-out (2026-06-09) must be after check-in (2026-06-10)",
        ),
        (
            "unknown hotel",
            request("XYZ", RoomKind::Standard, june10, 1, 2),
            |e| matches!(e, Error::UnknownHotel { .. }),
            "there is no hotel with code `XYZ`",
        ),
        (
            "room type not offered",
            request("MVL", RoomKind::Suite, june10, 1, 2),
            |e| matches!(e, Error::RoomNotOffered { .. }),
            "hotel MVL has no Suite rooms",
        ),
    ];
    for (name, request, is_expected, message) in cases {
        let err = catalog.quote(&request, today()).expect_err(name);
        assert!(is_expected(&err), "{name}: got {err:?}");
        assert_eq!(err.to_string(), message, "{name}");
    }
}
