//! The server's settings: each an environment variable and a command-line flag (the flag
//! wins). Invalid values stop the server at start with a message naming the variable.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Parser, ValueEnum};

use crate::Error;
use crate::meta::Channel;
use crate::meta::send::Endpoint;

/// Which model reads guests' messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LlmProvider {
    /// The embedded rule-based NLU: no key, no network.
    Offline,
    /// Gemini (`GEMINI_API_KEY`, `GEMINI_MODEL`, `GEMINI_BASE_URL`), the offline NLU behind it.
    Gemini,
    /// An OpenAI-compatible server (`OPENAI_BASE_URL`, `OPENAI_MODEL`, `OPENAI_API_KEY`,
    /// `OPENAI_PROVIDER`), the offline NLU behind it.
    Openai,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The hotel agent server's settings.
#[derive(Clone, Parser)]
#[command(name = "server", version, about = "The hotel agent over HTTP")]
pub struct Config {
    /// Address to listen on. A non-loopback address requires ADMIN_TOKEN.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind_addr: SocketAddr,
    /// Where bookings, conversations, inbox and outbox live: `sqlite://PATH` (one file, one
    /// process) or `postgres://…` (shared by several replicas).
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://hotel-agent.db", value_parser = parse_database_url)]
    pub database_url: DatabaseUrl,
    /// Fixes today's date (YYYY-MM-DD) for demos and tests.
    #[arg(long, env = "HOTEL_TODAY")]
    pub hotel_today: Option<NaiveDate>,
    /// offline, gemini or openai; default gemini when GEMINI_API_KEY is set, else offline.
    #[arg(long, env = "LLM_PROVIDER", value_enum)]
    pub llm_provider: Option<LlmProvider>,
    /// Gemini API key (agent-nodes' GEMINI_* variables).
    #[arg(long, env = "GEMINI_API_KEY", hide_env_values = true)]
    pub gemini_api_key: Option<String>,
    /// Gemini model (default: agent-nodes' default).
    #[arg(long, env = "GEMINI_MODEL")]
    pub gemini_model: Option<String>,
    /// Gemini API base URL.
    #[arg(long, env = "GEMINI_BASE_URL")]
    pub gemini_base_url: Option<String>,
    /// OpenAI-compatible base URL that /chat/completions follows.
    #[arg(long, env = "OPENAI_BASE_URL")]
    pub openai_base_url: Option<String>,
    /// OpenAI-compatible model.
    #[arg(long, env = "OPENAI_MODEL")]
    pub openai_model: Option<String>,
    /// OpenAI-compatible API key.
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true)]
    pub openai_api_key: Option<String>,
    /// The name OpenAI-compatible calls are reported under (default `openai`).
    #[arg(long, env = "OPENAI_PROVIDER")]
    pub openai_provider: Option<String>,
    /// Bearer token the admin and state endpoints require.
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Instagram app secret(s), comma-separated; enables POST /webhooks/instagram.
    #[arg(long, env = "INSTAGRAM_APP_SECRET", hide_env_values = true)]
    pub instagram_app_secret: Option<String>,
    /// Token Meta echoes in the Instagram webhook verification.
    #[arg(long, env = "INSTAGRAM_VERIFY_TOKEN", hide_env_values = true)]
    pub instagram_verify_token: Option<String>,
    /// Instagram access token for the Send API.
    #[arg(long, env = "INSTAGRAM_ACCESS_TOKEN", hide_env_values = true)]
    pub instagram_access_token: Option<String>,
    /// Instagram account id replies are sent as (default `me`).
    #[arg(long, env = "INSTAGRAM_ACCOUNT_ID")]
    pub instagram_account_id: Option<String>,
    /// Instagram Graph API base URL.
    #[arg(long, env = "INSTAGRAM_GRAPH_BASE_URL", default_value = "https://graph.instagram.com", value_parser = parse_base_url)]
    pub instagram_graph_base_url: String,
    /// WhatsApp app secret(s), comma-separated; enables POST /webhooks/whatsapp.
    #[arg(long, env = "WHATSAPP_APP_SECRET", hide_env_values = true)]
    pub whatsapp_app_secret: Option<String>,
    /// Token Meta echoes in the WhatsApp webhook verification.
    #[arg(long, env = "WHATSAPP_VERIFY_TOKEN", hide_env_values = true)]
    pub whatsapp_verify_token: Option<String>,
    /// WhatsApp system-user access token for the Send API.
    #[arg(long, env = "WHATSAPP_ACCESS_TOKEN", hide_env_values = true)]
    pub whatsapp_access_token: Option<String>,
    /// WhatsApp phone number id replies are sent from (and webhooks are routed on).
    #[arg(long, env = "WHATSAPP_PHONE_NUMBER_ID")]
    pub whatsapp_phone_number_id: Option<String>,
    /// WhatsApp Graph API base URL.
    #[arg(long, env = "WHATSAPP_GRAPH_BASE_URL", default_value = "https://graph.facebook.com", value_parser = parse_base_url)]
    pub whatsapp_graph_base_url: String,
    /// The approved WhatsApp template a pre-arrival reminder is sent as outside the 24-hour
    /// window (six body parameters, see docs/server.md, "Proactive messages"); unset: such
    /// reminders are skipped.
    #[arg(long, env = "WHATSAPP_REMINDER_TEMPLATE")]
    pub whatsapp_reminder_template: Option<String>,
    /// The approved WhatsApp template a message about a booking staff changed is sent as
    /// outside the 24-hour window (four body parameters: hotel, reference, what changed, the
    /// fee or charge); unset: such guests are not told, and the console says so.
    #[arg(long, env = "WHATSAPP_CHANGE_TEMPLATE")]
    pub whatsapp_change_template: Option<String>,
    /// The templates' language code for each guest language, `en:en_US,es:es`.
    #[arg(long, env = "WHATSAPP_REMINDER_LANGUAGES", default_value = "en:en_US,es:es", value_parser = crate::sched::template::parse_languages)]
    pub whatsapp_reminder_languages: crate::sched::template::TemplateLanguages,
    /// Graph API version used by both Send APIs.
    #[arg(long, env = "GRAPH_API_VERSION", default_value = "v25.0", value_parser = parse_version)]
    pub graph_api_version: String,
    /// text or json.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Messages one guest may send per minute before being asked to slow down.
    #[arg(long, env = "RATE_LIMIT_PER_GUEST", default_value = "20", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_per_guest: u32,
    /// Messages all guests together may send per second.
    #[arg(long, env = "RATE_LIMIT_GLOBAL", default_value = "100", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit_global: u32,
    /// How long a replica holds a guest it answers before another may take the guest over, in
    /// seconds (renewed every third of it while it works). With Postgres this is how long a
    /// crashed replica's guests wait.
    #[arg(long, env = "GUEST_LEASE_SECS", default_value = "30", value_parser = clap::value_parser!(u64).range(3..=3600))]
    pub guest_lease_secs: u64,
    /// Largest request body accepted, in bytes (webhooks and the chat API).
    #[arg(long, env = "MAX_BODY_BYTES", default_value = "1048576", value_parser = clap::value_parser!(u64).range(1024..=67_108_864))]
    pub max_body_bytes: u64,
    /// First retry delay of a failed send, in milliseconds; it doubles per attempt (to 5 min).
    #[arg(long, env = "OUTBOX_RETRY_MS", default_value = "1000", value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub outbox_retry_ms: u64,
    /// When staff answer guests handed to them (`HH:MM-HH:MM`, hotel time); guests are told
    /// it when a handoff opens.
    #[arg(long, env = "STAFF_HOURS", default_value = "08:00-22:00")]
    pub staff_hours: hotel_agent::StaffHours,
    /// Where a new handoff is POSTed (Slack-compatible JSON, signed with
    /// `STAFF_WEBHOOK_SECRET`).
    #[arg(long, env = "STAFF_WEBHOOK_URL", hide_env_values = true)]
    pub staff_webhook_url: Option<String>,
    /// The key receivers check the webhook's `X-Hotel-Signature` with (at least 16 bytes).
    #[arg(long, env = "STAFF_WEBHOOK_SECRET", hide_env_values = true)]
    pub staff_webhook_secret: Option<String>,
    /// The SMTP server new handoffs are emailed through
    /// (`smtp://user:pass@host:587?tls=starttls`).
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of staff emails.
    #[arg(long, env = "STAFF_EMAIL_FROM")]
    pub staff_email_from: Option<String>,
    /// Who staff emails go to (comma-separated).
    #[arg(long, env = "STAFF_EMAIL_TO")]
    pub staff_email_to: Option<String>,
    /// The staff console's address as staff reach it, for links in notices.
    #[arg(long, env = "CONSOLE_BASE_URL")]
    pub console_base_url: Option<String>,
    /// How long a graceful shutdown (SIGTERM) may take, in seconds: open responses (streams
    /// included), running turns and runs, and sends in flight get this long in all; what is
    /// left is cut off (turns resume from their checkpoints, sends are retried). Keep it under
    /// the orchestrator's kill timeout (Kubernetes: 30 s).
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value = "20", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub shutdown_grace_secs: u64,
    /// How many days the staff console keeps what guests wrote (its search, transcripts and
    /// charts); the hourly housekeeping deletes older messages. Conversations' checkpoints and
    /// bookings are kept. At least 31, so the console's 30-day charts stay whole.
    #[arg(long, env = "MESSAGE_RETENTION_DAYS", default_value = "365", value_parser = clap::value_parser!(u32).range(31..=36500))]
    pub message_retention_days: u32,
    /// Also serve the `sleepy` sample graph and the Agent Protocol's test hooks (for the SDK
    /// tests; never in production).
    #[arg(long, env = "AGENT_TEST_GRAPHS", value_parser = clap::builder::BoolishValueParser::new())]
    pub agent_test_graphs: bool,
}

