//! The pre-arrival reminder's words, from the catalog's facts about the hotel (check-in time,
//! parking, breakfast), in English or Spanish: the whole message for a plain text, and the
//! values of the WhatsApp template's parameters (`sched/template.rs`).

use agent_nodes::nlu::Language;
use hotel::{Booking, Breakfast, Hotel, Parking};

/// The reminder for `booking` at `hotel`: its text, and the template's six values.
pub(crate) fn reminder(
    language: Language,
    hotel: &Hotel,
    booking: &Booking,
) -> (String, [String; 6]) {
    let values = [
        hotel.name.clone(),
        hotel_agent::guest_date(language, booking.quote.check_in),
        hotel.check_in.format("%H:%M").to_string(),
        parking(language, &hotel.amenities.parking),
        breakfast(language, hotel.amenities.breakfast),
        booking.reference.to_string(),
    ];
    let [name, day, time, parking, breakfast, reference] = &values;
    let text = match language {
        Language::En => format!(
            "Hello! We look forward to welcoming you tomorrow, {day}, at {name}. Check-in is \
             from {time}. Parking: {parking}. Breakfast: {breakfast}. Your booking reference is \
             {reference}. Reply STOP if you would rather not get messages like this."
        ),
        Language::Es => format!(
            "¡Hola! Le esperamos mañana, {day}, en {name}. La entrada es a partir de las {time}. \
             Aparcamiento: {parking}. Desayuno: {breakfast}. Su referencia de reserva es \
             {reference}. Responda BAJA si prefiere no recibir mensajes como este."
        ),
    };
    (text, values)
}

fn parking(language: Language, parking: &Parking) -> String {
    let note = |note: &Option<String>| note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
    match (language, parking) {
        (Language::En, Parking::Free) => "free at the hotel".into(),
        (Language::Es, Parking::Free) => "gratuito en el hotel".into(),
        (
            Language::En,
            Parking::Paid {
                per_night_cents,
                valet,
            },
        ) => format!(
            "{per_night_cents} per night{}",
            if *valet { ", valet" } else { "" }
        ),
        (
            Language::Es,
            Parking::Paid {
                per_night_cents,
                valet,
            },
        ) => format!(
            "{per_night_cents} por noche{}",
            if *valet { ", con aparcacoches" } else { "" }
        ),
        (Language::En, Parking::None { note: n }) => format!("none at the hotel{}", note(n)),
        (Language::Es, Parking::None { note: n }) => format!("el hotel no tiene{}", note(n)),
    }
}

fn breakfast(language: Language, breakfast: Breakfast) -> String {
    match (language, breakfast) {
        (Language::En, Breakfast::Included) => "included".into(),
        (Language::Es, Breakfast::Included) => "incluido".into(),
        (Language::En, Breakfast::PerPersonPerDay { price_cents }) => {
            format!("{price_cents} per person per day")
        }
        (Language::Es, Breakfast::PerPersonPerDay { price_cents }) => {
            format!("{price_cents} por persona y día")
        }
    }
}
