//! [`Cents`], US dollar amounts in integer cents so sums and comparisons are exact.

use std::fmt;
use std::iter::Sum;
use std::ops::Add;

use serde::{Deserialize, Serialize};

/// An amount of US dollars in whole cents. Displays as `$1,234.56`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Deserialize, Serialize,
)]
#[serde(transparent)]
pub struct Cents(pub u64);

impl Cents {
    /// Zero dollars.
    pub const ZERO: Cents = Cents(0);

    /// Whole dollars.
    pub const fn dollars(dollars: u64) -> Cents {
        Cents(dollars * 100)
    }

    /// `self × bp / 10_000`, rounded half away from zero (half up, as amounts are never
    /// negative). Done in `u128` so no multiplier can overflow or lose precision to floats.
    /// Panics only if the result exceeds `u64::MAX` cents, far beyond any hotel bill.
    pub fn times_basis_points(self, bp: u64) -> Cents {
        let exact = u128::from(self.0) * u128::from(bp);
        let rounded = (exact + 5_000) / 10_000;
        Cents(u64::try_from(rounded).expect("a hotel price times a rate fits in u64 cents"))
    }
}

impl Add for Cents {
    type Output = Cents;
    fn add(self, rhs: Cents) -> Cents {
        Cents(self.0 + rhs.0)
    }
}

impl Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Cents {
        iter.fold(Cents::ZERO, Add::add)
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dollars = (self.0 / 100).to_string();
        // Thousands separators: a comma before every group of three digits from the right.
        let mut grouped = String::with_capacity(dollars.len() + dollars.len() / 3);
        for (i, digit) in dollars.chars().enumerate() {
            if i > 0 && (dollars.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        write!(f, "${grouped}.{:02}", self.0 % 100)
    }
}