/// Where the server keeps everything.
#[derive(Clone)]
pub enum DatabaseUrl {
    /// One SQLite file (`sqlite://PATH`): one server process.
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgres://…`): any number of replicas share it.
    Postgres(Box<PgUrl>),
}

/// A parsed `postgres://` URL; shown without its password.
#[derive(Clone)]
pub struct PgUrl {
    config: tokio_postgres::Config,
    shown: String,
}

impl PgUrl {
    /// The connection settings.
    pub fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => fmt::Display::fmt(url, f),
        }
    }
}

impl fmt::Display for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn parse_database_url(url: &str) -> Result<DatabaseUrl, String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| format!("is not a valid postgres:// URL: {e}"))?;
        return Ok(DatabaseUrl::Postgres(Box::new(PgUrl {
            config,
            shown: without_password(url),
        })));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| {
            "is neither sqlite://PATH nor postgres://… (e.g. sqlite://hotel-agent.db)".to_owned()
        })?;
    if path.is_empty() || path.starts_with(":memory:") {
        return Err(
            "needs a file path: conversations and bookings must outlive the process".into(),
        );
    }
    Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
}

/// `url` with the password of its `user:password@` part, if any, replaced by `***`: what logs
/// and error messages show.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    // A `password=` query parameter is hidden too.
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some(("password", _)) => "password=***".to_owned(),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

