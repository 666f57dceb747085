//! The staff console's pages and its logins: `/console` (plain HTML, CSS and JavaScript in
//! `console/` next to this file, compiled into the binary) and `/console/conversations/{id}`
//! (a conversation, for links in staff notices), `POST /staff/login` and
//! `/staff/logout` (a session cookie: HttpOnly, SameSite=Strict, Secure unless the server is on
//! loopback), `GET /staff/api/me`, and `POST /staff/api/staff`, the admin's way to add an
//! account. The data the pages show is `console_api.rs`'s.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use super::error::{ApiError, OrInternal, RequestId, json_body};
use super::shapes::Text;
use crate::console::auth::{self, PASSWORD_CHARS, SESSION};
use crate::console::{Actor, Logins};
use crate::state::{App, now_ms};

/// The session cookie's name.
pub(crate) const COOKIE: &str = "sv_session";

pub(crate) async fn page() -> Html<&'static str> {
    Html(include_str!("console/console.html"))
}

pub(crate) async fn script() -> Text {
    Text {
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("console/console.js").to_owned(),
    }
}

pub(crate) async fn style() -> Text {
    Text {
        content_type: "text/css; charset=utf-8",
        body: include_str!("console/console.css").to_owned(),
    }
}

/// `GET /console/conversations/{thread_id}`: the console's page of a conversation, where staff
/// notices link with `CONSOLE_BASE_URL=https://…/console/conversations`. (The page's own
/// addresses are fragments, which notices cannot name in a path.)
pub(crate) async fn conversation_link(Path(thread): Path<String>) -> Redirect {
    // Everything but unreserved characters percent-encoded, so the fragment is the thread id.
    let encoded: String = thread
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect();
    Redirect::to(&format!("/console#conversation/{encoded}"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    name: String,
    password: String,
}

/// Who is signed in.
#[derive(Serialize)]
pub(crate) struct Me {
    /// The staff member's name; `null` with the admin token or on the open loopback.
    name: Option<String>,
    /// `session`, `admin` or `open`.
    via: &'static str,
}

/// `POST /staff/login` `{"name", "password"}`: a session cookie, or 401 "wrong name or
/// password" whichever was wrong (429 after too many failures for the name).
pub(crate) async fn login(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if !same_origin(&headers) {
        return Err(ApiError::Forbidden(
            "a login must come from this server's own pages".into(),
        ));
    }
    let given: Credentials = json_body(&body?, r#"{"name": "...", "password": "..."}"#)?;
    let name = given.name.trim().to_owned();
    let logins = Logins::at(&*app.db, now_ms());
    if !logins
        .allow(&name)
        .await
        .or_internal(&request_id, "reading failed logins")?
    {
        return Err(ApiError::TooManyRequests {
            retry_after: std::time::Duration::from_secs(15 * 60),
        });
    }
    let fits = auth::valid_name(&name) && given.password.chars().count() <= PASSWORD_CHARS.1;
    let hash = if fits {
        app.db
            .staff_hash(&name)
            .await
            .or_internal(&request_id, "reading a staff member")?
    } else {
        None
    };
    // An unknown name is checked against a decoy, so it takes as long as a wrong password.
    let password = given.password;
    let matched = tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| auth::decoy_hash().to_owned());
        auth::verify_password(&password, &hash) && known
    })
    .await
    .or_internal(&request_id, "checking a password")?;
    if !matched {
        logins
            .failed(&name)
            .await
            .or_internal(&request_id, "counting a failed login")?;
        tracing::warn!(staff = %name.escape_debug(), "a staff login failed");
        return Err(ApiError::LoginFailed);
    }
    logins
        .succeeded(&name)
        .await
        .or_internal(&request_id, "forgetting failed logins")?;
    let (token, token_hash) = auth::new_token().or_internal(&request_id, "drawing a token")?;
    let now = now_ms();
    let expires = now + i64::try_from(SESSION.as_millis()).unwrap_or(i64::MAX);
    app.db
        .open_session(&token_hash, &name, now, expires)
        .await
        .or_internal(&request_id, "opening a staff session")?;
    tracing::info!(staff = %name, "a staff member logged in");
    let cookie = cookie(&app, &token, SESSION.as_secs());
    let me = Me {
        name: Some(name),
        via: "session",
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(me)).into_response())
}

/// `POST /staff/logout`: ends the session and clears its cookie.
pub(crate) async fn logout(
    State(app): State<Arc<App>>,
    request_id: RequestId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&headers) {
        app.db
            .close_session(&auth::token_hash(token))
            .await
            .or_internal(&request_id, "ending a staff session")?;
    }
    let cookie = cookie(&app, "", 0);
    Ok(([(header::SET_COOKIE, cookie)], StatusCode::NO_CONTENT).into_response())
}

/// `GET /staff/api/me`.
pub(crate) async fn me(Extension(actor): Extension<Actor>) -> Json<Me> {
    Json(match actor {
        Actor::Staff(name) => Me {
            name: Some(name),
            via: "session",
        },
        Actor::Admin => Me {
            name: None,
            via: "admin",
        },
        Actor::Open => Me {
            name: None,
            via: "open",
        },
    })
}

/// `POST /staff/api/staff` `{"name", "password"}` (admin token only): adds an account.
pub(crate) async fn add_staff(
    State(app): State<Arc<App>>,
    Extension(actor): Extension<Actor>,
    request_id: RequestId,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Me>), ApiError> {
    if let Actor::Staff(_) = actor {
        return Err(ApiError::Forbidden(
            "only the admin token adds staff accounts".into(),
        ));
    }
    let given: Credentials = json_body(&body?, r#"{"name": "...", "password": "..."}"#)?;
    if !auth::valid_name(&given.name) {
        return Err(ApiError::Invalid(format!(
            "name must be 1–{} letters, digits, spaces or . - _ ', not blank at either end",
            auth::MAX_NAME
        )));
    }
    let (least, most) = PASSWORD_CHARS;
    if !(least..=most).contains(&given.password.chars().count()) {
        return Err(ApiError::Invalid(format!(
            "password must be {least}–{most} characters"
        )));
    }
    let password = given.password;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .or_internal(&request_id, "hashing a password")?
        .or_internal(&request_id, "hashing a password")?;
    let added = app
        .db
        .add_staff(&given.name, &hash, now_ms())
        .await
        .or_internal(&request_id, "adding a staff member")?;
    if !added {
        return Err(ApiError::Conflict(format!(
            "there is already a staff member named {:?}",
            given.name
        )));
    }
    tracing::info!(staff = %given.name, "a staff account was added");
    let me = Me {
        name: Some(given.name),
        via: "session",
    };
    Ok((StatusCode::CREATED, Json(me)))
}

/// The session token in the request's cookie, if any.
pub(crate) fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

/// Whether the request's `Origin`, when it has one, is this server (the `Host` it was sent to).
/// Browsers send it with every POST; a page of another site posting here has its own.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest);
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// The session cookie carrying `token` for `max_age` seconds (0 clears it).
fn cookie(app: &App, token: &str, max_age: u64) -> HeaderValue {
    // Secure needs https, which a server on loopback (a developer's, the tests') lacks.
    let secure = if app.config.bind_addr.ip().is_loopback() {
        ""
    } else {
        "; Secure"
    };
    let value =
        format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&value)
        .unwrap_or_else(|_| HeaderValue::from_static("sv_session=; Max-Age=0"))
}
