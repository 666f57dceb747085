//! Focused behaviour of the offline NLU beyond the table: the trait, confidence, conventions of
//! dates, masking, names, typos, a caller's own catalog and long input.

use agent_nodes::nlu::{
    Intent, Language, Lexicon, LexiconHotel, LexiconRoom, OfflineNlu, Understand,
};

use super::{analyze, catalog, date, nlu, today};

#[tokio::test]
async fn the_trait_is_the_synchronous_analysis() {
    let nlu = nlu();
    let text = "Quiero reservar una doble del 3 al 6 de diciembre";
    assert_eq!(nlu.provider(), "offline");
    let understood = nlu
        .understand(text, today())
        .await
        .expect("offline never fails");
    assert_eq!(understood, nlu.analyze(text, today()));
    assert_eq!(understood.provider, "offline");
}

#[test]
fn confidence_is_high_for_a_decisive_phrase_and_low_for_a_weak_or_ambiguous_one() {
    let decisive = analyze("I want to cancel my reservation SOL-88213");
    let weak = analyze("December 3rd to 6th");
    let ambiguous = analyze("cancel it and book a new room");
    let nothing = analyze("purple elephants");
    assert_eq!(decisive.intent, Intent::CancellationRequest);
    assert!(decisive.confidence >= 0.9, "{}", decisive.confidence);
    assert_eq!(weak.intent, Intent::ReservationRequest);
    assert!((0.3..0.5).contains(&weak.confidence), "{}", weak.confidence);
    assert!(ambiguous.confidence < 0.7, "{}", ambiguous.confidence);
    assert_eq!((nothing.intent, nothing.confidence), (Intent::Unknown, 0.0));
}

#[test]
fn numeric_dates_are_month_day_in_english_and_day_month_in_spanish() {
    let english = analyze("Can I book for 12/03?");
    let spanish = analyze("¿Puedo reservar para el 12/03?");
    assert_eq!(english.language, Language::En);
    assert_eq!(english.entities.check_in, Some(date("2026-12-03")));
    assert_eq!(spanish.language, Language::Es);
    assert_eq!(spanish.entities.check_in, Some(date("2027-03-12")));
}

#[test]
fn a_written_year_is_kept_even_in_the_past_and_an_impossible_date_is_dropped() {
    assert_eq!(
        analyze("book 2025-01-10").entities.check_in,
        Some(date("2025-01-10"))
    );
    assert_eq!(
        analyze("book March 3, 2030").entities.check_in,
        Some(date("2030-03-03"))
    );
    assert_eq!(analyze("book February 30").entities.check_in, None);
    assert_eq!(
        analyze("book February 29").entities.check_in,
        Some(date("2028-02-29"))
    );
}

#[test]
fn a_departure_before_the_arrival_is_dropped() {
    let u = analyze("from Dec 6 to today");
    assert_eq!(u.entities.check_in, Some(date("2026-12-06")));
    assert_eq!(u.entities.check_out, None);
}

#[test]
fn words_that_look_like_dates_but_are_not_give_none() {
    for text in [
        "¿A qué hora sirven el desayuno por la mañana?",
        "Do you have live music every Friday?",
        "¿Abrís la piscina los sábados?",
        "a room with a view of the sea, quite nice",
        "We stayed on the 2nd floor",
        "nobody wants to be the 3rd guy in that room lol",
        "it's our 5th anniversary!",
    ] {
        let e = analyze(text).entities;
        assert_eq!((e.check_in, e.check_out), (None, None), "{text}");
    }
}

#[test]
fn a_hotel_name_or_the_sea_is_not_read_as_march() {
    let hotel = analyze("Hotel Mar 3 nights");
    assert_eq!(hotel.entities.hotel.as_deref(), Some("mar"));
    assert_eq!(
        (hotel.entities.check_in, hotel.entities.nights),
        (None, Some(3))
    );
    let sea = analyze("Quiero una habitación con vistas al mar 2 adultos");
    assert_eq!(
        (sea.entities.check_in, sea.entities.adults),
        (None, Some(2))
    );
}

#[test]
fn nights_are_never_a_head_count_and_dates_never_guests() {
    let e = analyze("for 3 nights from the 4th").entities;
    assert_eq!(
        (e.nights, e.adults, e.check_in),
        (Some(3), None, Some(date("2026-12-04")))
    );
    let e = analyze("para el 4, tres noches").entities;
    assert_eq!(
        (e.nights, e.adults, e.check_in),
        (Some(3), None, Some(date("2026-12-04")))
    );
}

#[test]
fn soy_and_i_am_give_a_name_only_when_capitalised() {
    let name = |text: &str| analyze(text).entities.name;
    assert_eq!(name("Soy alérgico al gluten, ¿hay opciones?"), None);
    assert_eq!(name("soy de Madrid"), None);
    assert_eq!(name("I'm looking for a room"), None);
    assert_eq!(name("I am Interested in a suite"), None);
    assert_eq!(name("Hola, soy Lucía"), Some("Lucía".to_owned()));
    assert_eq!(
        name("my name is ana lópez and I need a room"),
        Some("Ana López".to_owned())
    );
    assert_eq!(
        name("Me llamo María de la Cruz"),
        Some("María de la Cruz".to_owned())
    );
    assert_eq!(name("I'm Seán O'Neill"), Some("Seán O'Neill".to_owned()));
}

