//! The shipped catalog's contents, and validation errors on bad catalogs.

use chrono::NaiveTime;
use hotel::{Breakfast, CATALOG_JSON, Catalog, Cents, Error, Parking, Pets, RoomKind, Shuttle};
use serde_json::{Value, json};

#[test]
fn the_shipped_catalog_matches_the_issue_table() {
    let catalog = Catalog::load().unwrap();
    let rows: Vec<_> = catalog
        .hotels()
        .iter()
        .map(|h| {
            let rooms: Vec<_> = h
                .rooms
                .iter()
                .map(|r| (r.kind, r.count, r.base.0 / 100, r.max_guests))
                .collect();
            (
                h.code.as_str(),
                h.stars,
                h.check_in.to_string(),
                h.check_out.to_string(),
                rooms,
            )
        })
        .collect();
    use RoomKind::*;
    let t = |s: &str| s.to_owned();
    assert_eq!(
        rows,
        vec![
            (
                "GPH",
                5,
                t("15:00:00"),
                t("12:00:00"),
                vec![
                    (Standard, 20, 220, 2),
                    (Deluxe, 12, 320, 3),
                    (Suite, 4, 650, 4)
                ]
            ),
            (
                "SRS",
                4,
                t("14:00:00"),
                t("11:00:00"),
                vec![
                    (Standard, 15, 180, 2),
                    (Deluxe, 10, 260, 3),
                    (Suite, 3, 480, 4),
                    (Family, 6, 300, 5)
                ]
            ),
            (
                "MVL",
                3,
                t("13:00:00"),
                t("10:00:00"),
                vec![(Standard, 10, 110, 2), (Family, 4, 170, 5)]
            ),
            (
                "CCI",
                3,
                t("14:00:00"),
                t("11:00:00"),
                vec![(Standard, 18, 120, 2), (Deluxe, 6, 160, 3)]
            ),
            (
                "HPH",
                5,
                t("14:00:00"),
                t("12:00:00"),
                vec![(Deluxe, 10, 340, 3), (Suite, 5, 700, 4)]
            ),
            (
                "ABH",
                4,
                t("14:00:00"),
                t("11:00:00"),
                vec![(Standard, 25, 150, 2), (Deluxe, 8, 210, 3)]
            ),
            (
                "BSE",
                2,
                t("12:00:00"),
                t("10:00:00"),
                vec![(Standard, 30, 65, 2), (Family, 5, 95, 4)]
            ),
        ]
    );
    let srs = catalog.hotel("srs").unwrap();
    assert_eq!(
        (srs.name.as_str(), srs.city.as_str(), srs.area.as_str()),
        ("Seaside Resort & Spa", "Miami Beach", "oceanfront")
    );
    assert_eq!(srs.check_in, NaiveTime::from_hms_opt(14, 0, 0).unwrap());
}

#[test]
fn amenities_match_the_issue_paragraph() {
    let catalog = Catalog::load().unwrap();
    let codes = |pred: &dyn Fn(&hotel::Amenities) -> bool| -> Vec<&str> {
        catalog
            .hotels()
            .iter()
            .filter(|h| pred(&h.amenities))
            .map(|h| h.code.as_str())
            .collect()
    };
    assert_eq!(codes(&|a| a.free_wifi && a.non_smoking).len(), 7);
    assert_eq!(
        codes(&|a| a.breakfast == Breakfast::Included),
        ["MVL", "CCI", "BSE"]
    );
    assert_eq!(codes(&|a| a.pool), ["GPH", "SRS", "HPH", "ABH"]);
    assert_eq!(codes(&|a| a.spa), ["GPH", "SRS", "HPH"]);
    assert_eq!(codes(&|a| a.gym), ["GPH", "SRS", "CCI", "ABH"]);
    assert_eq!(
        codes(&|a| a.parking == Parking::Free),
        ["SRS", "MVL", "ABH", "BSE"]
    );
    assert_eq!(
        codes(&|a| a.restaurant),
        ["GPH", "SRS", "MVL", "CCI", "HPH", "ABH"]
    );
    assert_eq!(codes(&|a| a.meeting_rooms), ["GPH", "ABH"]);
    assert_eq!(
        codes(&|a| matches!(a.pets, Pets::Allowed { .. })),
        ["SRS", "MVL"]
    );
    assert_eq!(codes(&|a| a.min_check_in_age == 18), ["BSE"]);

    let a = |code| &catalog.hotel(code).unwrap().amenities;
    let per_day = |dollars| Breakfast::PerPersonPerDay {
        price_cents: Cents::dollars(dollars),
    };
    assert_eq!(
        [
            a("GPH").breakfast,
            a("HPH").breakfast,
            a("SRS").breakfast,
            a("ABH").breakfast
        ],
        [per_day(25), per_day(25), per_day(20), per_day(18)]
    );
    assert_eq!(
        a("GPH").parking,
        Parking::Paid {
            per_night_cents: Cents::dollars(45),
            valet: true
        }
    );
    assert_eq!(
        a("HPH").parking,
        Parking::Paid {
            per_night_cents: Cents::dollars(30),
            valet: false
        }
    );
    assert_eq!(
        a("CCI").parking,
        Parking::None {
            note: Some("public garage nearby".into())
        }
    );
    assert_eq!(a("ABH").airport_shuttle, Shuttle::Free24h);
    assert_eq!(
        a("GPH").airport_shuttle,
        Shuttle::PerTrip {
            price_cents: Cents::dollars(60)
        }
    );
    assert_eq!(a("SRS").airport_shuttle, Shuttle::None);
    assert_eq!(
        a("MVL").pets,
        Pets::Allowed {
            fee_per_night_cents: Cents::dollars(25)
        }
    );
}

