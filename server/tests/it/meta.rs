//! Meta's formats through `server::meta`: the signature test vectors of the wire-protocol
//! reference, webhook payload parsing (echoes, reads, statuses, batches, odd events), and
//! splitting replies at each platform's limit.

use server::meta::signature::{SignatureError, sign, verify};
use server::meta::split::{Limit, split};
use server::meta::{Channel, Content, instagram, whatsapp};

pub(crate) const SECRET: &str = "test_app_secret";

/// The exact bodies of the reference's test vectors (no trailing newline).
pub(crate) const IG_BODY: &str = r#"{"object":"instagram","entry":[{"id":"17841400000000001","time":1795302000123,"messaging":[{"sender":{"id":"1122334455667788"},"recipient":{"id":"17841400000000001"},"timestamp":1795301999876,"message":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAx","text":"Hola, ¿tienen habitación doble del 12 al 14 de diciembre?"}}]}]}"#;
const IG_BODY_ESCAPED: &str = r#"{"object":"instagram","entry":[{"id":"17841400000000001","time":1795302000123,"messaging":[{"sender":{"id":"1122334455667788"},"recipient":{"id":"17841400000000001"},"timestamp":1795301999876,"message":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAx","text":"Hola, \u00bftienen habitaci\u00f3n doble del 12 al 14 de diciembre?"}}]}]}"#;
pub(crate) const WA_BODY: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"1795302000","type":"text","text":{"body":"I need to move my booking to next Friday"}}]},"field":"messages"}]}]}"#;