fn parse_base_url(url: &str) -> Result<String, String> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.trim_end_matches('/').to_owned())
    } else {
        Err(format!("`{url}` is not an http:// or https:// URL"))
    }
}

fn parse_version(version: &str) -> Result<String, String> {
    let ok = version.strip_prefix('v').is_some_and(|rest| {
        let mut parts = rest.split('.');
        let number = |p: Option<&str>| {
            p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        };
        number(parts.next()) && number(parts.next()) && parts.next().is_none()
    });
    if ok {
        Ok(version.to_owned())
    } else {
        Err(format!("`{version}` is not a Graph API version like v25.0"))
    }
}

/// A channel's settings once checked: what its webhook and Send API need.
#[derive(Clone, Debug)]
pub struct ChannelConfig {
    /// Secrets a webhook signature may be made with.
    pub secrets: Vec<String>,
    /// The verification token, if set.
    pub verify_token: Option<String>,
    /// Where replies go; `None` when no access token is set (replies are then kept in the
    /// outbox as dropped, with the reason).
    pub endpoint: Option<Endpoint>,
}

impl Config {
    /// Reads the settings from the command line and environment, exiting with clap's message
    /// (which names the flag and variable) when one is invalid.
    pub fn from_args() -> Config {
        Config::parse()
    }

