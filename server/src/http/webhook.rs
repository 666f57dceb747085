//! `GET|POST /webhooks/{instagram|whatsapp}`: Meta's verification handshake, and deliveries.
//!
//! A delivery is answered only after its messages are stored (a 500 makes Meta retry, so
//! nothing is lost), and quickly: the agent runs afterwards, in the inbox worker. The
//! signature is checked on the raw bytes before anything is parsed.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;

use super::error::{ApiError, OrInternal, RequestId};
use super::shapes::Text;
use crate::db::{InboxState, Kind, NewMessage, Reply};
use crate::limits::{SLOW_DOWN, Verdict};
use crate::meta::form::Form;
use crate::meta::{Channel, Content, instagram, signature, split, whatsapp};
use crate::state::{App, correlation_id, now_ms, secret_eq};

/// What Meta is answered when a delivery was stored (or had nothing to store).
const RECEIVED: &str = "EVENT_RECEIVED";

/// The configured channel `name`, or why not.
fn channel_of(name: &str, app: &App) -> Result<Channel, ApiError> {
    let channel =
        Channel::parse(name).ok_or_else(|| ApiError::NotFound(format!("no channel `{name}`")))?;
    if app.channel(channel).is_none() {
        return Err(ApiError::NotFound(format!(
            "the {channel} channel is not configured on this server"
        )));
    }
    Ok(channel)
}

/// The subscription handshake: echoes `hub.challenge` when `hub.verify_token` matches.
pub(crate) async fn verify(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Text, ApiError> {
    let channel = channel_of(&name, &app)?;
    let expected = app.channel(channel).and_then(|c| c.verify_token.as_deref());
    let mode = query.get("hub.mode").map(String::as_str);
    let token = query.get("hub.verify_token").map(String::as_bytes);
    let matches = match (expected, token) {
        (Some(expected), Some(token)) => secret_eq(expected.as_bytes(), token),
        _ => false,
    };
    if mode != Some("subscribe") || !matches {
        tracing::warn!(%channel, "webhook verification refused");
        return Err(ApiError::Forbidden(
            "verification token mismatch".to_owned(),
        ));
    }
    match query.get("hub.challenge") {
        Some(challenge)
            if !challenge.is_empty()
                && challenge.len() <= 256
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            tracing::info!(%channel, "webhook verified");
            Ok(Text {
                content_type: "text/plain",
                body: challenge.clone(),
            })
        }
        _ => Err(ApiError::Malformed(
            "hub.challenge must be 1–256 letters or digits".to_owned(),
        )),
    }
}

/// A delivery: signature, parse, rate limits, durable enqueue, 200.
pub(crate) async fn receive(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    request_id: RequestId,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<&'static str, ApiError> {
    // Over the body limit is refused before anything else, as the extractor did.
    let body: Bytes = body?;
    let channel = channel_of(&name, &app)?;
    let label = channel.as_str();
    let secrets = app
        .channel(channel)
        .map(|c| c.secrets.as_slice())
        .unwrap_or_default();
    let header = headers
        .get("x-hub-signature-256")
        .map(axum::http::HeaderValue::as_bytes);
    if let Err(why) = signature::verify(secrets, header, &body) {
        tracing::warn!(%channel, %why, "webhook refused");
        app.metrics.webhook(label, "bad_signature", 1);
        return Err(ApiError::BadSignature(why.to_string()));
    }
    let parsed = match channel {
        Channel::Instagram => instagram::parse(&body),
        Channel::Whatsapp => whatsapp::parse(&body, app.config.whatsapp_phone_number_id.as_deref()),
    };
    let delivery = match parsed {
        Ok(delivery) => delivery,
        Err(why) => {
            tracing::warn!(%channel, %why, "malformed webhook");
            app.metrics.webhook(label, "malformed", 1);
            return Err(ApiError::Malformed(why.to_string()));
        }
    };
    app.metrics
        .webhook(label, "ignored", delivery.ignored as u64);
    let now = now_ms();
    for failure in delivery.failures {
        tracing::warn!(
            %channel,
            message_id = failure.message_id,
            code = failure.code,
            detail = failure.detail,
            "Meta could not deliver a reply"
        );
        app.metrics.webhook(label, "delivery_failed", 1);
        // A 500 makes Meta deliver it again.
        app.db
            .delivery_failed(channel, failure, now)
            .await
            .or_internal(
                &request_id,
                &format!("{channel}: recording a failed delivery"),
            )?;
    }
    if delivery.messages.is_empty() {
        return Ok(RECEIVED);
    }
    // Redeliveries (Meta retries after a 500, and sometimes just repeats) cost no budget: a
    // guest's budget counts messages, not attempts.
    let ids = delivery
        .messages
        .iter()
        .map(|m| m.message_id.clone())
        .collect();
    let stored_already = app
        .db
        .stored_already(channel, ids)
        .await
        .or_internal(&request_id, &format!("{channel}: looking up a delivery"))?;
    let mut notify = Vec::new();
    let mut messages: Vec<NewMessage> = Vec::with_capacity(delivery.messages.len());
    for m in delivery.messages {
        let verdict = if stored_already.contains(&m.message_id) {
            Verdict::Allowed
        } else {
            app.limits
                .check(&hotel_agent::thread_id(channel.as_str(), &m.sender))
                .await
        };
        let correlation = correlation_id();
        notify.push(matches!(verdict, Verdict::Limited { notify: true, .. }));
        let (kind, text) = match m.content {
            Content::Text(text) => (Kind::Text, text),
            Content::Unsupported(kind) => (Kind::Unsupported, kind),
        };
        messages.push(NewMessage {
            channel,
            message_id: m.message_id,
            user: m.sender,
            kind,
            text,
            sent_at_ms: m.sent_at_ms,
            correlation,
            state: if verdict == Verdict::Allowed {
                InboxState::Pending
            } else {
                InboxState::Limited
            },
        });
    }
    let stored = app
        .db
        .receive(messages, now)
        .await
        .or_internal(&request_id, &format!("{channel}: storing a delivery"))?;
    for ((message, new), notify) in stored.into_iter().zip(notify) {
        let outcome = match (new, message.state) {
            (false, _) => "duplicate",
            (true, InboxState::Limited) => "rate_limited",
            (true, _) => "accepted",
        };
        tracing::info!(
            %channel,
            correlation = message.correlation,
            message_id = message.message_id,
            outcome,
            "guest message"
        );
        app.metrics.webhook(label, outcome, 1);
        // One notice per guest, and never for a redelivery.
        if new && notify {
            let parts = split::split(SLOW_DOWN, channel.limit());
            let sent = app
                .db
                .send_later(
                    Reply {
                        channel,
                        recipient: message.user,
                        parts,
                        correlation: message.correlation,
                        form: Form::Text,
                    },
                    now,
                )
                .await;
            if let Err(e) = sent {
                tracing::error!(%channel, error = %e, "queueing the slow-down notice");
            }
        }
    }
    app.wake.inbox.notify_one();
    app.wake.outbox.notify_one();
    Ok(RECEIVED)
}
