//! [`Amenities`], what each hotel offers beyond the room, as closed enums so a question about
//! parking or pets has one exact answer and nothing is left to free text.

use serde::{Deserialize, Serialize};

use crate::Cents;

/// Everything the catalog says about a hotel's services.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Amenities {
    /// Free WiFi (every hotel today, kept explicit so "no" is representable).
    pub free_wifi: bool,
    /// Breakfast terms.
    pub breakfast: Breakfast,
    /// An on-site pool.
    pub pool: bool,
    /// An on-site spa.
    pub spa: bool,
    /// A gym.
    pub gym: bool,
    /// Parking terms.
    pub parking: Parking,
    /// Airport shuttle terms.
    pub airport_shuttle: Shuttle,
    /// An on-site restaurant.
    pub restaurant: bool,
    /// Meeting rooms for hire.
    pub meeting_rooms: bool,
    /// Whether pets may stay, and at what fee.
    pub pets: Pets,
    /// All rooms are non-smoking.
    pub non_smoking: bool,
    /// Minimum age of the guest checking in.
    pub min_check_in_age: u8,
}

/// Breakfast terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Breakfast {
    /// Included in the room price.
    Included,
    /// Charged per person per day.
    PerPersonPerDay {
        /// The price.
        price_cents: Cents,
    },
}

/// Parking terms.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Parking {
    /// No parking at the hotel.
    None {
        /// Where to park instead, e.g. "public garage nearby".
        #[serde(default)]
        note: Option<String>,
    },
    /// Free parking.
    Free,
    /// Paid parking.
    Paid {
        /// The price per night.
        per_night_cents: Cents,
        /// Valet parking (staff park the car).
        valet: bool,
    },
}

/// Airport shuttle terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Shuttle {
    /// No shuttle.
    None,
    /// Free, around the clock.
    #[serde(rename = "free_24h")]
    Free24h,
    /// Charged per trip.
    PerTrip {
        /// The price of one trip.
        price_cents: Cents,
    },
}

/// Pet policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pets {
    /// No pets.
    NotAllowed,
    /// Pets allowed for a fee.
    Allowed {
        /// The fee per night.
        fee_per_night_cents: Cents,
    },
}

impl Amenities {
    /// The names of amounts that are zero but must be positive (a paid service for $0.00 is a
    /// data error: it should be written as free or included).
    pub(crate) fn zero_prices(&self) -> Vec<&'static str> {
        let mut zero = Vec::new();
        if let Breakfast::PerPersonPerDay {
            price_cents: Cents(0),
        } = self.breakfast
        {
            zero.push("breakfast price");
        }
        if let Parking::Paid {
            per_night_cents: Cents(0),
            ..
        } = self.parking
        {
            zero.push("parking price");
        }
        if let Shuttle::PerTrip {
            price_cents: Cents(0),
        } = self.airport_shuttle
        {
            zero.push("shuttle price");
        }
        if let Pets::Allowed {
            fee_per_night_cents: Cents(0),
        } = self.pets
        {
            zero.push("pet fee");
        }
        zero
    }
}