#[test]
fn signatures_match_the_reference_vectors() {
    assert_eq!(IG_BODY.len(), 344);
    assert_eq!(IG_BODY_ESCAPED.len(), 352);
    assert_eq!(WA_BODY.len(), 509);
    let vectors = [
        (
            IG_BODY,
            "sha256=bd36b014f844f748038197d6d7b9408a1b6543490ba1b54eb560c7f993193032",
        ),
        (
            IG_BODY_ESCAPED,
            "sha256=bb8cfacf6b5348978a8eece1e350c47eb89be543128f1b43cdf234b85658fac2",
        ),
        (
            WA_BODY,
            "sha256=c998f6fa8a0508f5e9eaa3a3de56b1c43dcd15c33e4881898e5eeccc1996d65e",
        ),
    ];
    let secrets = vec![SECRET.to_owned()];
    for (body, expected) in vectors {
        assert_eq!(sign(SECRET, body.as_bytes()), expected);
        assert_eq!(
            verify(&secrets, Some(expected.as_bytes()), body.as_bytes()),
            Ok(())
        );
    }
    // The escaped and raw forms are the same JSON but not the same bytes.
    let raw_signature = sign(SECRET, IG_BODY.as_bytes());
    assert_eq!(
        verify(
            &secrets,
            Some(raw_signature.as_bytes()),
            IG_BODY_ESCAPED.as_bytes()
        ),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn signatures_are_refused_when_missing_malformed_or_wrong() {
    let secrets = vec!["other".to_owned(), SECRET.to_owned()];
    let body = WA_BODY.as_bytes();
    let good = sign(SECRET, body);
    // Either configured secret may have signed it.
    assert_eq!(verify(&secrets, Some(good.as_bytes()), body), Ok(()));
    assert_eq!(verify(&secrets, None, body), Err(SignatureError::Missing));
    for malformed in [
        "",
        "sha256=",
        "sha1=c998f6fa8a0508f5e9eaa3a3de56b1c43dcd15c3",
        &good[7..],
        &good[..good.len() - 1],
        &format!("{}zz", &good[..good.len() - 2]),
        &format!("{good}00"),
    ] {
        assert_eq!(
            verify(&secrets, Some(malformed.as_bytes()), body),
            Err(SignatureError::Malformed),
            "{malformed:?}"
        );
    }
    let mut flipped = good.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
    assert_eq!(
        verify(&secrets, Some(&flipped), body),
        Err(SignatureError::Mismatch)
    );
    // One byte more in the body.
    let mut longer = body.to_vec();
    longer.push(b' ');
    assert_eq!(
        verify(&secrets, Some(good.as_bytes()), &longer),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(&[], Some(good.as_bytes()), body),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn instagram_messages_are_read_and_echoes_reads_and_standby_ignored() {
    let delivery = instagram::parse(IG_BODY.as_bytes()).unwrap();
    assert_eq!(delivery.messages.len(), 1);
    let m = &delivery.messages[0];
    assert_eq!(m.channel, Channel::Instagram);
    assert_eq!(m.sender, "1122334455667788");
    assert_eq!(
        m.message_id,
        "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAx"
    );
    assert_eq!(
        m.content,
        Content::Text("Hola, ¿tienen habitación doble del 12 al 14 de diciembre?".into())
    );
    assert_eq!(m.sent_at_ms, 1_795_301_999_876);

    let batch = r#"{"object":"instagram","entry":[
      {"id":"B","time":1,"messaging":[
        {"sender":{"id":"B"},"recipient":{"id":"G1"},"timestamp":1,"message":{"mid":"m-echo","text":"our reply","is_echo":true}},
        {"sender":{"id":"G1"},"recipient":{"id":"B"},"timestamp":2,"read":{"mid":"m-x"}},
        {"sender":{"id":"G1"},"recipient":{"id":"B"},"timestamp":3,"reaction":{"mid":"m-x","action":"react","reaction":"love"}},
        {"sender":{"id":"G1"},"recipient":{"id":"B"},"timestamp":4,"message":{"mid":"m-photo","attachments":[{"type":"image","payload":{"url":"https://x"}}]}},
        {"sender":{"id":"G1"},"recipient":{"id":"B"},"timestamp":5,"message":{"mid":"m-del","is_deleted":true}},
        {"sender":{"id":"G1"},"recipient":{"id":"B"},"timestamp":6,"postback":{"mid":"m-pb","title":"Reservar","payload":"BOOK_START"}},
        {"sender":"not an object"}
      ]},
      {"id":"B","time":2,"messaging":[
        {"sender":{"id":"G2"},"recipient":{"id":"B"},"timestamp":7,"message":{"mid":"m-2","text":"hello"}}
      ],"standby":[{"sender":{"id":"G3"},"recipient":{"id":"B"},"timestamp":8,"message":{"mid":"m-3","text":"hi"}}]},
      "not an entry"
    ]}"#;
    let delivery = instagram::parse(batch.as_bytes()).unwrap();
    let got: Vec<_> = delivery
        .messages
        .iter()
        .map(|m| (m.message_id.as_str(), m.sender.as_str(), m.content.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("m-photo", "G1", Content::Unsupported("image".into())),
            ("m-pb", "G1", Content::Text("Reservar".into())),
            ("m-2", "G2", Content::Text("hello".into())),
        ]
    );
    // Echo, read, reaction, deletion, the odd event, standby and the odd entry.
    assert_eq!(delivery.ignored, 7);
}

#[test]
fn whatsapp_messages_statuses_and_other_numbers() {
    let delivery = whatsapp::parse(WA_BODY.as_bytes(), Some("106540352242922")).unwrap();
    assert_eq!(delivery.messages.len(), 1);
    let m = &delivery.messages[0];
    assert_eq!(m.channel, Channel::Whatsapp);
    assert_eq!(m.sender, "16505551234");
    assert_eq!(m.sent_at_ms, 1_795_302_000_000);
    assert_eq!(
        m.content,
        Content::Text("I need to move my booking to next Friday".into())
    );
    // Routed on the phone number id: another number's messages are not ours.
    let other = whatsapp::parse(WA_BODY.as_bytes(), Some("999")).unwrap();
    assert!(other.messages.is_empty());
    assert_eq!(other.ignored, 1);

    let mixed = r#"{"object":"whatsapp_business_account","entry":[{"id":"W","changes":[
      {"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"P"},
        "messages":[
          {"from":"","from_user_id":"US.bsuid1","id":"wamid.1","timestamp":"10","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"yes","title":"Yes"}}},
          {"from":"155","id":"wamid.2","timestamp":"11","type":"image","image":{"id":"media"}},
          {"from":"155","id":"wamid.3","timestamp":"12","type":"reaction","reaction":{"message_id":"wamid.x","emoji":"👍"}},
          {"from":"155","id":"wamid.4","timestamp":"13","type":"button","button":{"payload":"P","text":"Book now"}}
        ]}},
      {"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"P"},
        "statuses":[
          {"id":"wamid.out1","status":"delivered","timestamp":"14","recipient_id":"155"},
          {"id":"wamid.out2","status":"failed","timestamp":"15","recipient_id":"155","errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message","error_data":{"details":"More than 24 hours have passed"}}]}
        ]}},
      {"field":"account_update","value":{"phone_number":"1"}}
    ]}]}"#;
    let delivery = whatsapp::parse(mixed.as_bytes(), None).unwrap();
    let got: Vec<_> = delivery
        .messages
        .iter()
        .map(|m| (m.message_id.as_str(), m.sender.as_str(), m.content.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("wamid.1", "US.bsuid1", Content::Text("Yes".into())),
            ("wamid.2", "155", Content::Unsupported("image".into())),
            ("wamid.4", "155", Content::Text("Book now".into())),
        ]
    );
    assert_eq!(delivery.failures.len(), 1);
    let failure = &delivery.failures[0];
    assert_eq!(failure.message_id, "wamid.out2");
    assert_eq!(failure.code, 131_047);
    assert!(failure.detail.contains("24 hours"), "{}", failure.detail);
    // The reaction, the delivered status and the other field.
    assert_eq!(delivery.ignored, 3);
}