#[test]
fn catalog_words_tolerate_typos_but_short_words_must_be_exact() {
    let e = analyze("a singel room in Valenica").entities;
    assert_eq!(
        (e.room_type.as_deref(), e.city.as_deref()),
        (Some("single"), Some("Valencia"))
    );
    assert_eq!(
        analyze("the sweet suit please")
            .entities
            .room_type
            .as_deref(),
        Some("suite")
    );
    assert_eq!(analyze("Hotel Sal").entities.hotel, None);
    assert_eq!(analyze("it is quite nice").entities.room_type, None);
}

#[test]
fn the_catalog_comes_from_the_caller() {
    let own = OfflineNlu::new(Lexicon {
        hotels: vec![LexiconHotel {
            id: "nevada".into(),
            name: "Gran Hotel Nevada".into(),
            city: "Granada".into(),
            aliases: vec!["La Nevada".into()],
        }],
        room_types: vec![LexiconRoom {
            id: "ph".into(),
            names: vec!["penthouse".into(), "ático".into()],
        }],
        reference: Some(r"\b(nev)[- ]?([2-9a-z]{5})\b".into()),
    });
    let u = own.analyze("Quiero el ático del Gran Hotel Nevada en Granada", today());
    // The lexicon's own reference shape, however it is typed; the generic shapes no longer.
    for typed in [
        "mi reserva NEV-4K7QZ",
        "reserva nev 4k7qz por favor",
        "nev4k7qz",
    ] {
        let r = own.analyze(typed, today());
        assert_eq!(
            r.entities.booking_ref.as_deref(),
            Some("NEV-4K7QZ"),
            "{typed}"
        );
    }
    assert_eq!(own.analyze("SOL-88213", today()).entities.booking_ref, None);
    // A tripled letter is part of the reference, not an elongation ("siii") to collapse.
    assert_eq!(
        own.analyze("booking #NEV-BJJJ5, move it pls", today())
            .entities
            .booking_ref
            .as_deref(),
        Some("NEV-BJJJ5")
    );
    // A reference typed in capitals is no shouting; the words around it still can be.
    let calm = own.analyze("cancel NEV BGAXS please", today());
    assert_eq!(calm.entities.booking_ref.as_deref(), Some("NEV-BGAXS"));
    assert!(!calm.sentiment.requires_attention, "{calm:?}");
    let loud = own.analyze("CANCEL NEV BGAXS RIGHT NOW, THIS IS UNACCEPTABLE", today());
    assert!(loud.sentiment.requires_attention, "{loud:?}");
    assert_eq!(u.entities.hotel.as_deref(), Some("nevada"));
    assert_eq!(u.entities.city.as_deref(), Some("Granada"));
    assert_eq!(u.entities.room_type.as_deref(), Some("ph"));
    let empty = OfflineNlu::new(Lexicon::default()).analyze("Hotel Sol, double room", today());
    assert_eq!(
        (empty.entities.hotel, empty.entities.room_type),
        (None, None)
    );
    assert_eq!(own.lexicon().hotels.len(), 1);
    assert_eq!(catalog().hotels.len(), 2);
}

#[test]
fn references_are_upper_cased_and_emails_lower_cased() {
    let e = analyze("ref abc-12345, write to Ana.Lopez@Example.COM").entities;
    assert_eq!(e.booking_ref.as_deref(), Some("ABC-12345"));
    assert_eq!(e.email.as_deref(), Some("ana.lopez@example.com"));
    let e = analyze("mail me at jooohn@example.com").entities;
    assert_eq!(e.email.as_deref(), Some("jooohn@example.com"));
    let e = analyze("my confirmation number: 88213402").entities;
    assert_eq!(e.booking_ref.as_deref(), Some("88213402"));
    assert_eq!(e.check_in, None);
}

#[test]
fn an_english_message_naming_a_spanish_person_stays_english() {
    let u = analyze("Hi, my name is José Ramón Núñez");
    assert_eq!(u.language, Language::En);
    assert_eq!(u.entities.name.as_deref(), Some("José Ramón Núñez"));
    assert_eq!(analyze("ok").language, Language::En);
    assert_eq!(analyze("¿ok?").language, Language::Es);
}

#[test]
fn only_the_first_max_chars_are_read() {
    let padding = "blah ".repeat(OfflineNlu::MAX_CHARS);
    let late = analyze(&format!("{padding} cancel my booking for Dec 3"));
    assert_eq!(
        (late.intent, late.entities.check_in),
        (Intent::Unknown, None)
    );
    let early = analyze(&format!("cancel my booking for Dec 3 {padding}"));
    assert_eq!(early.intent, Intent::CancellationRequest);
    assert_eq!(early.entities.check_in, Some(date("2026-12-03")));
}