/// The shipped catalog with `edit` applied, loaded.
fn load_edited(edit: impl FnOnce(&mut Value)) -> Result<Catalog, Error> {
    let mut value: Value = serde_json::from_str(CATALOG_JSON).unwrap();
    edit(&mut value);
    Catalog::from_json(&value.to_string())
}

#[test]
fn validation_errors_name_what_is_wrong() {
    type Edit = fn(&mut Value);
    let cases: [(Edit, &str); 14] = [
        (
            |v| v["hotels"][1]["code"] = json!("GPH"),
            "hotel code `GPH` appears more than once in the catalog",
        ),
        (
            |v| v["hotels"][0]["code"] = json!("gph"),
            "hotel code `gph` must be three uppercase letters A-Z",
        ),
        (
            |v| v["hotels"][0]["code"] = json!("GP"),
            "hotel code `GP` must be three uppercase letters A-Z",
        ),
        (
            |v| v["hotels"][6]["stars"] = json!(1),
            "hotel BSE has 1 stars; the catalog supports 2 to 5",
        ),
        (
            |v| v["hotels"][0]["stars"] = json!(6),
            "hotel GPH has 6 stars; the catalog supports 2 to 5",
        ),
        (
            |v| v["hotels"][0]["check_in"] = json!("3pm"),
            "hotel GPH has check-in time `3pm`, expected HH:MM",
        ),
        (
            |v| v["hotels"][0]["rooms"] = json!([]),
            "hotel GPH lists no room types",
        ),
        (
            |v| v["hotels"][0]["rooms"][0]["type"] = json!("Penthouse"),
            "hotel GPH has unknown room type `Penthouse` (known: Standard, Deluxe, Suite, Family)",
        ),
        (
            |v| v["hotels"][0]["rooms"][1]["type"] = json!("Standard"),
            "hotel GPH lists room type Standard more than once",
        ),
        (
            |v| v["hotels"][1]["rooms"][3]["count"] = json!(0),
            "hotel SRS: Family room count must be positive",
        ),
        (
            |v| v["hotels"][0]["rooms"][0]["base_cents"] = json!(0),
            "hotel GPH: Standard room base price must be positive",
        ),
        (
            |v| v["hotels"][0]["rooms"][2]["max_guests"] = json!(0),
            "hotel GPH: Suite room max guests must be positive",
        ),
        (
            |v| v["hotels"][0]["amenities"]["breakfast"]["price_cents"] = json!(0),
            "hotel GPH: breakfast price must be positive",
        ),
        (|v| v["hotels"] = json!([]), "the catalog lists no hotels"),
    ];
    for (edit, message) in cases {
        let err = load_edited(edit).expect_err(message);
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn malformed_json_is_a_catalog_json_error() {
    let cases: [fn(&mut Value); 3] = [
        |v| {
            v["hotels"][0]
                .as_object_mut()
                .unwrap()
                .remove("name")
                .map(drop)
                .unwrap()
        },
        |v| v["hotels"][0]["rooms"][0]["price"] = json!(1),
        |v| v["hotels"][0]["amenities"]["parking"] = json!({"kind": "valet"}),
    ];
    for edit in cases {
        let err = load_edited(edit).unwrap_err();
        assert!(matches!(err, Error::CatalogJson(_)), "{err:?}");
    }
    assert!(matches!(
        Catalog::from_json("not json"),
        Err(Error::CatalogJson(_))
    ));
}

#[test]
fn unknown_hotel_lookup() {
    let catalog = Catalog::load().unwrap();
    assert_eq!(
        catalog.hotel("XYZ").unwrap_err().to_string(),
        "there is no hotel with code `XYZ`"
    );
    let room = catalog
        .hotel("MVL")
        .unwrap()
        .room(RoomKind::Deluxe)
        .unwrap_err();
    assert_eq!(room.to_string(), "hotel MVL has no Deluxe rooms");
}
