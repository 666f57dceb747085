//! The dialog policy as a plain function: `(dialog, reading, world) -> (route, dialog)`, one
//! rule per test, messages read by the offline NLU as in the agent.

use agent_nodes::nlu::{Intent, OfflineNlu, Understanding};
use chrono::NaiveDate;
use hotel::{Booking, BookingStore, Catalog, GuestId, RoomKind, StayRequest};
use hotel_agent::policy::{Dialog, Route, World, decide};
use hotel_agent::reading::Reading;
use hotel_agent::{ChangeKind, Pending, Slots, Stay, nlu_lexicon};

use crate::traces::{scratch, today};

fn read(message: &str) -> Reading {
    let nlu = OfflineNlu::new(nlu_lexicon(&Catalog::load().unwrap()));
    let mut reading = Reading::new(message, &nlu.analyze(message, today()));
    reading.date_options = hotel_agent::reading::date_options(&nlu, message, today());
    reading
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A quote for a Standard at City Center Inn, Dec 7–9, for 2, waiting for a yes.
fn quoted() -> Dialog {
    let stay = Stay {
        hotel: "CCI".into(),
        room: "Standard".into(),
        check_in: date("2026-12-07"),
        check_out: date("2026-12-09"),
        guests: 2,
    };
    Dialog {
        slots: Slots {
            hotel: Some("CCI".into()),
            room: Some("Standard".into()),
            check_in: Some(stay.check_in),
            check_out: Some(stay.check_out),
            guests: Some(2),
        },
        pending: Some(Pending::Book {
            stay,
            total_cents: 24_000,
        }),
        ..Dialog::default()
    }
}

/// Decides `message` in `dialog` for a guest with `bookings`.
fn decide_with(dialog: &Dialog, message: &str, bookings: &[Booking]) -> (Route, Dialog) {
    let catalog = Catalog::load().unwrap();
    let world = World {
        catalog: &catalog,
        today: today(),
        bookings,
    };
    decide(dialog, &read(message), world)
}

fn decide_now(dialog: &Dialog, message: &str) -> (Route, Dialog) {
    decide_with(dialog, message, &[])
}

/// Bookings of one guest, made through a real store.
fn bookings(stays: &[(&str, RoomKind, &str, &str)]) -> Vec<Booking> {
    // A directory per call: tests run in parallel, each with its own store.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = scratch(&format!("policy-bookings-{n}"));
    let store = BookingStore::open(dir.join("b.db"), Catalog::load().unwrap()).unwrap();
    let guest = GuestId::new("test", "g");
    stays
        .iter()
        .enumerate()
        .map(|(i, (hotel, room, check_in, check_out))| {
            let request = StayRequest {
                hotel: (*hotel).into(),
                room: *room,
                check_in: date(check_in),
                check_out: date(check_out),
                guests: 2,
            };
            store
                .book(&guest, &request, &i.to_string(), today())
                .unwrap()
        })
        .collect()
}

#[test]
fn a_clear_yes_confirms_the_quote_and_nothing_else_does() {
    assert_eq!(
        decide_now(&quoted(), "yes please book it").0,
        Route::Confirm
    );
    for message in ["ok", "ok thanks", "sure?", "maybe", "hmm", "k"] {
        let (route, _) = decide_now(&quoted(), message);
        assert_ne!(route, Route::Confirm, "{message}");
    }
}

#[test]
fn a_model_that_calls_just_looking_a_yes_books_nothing() {
    // The understander (an LLM, say) claims an acceptance; the message is none.
    let message = "ok thanks, just looking for now";
    let nlu = OfflineNlu::new(nlu_lexicon(&Catalog::load().unwrap()));
    let mut u: Understanding = nlu.analyze(message, today());
    u.intent = Intent::Affirm;
    u.confidence = 0.99;
    let catalog = Catalog::load().unwrap();
    let world = World {
        catalog: &catalog,
        today: today(),
        bookings: &[],
    };
    let (route, next) = decide(&quoted(), &Reading::new(message, &u), world);
    assert_eq!(route, Route::Defer);
    assert_eq!(next.pending, None);
}

#[test]
fn a_decline_drops_the_quote_and_remembers_the_request() {
    let (route, next) = decide_now(&quoted(), "nah, too expensive");
    assert_eq!(route, Route::Decline);
    assert_eq!(next.slots, Slots::default());
    assert_eq!(next.previous, Some(quoted().slots));
    assert_eq!(next.pending, None);
}

#[test]
fn a_correction_before_the_yes_amends_the_request() {
    let (route, next) = decide_now(&quoted(), "actually make it the deluxe");
    assert_eq!(route, Route::Collect);
    assert_eq!(next.pending, None);
    assert_eq!(next.slots.room.as_deref(), Some("Deluxe"));
    assert_eq!(next.slots.check_in, Some(date("2026-12-07")));

    let (_, next) = decide_now(&quoted(), "can we do 3 people instead");
    assert_eq!(next.slots.guests, Some(3));

    // Days alone are in the request's month, not the next such days from today.
    let (_, next) = decide_now(&quoted(), "change it to the 10th to the 12th");
    assert_eq!(
        (next.slots.check_in, next.slots.check_out),
        (Some(date("2026-12-10")), Some(date("2026-12-12")))
    );
}

#[test]
fn a_change_that_cannot_be_read_drops_the_quote_instead_of_asking_it_again() {
    // Asking the old terms again would let the next "yes" book what the guest wanted changed.
    for message in [
        "wait i need to change something",
        "espera, quiero cambiar algo",
    ] {
        let (route, next) = decide_now(&quoted(), message);
        assert_eq!(route, Route::Clarify, "{message}");
        assert_eq!(next.pending, None, "{message}");
        assert_eq!((next.slots.check_in, next.slots.check_out), (None, None));
        assert_eq!(next.slots.hotel.as_deref(), Some("CCI"), "{message}");
        assert_ne!(decide_now(&next, "yes").0, Route::Confirm, "{message}");

        // A quoted move: the new dates are asked for, and nothing waits for a yes.
        let moving = Dialog {
            pending: Some(Pending::Reschedule {
                reference: "CCI-ABC123".into(),
                check_in: date("2026-12-10"),
                check_out: date("2026-12-12"),
                fee_cents: 0,
                total_cents: 24_000,
            }),
            ..Dialog::default()
        };
        let (route, next) = decide_now(&moving, message);
        assert_eq!(route, Route::Reschedule, "{message}");
        assert_eq!(next.pending, None, "{message}");
        assert_eq!(next.change.and_then(|c| c.dates), None, "{message}");
    }
}

#[test]
fn a_yes_with_nights_added_or_an_offset_requotes_the_new_stay() {
    // "Yes but" with a change is a correction: the amended stay is quoted before any yes.
    for (message, check_in, check_out) in [
        (
            "sí pero agréguele una noche más porfa",
            "2026-12-07",
            "2026-12-10",
        ),
        ("yes but one more night", "2026-12-07", "2026-12-10"),
        ("ok but one night less", "2026-12-07", "2026-12-08"),
        (
            "yes but can we push it a week later",
            "2026-12-14",
            "2026-12-16",
        ),
    ] {
        let (route, next) = decide_now(&quoted(), message);
        assert_eq!(route, Route::Collect, "{message}");
        assert_eq!(next.pending, None, "{message}");
        assert_eq!(
            (next.slots.check_in, next.slots.check_out),
            (Some(date(check_in)), Some(date(check_out))),
            "{message}"
        );
    }
}

#[test]
fn restating_the_quoted_terms_with_a_yes_confirms_them() {
    assert_eq!(
        decide_now(&quoted(), "ok the standard, yes book it").0,
        Route::Confirm
    );
    // A restatement that changes the terms is a correction.
    assert_eq!(
        decide_now(&quoted(), "ok the deluxe, yes book it").0,
        Route::Collect
    );
}

#[test]
fn a_question_about_the_quoted_hotel_keeps_the_quote_and_another_hotel_drops_it() {
    let (route, next) = decide_now(&quoted(), "is breakfast included?");
    assert_eq!(route, Route::Answer);
    assert!(next.pending.is_some());

    let (route, next) = decide_now(&quoted(), "does the grand plaza have a pool?");
    assert_eq!(route, Route::Answer);
    assert_eq!(next.pending, None);
    assert_eq!(next.focus.as_deref(), Some("GPH"));
}

#[test]
fn the_hotel_in_focus_is_the_booking_hotel() {
    let (_, asked) = decide_now(
        &Dialog::default(),
        "does the airport business hotel have a gym?",
    );
    assert_eq!(asked.focus.as_deref(), Some("ABH"));
    let (route, next) = decide_now(
        &asked,
        "ok book me a standard for the 2nd to the 4th, 2 of us",
    );
    assert_eq!(route, Route::Collect);
    assert_eq!(next.slots.hotel.as_deref(), Some("ABH"));
    assert!(next.slots.complete(), "{:?}", next.slots);
}

#[test]
fn same_dates_somewhere_else_reuses_the_dropped_request() {
    let (_, declined) = decide_now(&quoted(), "no thanks");
    let (route, next) = decide_now(&declined, "same dates at the grand plaza, a deluxe");
    assert_eq!(route, Route::Collect);
    assert_eq!(next.slots.hotel.as_deref(), Some("GPH"));
    assert_eq!(next.slots.check_in, Some(date("2026-12-07")));
    assert_eq!(next.slots.guests, Some(2));
}

#[test]
fn one_more_room_right_after_a_request_keeps_its_stay_for_the_people_named() {
    let (_, declined) = decide_now(&quoted(), "no thanks");
    let (route, next) = decide_now(&declined, "and a deluxe for my parents?");
    assert_eq!(route, Route::Collect);
    assert_eq!(next.slots.room.as_deref(), Some("Deluxe"));
    assert_eq!(next.slots.check_in, Some(date("2026-12-07")));
    assert_eq!(next.slots.check_out, Some(date("2026-12-09")));
    assert_eq!(next.slots.guests, Some(2));
    // Without a word that adds to it, a request without dates asks for them.
    let (_, next) = decide_now(&declined, "a deluxe for my parents");
    assert_eq!(next.slots.check_in, None);
}

#[test]
fn a_new_request_after_a_dropped_one_starts_clean() {
    let (_, declined) = decide_now(&quoted(), "forget it");
    let (_, next) = decide_now(&declined, "a suite at the seaside from jan 10 to jan 12");
    assert_eq!(next.slots.hotel.as_deref(), Some("SRS"));
    assert_eq!(next.slots.guests, None);
}

#[test]
fn the_only_upcoming_booking_needs_no_reference() {
    let mine = bookings(&[("MVL", RoomKind::Standard, "2027-01-08", "2027-01-10")]);
    let (route, next) = decide_with(&Dialog::default(), "cancel my booking", &mine);
    assert_eq!(route, Route::Cancel);
    let change = next.change.unwrap();
    assert_eq!(change.kind, ChangeKind::Cancel);
    assert_eq!(change.reference, Some(mine[0].reference.to_string()));
}

#[test]
fn an_arrival_a_day_later_keeps_the_departure_when_the_guest_says_so() {
    let mine = bookings(&[("HPH", RoomKind::Suite, "2026-12-03", "2026-12-06")]);
    for (message, check_in, check_out) in [
        (
            "our flight got moved so we'll get to new orleans a day later. checkout stays the same",
            "2026-12-04",
            "2026-12-06",
        ),
        ("can we push it a day later?", "2026-12-04", "2026-12-07"),
        (
            "me cancelaron el vuelo, puedo llegar un día después? la salida igual",
            "2026-12-04",
            "2026-12-06",
        ),
    ] {
        let (route, next) = decide_with(&Dialog::default(), message, &mine);
        assert_eq!(route, Route::Reschedule, "{message}");
        let change = next.change.unwrap();
        assert_eq!(change.kind, ChangeKind::Reschedule, "{message}");
        assert_eq!(
            change.dates,
            Some((date(check_in), date(check_out))),
            "{message}"
        );
    }
}

#[test]
fn with_several_bookings_the_hotel_or_month_named_picks_one() {
    let mine = bookings(&[
        ("MVL", RoomKind::Standard, "2027-01-08", "2027-01-10"),
        ("HPH", RoomKind::Deluxe, "2026-12-04", "2026-12-06"),
    ]);
    let (_, asked) = decide_with(&Dialog::default(), "cancel my booking", &mine);
    assert_eq!(asked.change.as_ref().unwrap().reference, None);
    let (route, next) = decide_with(&asked, "the mountain view one", &mine);
    assert_eq!(route, Route::Cancel);
    assert_eq!(
        next.change.unwrap().reference,
        Some(mine[0].reference.to_string())
    );
    let (_, next) = decide_with(
        &Dialog::default(),
        "can you push the one in december back a week",
        &mine,
    );
    let change = next.change.unwrap();
    assert_eq!(change.reference, Some(mine[1].reference.to_string()));
    assert_eq!(change.dates, Some((date("2026-12-11"), date("2026-12-13"))));
}

#[test]
fn a_move_that_makes_the_stay_much_longer_is_asked_for_once() {
    let mine = bookings(&[("MVL", RoomKind::Standard, "2026-12-12", "2026-12-14")]);
    let message = "can we move my booking to dec 11 - dec 25";
    let (route, asked) = decide_with(&Dialog::default(), message, &mine);
    assert_eq!(route, Route::Reschedule);
    let change = asked.change.clone().unwrap();
    assert_eq!(change.reference, Some(mine[0].reference.to_string()));
    assert_eq!(
        change.dates, None,
        "fourteen nights instead of two is asked for"
    );
    let (route, next) = decide_with(&asked, "dec 11 to dec 25, yes two weeks", &mine);
    assert_eq!(route, Route::Reschedule);
    assert_eq!(
        next.change.unwrap().dates,
        Some((date("2026-12-11"), date("2026-12-25")))
    );
    // A length said outright is taken at once.
    let (_, next) = decide_with(
        &Dialog::default(),
        "move my booking to dec 11 for 14 nights",
        &mine,
    );
    assert_eq!(
        next.change.unwrap().dates,
        Some((date("2026-12-11"), date("2026-12-25")))
    );
}

#[test]
fn the_cheapest_place_for_some_dates_is_the_cheapest_room_that_fits() {
    let (route, next) = decide_now(
        &Dialog::default(),
        "whats the cheapest place u have for this weekend, 2 ppl",
    );
    assert!(
        matches!(route, Route::Collect | Route::AnswerAndCollect),
        "{route:?}"
    );
    assert_eq!(next.slots.hotel.as_deref(), Some("BSE"));
    assert_eq!(next.slots.room.as_deref(), Some("Standard"));
    // During a request, "the cheapest?" picks its room at the hotel asked about.
    let (_, asked) = decide_now(&Dialog::default(), "a room in chicago dec 4-6 for 2");
    let (route, next) = decide_now(&asked, "cuál es la más barata?");
    assert!(
        matches!(route, Route::Collect | Route::AnswerAndCollect),
        "{route:?}"
    );
    assert_eq!(next.slots.hotel.as_deref(), Some("GPH"));
    assert_eq!(next.slots.room.as_deref(), Some("Standard"));
}

#[test]
fn a_cancelled_stay_can_be_asked_for_again_somewhere_else() {
    let mine = bookings(&[("HPH", RoomKind::Deluxe, "2026-12-11", "2026-12-13")]);
    let (route, cancelling) = decide_with(&Dialog::default(), "quiero cancelar mi reserva", &mine);
    assert_eq!(route, Route::Cancel);
    let (_, next) = decide_with(
        &cancelling,
        "y en su lugar algo en Miami esas mismas fechas? una deluxe para los dos",
        &mine,
    );
    assert_eq!(next.slots.hotel.as_deref(), Some("SRS"));
    assert_eq!(next.slots.check_in, Some(date("2026-12-11")));
    assert_eq!(next.slots.check_out, Some(date("2026-12-13")));
}

#[test]
fn of_two_months_named_the_first_is_the_booking_meant_and_a_departure_alone_moves_one() {
    let mine = bookings(&[
        ("SRS", RoomKind::Standard, "2026-12-04", "2026-12-06"),
        ("SRS", RoomKind::Standard, "2027-03-05", "2027-03-07"),
    ]);
    let (route, next) = decide_with(
        &Dialog::default(),
        "quiero anular la reserva del Seaside de marzo, la de diciembre la mantengo",
        &mine,
    );
    assert_eq!(route, Route::Cancel);
    assert_eq!(
        next.change.unwrap().reference,
        Some(mine[1].reference.to_string())
    );
    let (route, next) = decide_with(
        &Dialog::default(),
        "we'll be leaving the 5th instead, the december one",
        &mine,
    );
    assert_eq!(route, Route::Reschedule);
    let change = next.change.unwrap();
    assert_eq!(change.reference, Some(mine[0].reference.to_string()));
    assert_eq!(change.dates, Some((date("2026-12-04"), date("2026-12-05"))));
}

#[test]
fn a_year_named_after_dates_moves_them_to_that_year() {
    let past = Dialog {
        slots: Slots {
            hotel: Some("GPH".into()),
            room: Some("Standard".into()),
            check_in: Some(date("2026-11-15")),
            check_out: Some(date("2026-11-18")),
            guests: Some(2),
        },
        ..Dialog::default()
    };
    for message in [
        "omg sorry i meant next year, 2027",
        "perdón, el año que viene",
    ] {
        let (route, next) = decide_now(&past, message);
        assert_eq!(route, Route::Collect, "{message}");
        assert_eq!(next.slots.check_in, Some(date("2027-11-15")), "{message}");
        assert_eq!(next.slots.check_out, Some(date("2027-11-18")), "{message}");
    }
}

#[test]
fn nights_added_to_a_booking_move_its_departure_and_a_question_with_its_reference_is_answered() {
    let mine = bookings(&[("CCI", RoomKind::Standard, "2026-12-04", "2026-12-06")]);
    let message =
        "tengo una reserva en austin del 4 al 6 de diciembre y quisiera quedarme dos noches más";
    let (route, next) = decide_with(&Dialog::default(), message, &mine);
    assert_eq!(route, Route::Reschedule);
    assert_eq!(
        next.change.unwrap().dates,
        Some((date("2026-12-04"), date("2026-12-08")))
    );
    let message = format!(
        "{} what time can we check in?",
        mine[0].reference.as_str().to_lowercase()
    );
    let (route, next) = decide_with(&Dialog::default(), &message, &mine);
    assert_eq!(route, Route::Answer);
    assert_eq!(next.focus.as_deref(), Some("CCI"));
}

#[test]
fn a_booking_named_by_its_own_dates_is_shown_and_a_quoted_move_can_become_a_cancellation() {
    let mine = bookings(&[("MVL", RoomKind::Standard, "2026-12-05", "2026-12-07")]);
    let message =
        "buenas noches, tengo una reserva en el mountain view lodge del 5 al 7 de diciembre";
    let (route, _) = decide_with(&Dialog::default(), message, &mine);
    assert_eq!(route, Route::Lookup, "its own dates move nothing");
    let (route, moving) = decide_with(
        &Dialog::default(),
        "can I move my booking to dec 17-19?",
        &mine,
    );
    assert_eq!(route, Route::Reschedule);
    let moving = Dialog {
        pending: Some(Pending::Reschedule {
            reference: mine[0].reference.to_string(),
            check_in: date("2026-12-17"),
            check_out: date("2026-12-19"),
            fee_cents: 0,
            total_cents: 24_200,
        }),
        ..moving
    };
    let (route, next) = decide_with(
        &moving,
        "hmm actually forget moving it. just cancel the whole thing",
        &mine,
    );
    assert_eq!(route, Route::Cancel);
    assert_eq!(next.pending, None);
    assert_eq!(next.change.unwrap().kind, ChangeKind::Cancel);
}

#[test]
fn vague_dates_get_a_question() {
    let (route, next) = decide_now(
        &Dialog::default(),
        "a room at the lodge sometime in january",
    );
    assert_eq!(route, Route::Clarify);
    assert_eq!(next.slots.hotel.as_deref(), Some("MVL"));
    assert_eq!(next.slots.check_in, None);
}

#[test]
fn a_second_miss_in_a_row_offers_help() {
    let (route, once) = decide_now(&Dialog::default(), "asdfgh");
    assert_eq!(route, Route::Recover);
    assert_eq!(decide_now(&once, "qwerty").0, Route::Help);
    let (_, understood) = decide_now(&once, "hello");
    assert_eq!(understood.misses, 0);
}

#[test]
fn anger_or_a_request_for_a_person_goes_to_a_person() {
    for message in [
        "this is unacceptable, the room is filthy",
        "can I talk to a human",
        "quiero hablar con una persona",
    ] {
        let (route, next) = decide_now(&quoted(), message);
        assert_eq!(route, Route::Escalate, "{message}");
        assert_eq!(next.pending, None);
    }
}

#[test]
fn stays_weighed_are_priced_side_by_side_and_the_one_picked_is_quoted() {
    let (route, weighed) = decide_now(
        &Dialog::default(),
        "how much for a deluxe at the seaside dec 18-21 vs jan 8-11? 2 adults",
    );
    assert_eq!(route, Route::Compare);
    assert_eq!(
        weighed.weighed_dates,
        [
            (date("2026-12-18"), date("2026-12-21")),
            (date("2027-01-08"), date("2027-01-11"))
        ]
    );
    assert_eq!(weighed.slots.hotel.as_deref(), Some("SRS"));
    assert_eq!(
        weighed.slots.check_in, None,
        "nothing is quoted for a yes yet"
    );
    // A length said once is every choice's; "o" weighs them with a question.
    let (route, choices) = decide_now(
        &Dialog::default(),
        "en el grand plaza, estándar para 2, me conviene entrar el viernes 11 o el lunes 14 de diciembre? son 2 noches",
    );
    assert_eq!(route, Route::Compare);
    assert_eq!(
        choices.weighed_dates,
        [
            (date("2026-12-11"), date("2026-12-13")),
            (date("2026-12-14"), date("2026-12-16"))
        ]
    );
    // Picked by month, weekday, place or price; a question about them picks nothing.
    for (message, picked) in [
        ("the january one please", "2027-01-08"),
        ("ok the first one", "2026-12-18"),
        ("the cheaper one", "2027-01-08"),
    ] {
        let (route, next) = decide_now(&weighed, message);
        assert_eq!(route, Route::Collect, "{message}");
        assert_eq!(next.slots.check_in, Some(date(picked)), "{message}");
        assert!(next.weighed_dates.is_empty(), "{message}");
    }
    let (route, next) = decide_now(&choices, "vale, el lunes entonces. resérvalo");
    assert_eq!(
        (route, next.slots.check_in),
        (Route::Collect, Some(date("2026-12-14")))
    );
    let (route, next) = decide_now(&weighed, "why is december more expensive?");
    assert_eq!(route, Route::Answer);
    assert_eq!(next.weighed_dates, weighed.weighed_dates);
    // "Can u move it…" weighs nothing: "u" is "you".
    let (route, _) = decide_now(
        &Dialog::default(),
        "can u do dec 3 to 5 at the seaside? how much",
    );
    assert_ne!(route, Route::Compare);
}

#[test]
fn asking_to_hold_the_room_keeps_the_quote_as_quoted() {
    // "Till Friday" is how long to hold it, not the stay's end.
    for message in [
        "can you hold it until friday?",
        "¿me la puedes guardar hasta el viernes?",
    ] {
        let (route, next) = decide_now(&quoted(), message);
        assert_eq!(route, Route::Answer, "{message}");
        assert_eq!(next.pending, quoted().pending, "{message}");
        assert_eq!(next.slots, quoted().slots, "{message}");
    }
}

#[test]
fn a_change_dropped_for_a_new_room_is_not_asked_again() {
    let mine = bookings(&[("MVL", RoomKind::Standard, "2027-01-08", "2027-01-10")]);
    let reference = mine[0].reference.as_str().to_owned();
    let cancelling = Dialog {
        pending: Some(Pending::Cancel {
            reference: reference.clone(),
            charge_cents: 0,
        }),
        ..Dialog::default()
    };
    let message = "actually wait dont cancel it. i'd rather add another standard room there for my parents, same dates, 2 ppl";
    let (route, next) = decide_with(&cancelling, message, &mine);
    assert_ne!(route, Route::AskAgain);
    assert_ne!(route, Route::Confirm);
    assert!(
        !matches!(next.pending, Some(Pending::Cancel { .. })),
        "{:?}",
        next.pending
    );
    // The new room is at the kept booking's hotel, for its dates.
    assert_eq!(next.slots.hotel.as_deref(), Some("MVL"));
    assert_eq!(next.slots.check_in, Some(date("2027-01-08")));
}

#[test]
fn a_move_declined_with_a_date_as_the_reason_keeps_the_booking() {
    let mine = bookings(&[("BSE", RoomKind::Family, "2026-12-18", "2026-12-21")]);
    let moving = Dialog {
        pending: Some(Pending::Reschedule {
            reference: mine[0].reference.as_str().to_owned(),
            check_in: date("2026-12-25"),
            check_out: date("2026-12-28"),
            total_cents: 36_480,
            fee_cents: 0,
        }),
        ..Dialog::default()
    };
    let message = "ah no, en navidad sale más caro... entonces no, déjala como está";
    let (route, next) = decide_with(&moving, message, &mine);
    assert_eq!(route, Route::KeepBooking);
    assert_eq!(next.pending, None);
    assert_eq!(next.change, None);
}
