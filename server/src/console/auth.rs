//! Staff credentials: passwords hashed with argon2id (PHC strings in `sv_staff`), session
//! tokens drawn from the OS's generator and kept only as their SHA-256 (`sv_sessions`), and
//! the limit on failed logins. The HTTP side (cookies, the Origin check) is `http/console.rs`'s
//! and the router's.

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::db::ConsoleStore;

/// How long a session lasts: a working day and a bit.
pub(crate) const SESSION: Duration = Duration::from_secs(12 * 60 * 60);
/// The longest staff name, in characters (as in the staff API).
pub(crate) const MAX_NAME: usize = 64;
/// The shortest and longest passwords accepted, in characters.
pub(crate) const PASSWORD_CHARS: (usize, usize) = (10, 200);
/// Failed logins one name may have in [`FAILURE_WINDOW`] before further tries are refused
/// unchecked until the window ends.
const FAILURES_PER_NAME: i64 = 5;
/// Failed logins all names together may have in [`FAILURE_WINDOW`]: someone trying many names
/// (each checked against a decoy hash, which costs as much as a real one) is stopped too.
const FAILURES_IN_ALL: i64 = 200;
/// How long failed logins count, from the first of a run.
pub(crate) const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Who is acting through the staff API, as the router's middleware found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Actor {
    /// A staff member, by their session: acts under their own name.
    Staff(String),
    /// The admin token: names the staff member in each request's `by`.
    Admin,
    /// No admin token is set (the server is on loopback): anyone on this machine, as `by`.
    Open,
}

impl Actor {
    /// The name staff actions are recorded under: the session's, or `by` from the request
    /// (the admin token's and the open loopback's only).
    pub(crate) fn name<'a>(&'a self, by: Option<&'a str>) -> Option<&'a str> {
        match self {
            Actor::Staff(name) => Some(name),
            Actor::Admin | Actor::Open => by,
        }
    }
}

/// The staff name an action is recorded under: the session's own, or (with the admin token
/// or on the open loopback) the request's `by`, 1–64 characters without control characters
/// (it goes in the conversation's history). The reason when there is none fit.
pub(crate) fn acting(actor: &Actor, by: Option<&str>) -> Result<String, String> {
    let Some(name) = actor.name(by.map(str::trim)) else {
        return Err("by (the staff member's name) is required without a staff login".into());
    };
    let chars = name.chars().count();
    if name.is_empty() || chars > MAX_NAME || name.chars().any(char::is_control) {
        return Err(format!(
            "by must be 1–{MAX_NAME} characters without control characters, got {chars}"
        ));
    }
    Ok(name.to_owned())
}

/// Whether `name` can be a staff name: 1–64 characters of letters, digits, spaces and
/// `.`, `-`, `_`, `'`, not blank at either end (it is shown in transcripts and logs).
pub(crate) fn valid_name(name: &str) -> bool {
    let chars = name.chars().count();
    (1..=MAX_NAME).contains(&chars)
        && name.trim() == name
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '\''))
}

/// `password` hashed with argon2id and a fresh salt, as a PHC string. Slow on purpose: call
/// it off the async workers.
pub(crate) fn hash_password(password: &str) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Credentials(format!("the OS's random: {e}")))?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| Error::Credentials(format!("encoding a salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Credentials(format!("hashing a password: {e}")))
}

/// Whether `password` matches the PHC string `hash` (false for a hash that does not parse).
/// Slow on purpose, like [`hash_password`].
pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to check passwords of unknown names against, so that a login for a name that does
/// not exist takes as long as one with a wrong password.
pub(crate) fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("not anyone's password").unwrap_or_default())
}

/// A new session token (256 bits from the OS, hex) and the hash it is stored under.
pub(crate) fn new_token() -> Result<(String, String), Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Error::Credentials(format!("the OS's random: {e}")))?;
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// What a session token is stored and looked up under.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Failed logins, per name and in all, counted in the database: every replica (and every
/// process on one SQLite file) counts the same tries.
pub(crate) struct Logins<'a, D: ConsoleStore + ?Sized> {
    db: &'a D,
    now_ms: i64,
}

impl<'a, D: ConsoleStore + ?Sized> Logins<'a, D> {
    /// The failed logins in `db`, as they stand at `now_ms`.
    pub(crate) fn at(db: &'a D, now_ms: i64) -> Self {
        Logins { db, now_ms }
    }

    /// Where the window of failures that still count began.
    fn since(&self) -> i64 {
        self.now_ms - i64::try_from(FAILURE_WINDOW.as_millis()).unwrap_or(i64::MAX)
    }

    /// Whether a login as `name` may be checked now.
    pub(crate) async fn allow(&self, name: &str) -> Result<bool, Error> {
        let (by_name, all) = self.db.login_failures(&key(name), self.since()).await?;
        Ok(by_name < FAILURES_PER_NAME && all < FAILURES_IN_ALL)
    }

    /// Counts a failed login as `name`.
    pub(crate) async fn failed(&self, name: &str) -> Result<(), Error> {
        self.db
            .login_failed(&key(name), self.now_ms, self.since())
            .await
    }

    /// Forgets `name`'s failures after it logged in.
    pub(crate) async fn succeeded(&self, name: &str) -> Result<(), Error> {
        self.db.login_succeeded(&key(name)).await
    }
}

/// The key a name's failures are counted under: names are told apart without case, and never
/// collide with the count of all names (`all`).
fn key(name: &str) -> String {
    format!("name:{}", name.to_lowercase())
}