    /// Checks what clap cannot: combinations of settings.
    pub fn validate(&self) -> Result<(), Error> {
        if !self.bind_addr.ip().is_loopback()
            && self.admin_token.as_deref().is_none_or(str::is_empty)
        {
            return Err(Error::Config {
                variable: "ADMIN_TOKEN",
                reason: format!(
                    "BIND_ADDR {} is not a loopback address; set ADMIN_TOKEN to protect the admin \
                     and state endpoints",
                    self.bind_addr
                ),
            });
        }
        for (variable, value) in [
            ("ADMIN_TOKEN", &self.admin_token),
            ("INSTAGRAM_APP_SECRET", &self.instagram_app_secret),
            ("WHATSAPP_APP_SECRET", &self.whatsapp_app_secret),
            ("INSTAGRAM_ACCESS_TOKEN", &self.instagram_access_token),
            ("WHATSAPP_ACCESS_TOKEN", &self.whatsapp_access_token),
            (
                "WHATSAPP_REMINDER_TEMPLATE",
                &self.whatsapp_reminder_template,
            ),
            ("WHATSAPP_CHANGE_TEMPLATE", &self.whatsapp_change_template),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(Error::Config {
                    variable,
                    reason: "is set but empty".into(),
                });
            }
        }
        if self.whatsapp_access_token.is_some() && self.whatsapp_phone_number_id.is_none() {
            return Err(Error::Config {
                variable: "WHATSAPP_PHONE_NUMBER_ID",
                reason: "is required with WHATSAPP_ACCESS_TOKEN: replies are sent from it".into(),
            });
        }
        Ok(())
    }

    /// The provider to use: LLM_PROVIDER, else gemini when GEMINI_API_KEY is set.
    pub fn provider(&self) -> LlmProvider {
        self.llm_provider
            .unwrap_or(if self.gemini_api_key.is_some() {
                LlmProvider::Gemini
            } else {
                LlmProvider::Offline
            })
    }

    /// An agent-nodes variable (`GEMINI_*`, `OPENAI_*`) as set by flag or environment.
    pub fn llm_var(&self, name: &str) -> Option<String> {
        match name {
            "GEMINI_API_KEY" => self.gemini_api_key.clone(),
            "GEMINI_MODEL" => self.gemini_model.clone(),
            "GEMINI_BASE_URL" => self.gemini_base_url.clone(),
            "OPENAI_BASE_URL" => self.openai_base_url.clone(),
            "OPENAI_MODEL" => self.openai_model.clone(),
            "OPENAI_API_KEY" => self.openai_api_key.clone(),
            "OPENAI_PROVIDER" => self.openai_provider.clone(),
            _ => None,
        }
    }

    /// The staff notification settings by variable name (`StaffNotify::from_lookup`).
    pub(crate) fn staff_var(&self, name: &str) -> Option<String> {
        match name {
            "STAFF_WEBHOOK_URL" => self.staff_webhook_url.clone(),
            "STAFF_WEBHOOK_SECRET" => self.staff_webhook_secret.clone(),
            "SMTP_URL" => self.smtp_url.clone(),
            "STAFF_EMAIL_FROM" => self.staff_email_from.clone(),
            "STAFF_EMAIL_TO" => self.staff_email_to.clone(),
            "CONSOLE_BASE_URL" => self.console_base_url.clone(),
            _ => None,
        }
    }

    /// `channel`'s settings; `None` when its app secret is not set (its webhook answers 404).
    pub fn channel(&self, channel: Channel) -> Option<ChannelConfig> {
        let (secret, verify, token, sender, base) = match channel {
            Channel::Instagram => (
                &self.instagram_app_secret,
                &self.instagram_verify_token,
                &self.instagram_access_token,
                Some(
                    self.instagram_account_id
                        .clone()
                        .unwrap_or_else(|| "me".into()),
                ),
                &self.instagram_graph_base_url,
            ),
            Channel::Whatsapp => (
                &self.whatsapp_app_secret,
                &self.whatsapp_verify_token,
                &self.whatsapp_access_token,
                self.whatsapp_phone_number_id.clone(),
                &self.whatsapp_graph_base_url,
            ),
        };
        let secrets: Vec<String> = secret
            .as_deref()?
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if secrets.is_empty() {
            return None;
        }
        let endpoint = match (token, sender) {
            (Some(token), Some(sender_id)) => Some(Endpoint {
                base_url: base.clone(),
                version: self.graph_api_version.clone(),
                sender_id,
                token: token.clone(),
            }),
            _ => None,
        };
        Some(ChannelConfig {
            secrets,
            verify_token: verify.clone(),
            endpoint,
        })
    }

    /// How long a guest's lease lasts unless renewed.
    pub fn guest_lease(&self) -> Duration {
        Duration::from_secs(self.guest_lease_secs)
    }

    /// How long a graceful shutdown may take in all.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    /// The first retry delay of a failed send.
    pub fn outbox_retry(&self) -> Duration {
        Duration::from_millis(self.outbox_retry_ms)
    }
}