#[test]
fn bodies_that_are_not_webhook_envelopes_are_errors_and_unknown_objects_ignored() {
    for bad in [
        "",
        "{",
        "not json",
        "[1,2]",
        r#"{"object":1}"#,
        r#"{"object":"instagram","entry":{}}"#,
    ] {
        assert!(instagram::parse(bad.as_bytes()).is_err(), "{bad:?}");
        assert!(whatsapp::parse(bad.as_bytes(), None).is_err(), "{bad:?}");
    }
    let page = r#"{"object":"page","entry":[{"id":"1","messaging":[]}]}"#;
    let delivery = instagram::parse(page.as_bytes()).unwrap();
    assert!(delivery.messages.is_empty());
    assert_eq!(delivery.ignored, 1);
    assert!(
        whatsapp::parse(IG_BODY.as_bytes(), None)
            .unwrap()
            .messages
            .is_empty()
    );
}

#[test]
fn replies_are_split_at_word_boundaries_within_each_limit() {
    // Instagram counts bytes: "é" is 2 of them.
    let word = "habitación";
    let text = vec![word; 200].join(" ");
    let parts = split(&text, Channel::Instagram.limit());
    assert!(parts.len() >= 3, "{}", parts.len());
    for part in &parts {
        assert!(!part.is_empty() && part.len() <= 1000, "{}", part.len());
        assert!(part.split(' ').all(|w| w == word), "cut inside a word");
    }
    assert_eq!(parts.join(" "), text);
    // WhatsApp counts characters.
    let text = vec!["ñandú"; 1000].join(" ");
    let parts = split(&text, Channel::Whatsapp.limit());
    assert_eq!(parts.len(), 2);
    assert!(parts.iter().all(|p| p.chars().count() <= 4096));
    assert!(parts[0].len() > 4096, "bytes are not the WhatsApp unit");
    assert_eq!(parts.join(" "), text);
    // A word longer than the limit is cut between characters, never inside one.
    let long = "€".repeat(700);
    let parts = split(&long, Limit::Bytes(1000));
    assert_eq!(
        parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
        vec![333, 333, 34]
    );
    // Short texts are one part; blank ones none.
    assert_eq!(
        split("  Hello there ", Limit::Bytes(1000)),
        vec!["Hello there"]
    );
    assert!(split(" \n ", Limit::Chars(10)).is_empty());
}
