//! Night prices: peak season boundaries, Friday/Saturday nights, compounding and rounding.

use hotel::{Catalog, Cents, RoomKind, StayRequest, night_price};

use crate::d;

#[test]
fn peak_and_weekend_boundaries_on_a_100_dollar_room() {
    let base = Cents::dollars(100);
    let cases = [
        // (night, peak, weekend, price in cents)
        (d(2025, 12, 19), false, true, 11_000), // Fri, the day before peak
        (d(2025, 12, 20), true, true, 13_200),  // Sat, first peak night
        (d(2025, 12, 31), true, false, 12_000), // Wed, peak across the new year
        (d(2026, 1, 5), true, false, 12_000),   // Mon, last peak night
        (d(2026, 1, 6), false, false, 10_000),  // Tue, after peak
        (d(2026, 6, 30), false, false, 10_000), // Tue, the day before summer peak
        (d(2026, 7, 1), true, false, 12_000),   // Wed, first summer peak night
        (d(2026, 8, 31), true, false, 12_000),  // Mon, last summer peak night
        (d(2026, 9, 1), false, false, 10_000),  // Tue, after summer peak
        (d(2026, 6, 4), false, false, 10_000),  // Thu night
        (d(2026, 6, 5), false, true, 11_000),   // Fri night
        (d(2026, 6, 6), false, true, 11_000),   // Sat night
        (d(2026, 6, 7), false, false, 10_000),  // Sun night is not a weekend night
        (d(2026, 7, 3), true, true, 13_200),    // Fri in peak: 1.20 × 1.10
        (d(2026, 7, 4), true, true, 13_200),    // Sat in peak
        (d(2026, 7, 5), true, false, 12_000),   // Sun in peak
    ];
    for (date, peak, weekend, cents) in cases {
        let night = night_price(base, date);
        assert_eq!(
            (night.peak, night.weekend, night.price),
            (peak, weekend, Cents(cents)),
            "{date}"
        );
        assert_eq!(night.base, base);
    }
}

#[test]
fn each_night_is_rounded_once_on_the_exact_product() {
    let cases = [
        // (base cents, night, price cents)
        (12_345, d(2026, 6, 5), 13_580), // Fri: 13579.5 rounds up
        (12_345, d(2026, 7, 1), 14_814), // peak: exact
        (12_345, d(2026, 7, 3), 16_295), // peak Fri: 16295.4 rounds down
        (12_355, d(2026, 7, 3), 16_309), // peak Fri: 16308.6 rounds up
        // 13 × 1.32 = 17.16 -> 17; rounding after each factor would give 16 -> 17.6 -> 18.
        (13, d(2026, 7, 3), 17),
    ];
    for (base, date, cents) in cases {
        assert_eq!(
            night_price(Cents(base), date).price,
            Cents(cents),
            "{base} on {date}"
        );
    }
}

#[test]
fn a_quote_lists_every_night_and_sums_them() {
    let catalog = Catalog::load().unwrap();
    // GPH Standard ($220): Fri and Sat before peak, then the first peak night (Sun).
    let request = StayRequest {
        hotel: "GPH".into(),
        room: RoomKind::Standard,
        check_in: d(2026, 12, 18),
        check_out: d(2026, 12, 21),
        guests: 2,
    };
    let quote = catalog.quote(&request, d(2026, 6, 1)).unwrap();
    let nights: Vec<_> = quote.nights.iter().map(|n| (n.date, n.price)).collect();
    assert_eq!(
        nights,
        [
            (d(2026, 12, 18), Cents(24_200)),
            (d(2026, 12, 19), Cents(24_200)),
            (d(2026, 12, 20), Cents(26_400)),
        ]
    );
    assert_eq!(quote.total, Cents(74_800));
    assert_eq!(quote.first_night(), Cents(24_200));
    assert!(quote.has_peak_night());
}

#[test]
fn the_check_out_day_is_not_a_night() {
    let catalog = Catalog::load().unwrap();
    // Nights of Jun 29 and 30; checking out on Jul 1 does not make it a peak stay.
    let request = StayRequest {
        hotel: "BSE".into(),
        room: RoomKind::Standard,
        check_in: d(2026, 6, 29),
        check_out: d(2026, 7, 1),
        guests: 1,
    };
    let quote = catalog.quote(&request, d(2026, 6, 1)).unwrap();
    assert_eq!(quote.nights.len(), 2);
    assert!(!quote.has_peak_night());
    assert_eq!(quote.total, Cents::dollars(130));
}
