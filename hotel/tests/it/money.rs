//! `Cents` display and rounding.

use hotel::Cents;

#[test]
fn displays_as_usd_with_thousands_separators() {
    let cases = [
        (0, "$0.00"),
        (5, "$0.05"),
        (100, "$1.00"),
        (99_999, "$999.99"),
        (100_000, "$1,000.00"),
        (123_456, "$1,234.56"),
        (100_000_000, "$1,000,000.00"),
    ];
    for (cents, shown) in cases {
        assert_eq!(Cents(cents).to_string(), shown, "{cents} cents");
    }
}

#[test]
fn basis_points_round_half_away_from_zero() {
    let cases = [
        // (cents, basis points, expected)
        (5, 11_000, 6),           // 5.5 -> 6
        (15, 11_000, 17),         // 16.5 -> 17
        (12_345, 11_000, 13_580), // 13579.5 -> 13580
        (12_345, 13_200, 16_295), // 16295.4 -> 16295
        (1, 12_000, 1),           // 1.2 -> 1
        (10_000, 10_000, 10_000),
    ];
    for (cents, bp, expected) in cases {
        assert_eq!(
            Cents(cents).times_basis_points(bp),
            Cents(expected),
            "{cents} × {bp} bp"
        );
    }
}

#[test]
fn sums_and_adds() {
    let total: Cents = [Cents(1), Cents::dollars(2), Cents(3)].into_iter().sum();
    assert_eq!(total, Cents(204));
    assert_eq!(Cents(1) + Cents(2), Cents(3));
}