/// The effective settings, secrets shown only as set or not.
impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |v: &Option<String>| if v.is_some() { "<set>" } else { "<not set>" };
        let plain = |v: &Option<String>| v.clone().unwrap_or_else(|| "<not set>".into());
        writeln!(f, "BIND_ADDR={}", self.bind_addr)?;
        writeln!(f, "DATABASE_URL={}", self.database_url)?;
        writeln!(
            f,
            "HOTEL_TODAY={}",
            self.hotel_today
                .map_or_else(|| "<system clock>".into(), |d| d.to_string())
        )?;
        writeln!(
            f,
            "LLM_PROVIDER={}",
            format!("{:?}", self.provider()).to_lowercase()
        )?;
        writeln!(f, "GEMINI_API_KEY={}", secret(&self.gemini_api_key))?;
        writeln!(f, "GEMINI_MODEL={}", plain(&self.gemini_model))?;
        writeln!(f, "GEMINI_BASE_URL={}", plain(&self.gemini_base_url))?;
        writeln!(f, "OPENAI_BASE_URL={}", plain(&self.openai_base_url))?;
        writeln!(f, "OPENAI_MODEL={}", plain(&self.openai_model))?;
        writeln!(f, "OPENAI_API_KEY={}", secret(&self.openai_api_key))?;
        writeln!(f, "OPENAI_PROVIDER={}", plain(&self.openai_provider))?;
        writeln!(f, "ADMIN_TOKEN={}", secret(&self.admin_token))?;
        writeln!(
            f,
            "INSTAGRAM_APP_SECRET={}",
            secret(&self.instagram_app_secret)
        )?;
        writeln!(
            f,
            "INSTAGRAM_VERIFY_TOKEN={}",
            secret(&self.instagram_verify_token)
        )?;
        writeln!(
            f,
            "INSTAGRAM_ACCESS_TOKEN={}",
            secret(&self.instagram_access_token)
        )?;
        writeln!(
            f,
            "INSTAGRAM_ACCOUNT_ID={}",
            plain(&self.instagram_account_id)
        )?;
        writeln!(
            f,
            "INSTAGRAM_GRAPH_BASE_URL={}",
            self.instagram_graph_base_url
        )?;
        writeln!(
            f,
            "WHATSAPP_APP_SECRET={}",
            secret(&self.whatsapp_app_secret)
        )?;
        writeln!(
            f,
            "WHATSAPP_VERIFY_TOKEN={}",
            secret(&self.whatsapp_verify_token)
        )?;
        writeln!(
            f,
            "WHATSAPP_ACCESS_TOKEN={}",
            secret(&self.whatsapp_access_token)
        )?;
        writeln!(
            f,
            "WHATSAPP_PHONE_NUMBER_ID={}",
            plain(&self.whatsapp_phone_number_id)
        )?;
        writeln!(
            f,
            "WHATSAPP_GRAPH_BASE_URL={}",
            self.whatsapp_graph_base_url
        )?;
        writeln!(
            f,
            "WHATSAPP_REMINDER_TEMPLATE={}",
            plain(&self.whatsapp_reminder_template)
        )?;
        writeln!(
            f,
            "WHATSAPP_CHANGE_TEMPLATE={}",
            plain(&self.whatsapp_change_template)
        )?;
        writeln!(
            f,
            "WHATSAPP_REMINDER_LANGUAGES={}",
            self.whatsapp_reminder_languages
        )?;
        writeln!(f, "GRAPH_API_VERSION={}", self.graph_api_version)?;
        writeln!(
            f,
            "LOG_FORMAT={}",
            format!("{:?}", self.log_format).to_lowercase()
        )?;
        writeln!(f, "RATE_LIMIT_PER_GUEST={}/min", self.rate_limit_per_guest)?;
        writeln!(f, "RATE_LIMIT_GLOBAL={}/s", self.rate_limit_global)?;
        writeln!(f, "GUEST_LEASE_SECS={}", self.guest_lease_secs)?;
        writeln!(f, "MAX_BODY_BYTES={}", self.max_body_bytes)?;
        writeln!(f, "OUTBOX_RETRY_MS={}", self.outbox_retry_ms)?;
        writeln!(f, "SHUTDOWN_GRACE_SECS={}", self.shutdown_grace_secs)?;
        writeln!(f, "STAFF_HOURS={}", self.staff_hours)?;
        writeln!(f, "MESSAGE_RETENTION_DAYS={}", self.message_retention_days)?;
        write!(f, "AGENT_TEST_GRAPHS={}", self.agent_test_graphs)
    }
}
