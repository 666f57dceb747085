//! What staff are told about a new handoff (a [`Notice`]), and its rendering as plain text and
//! as Slack `mrkdwn`, shared by the webhook and the email.

use chrono::{DateTime, Utc};
use reqwest::Url;

/// The longest excerpt of the guest's last message a notice carries, in characters: enough to
/// judge the urgency, short enough for a chat preview (and, escaped, for one Slack block).
pub const MAX_EXCERPT_CHARS: usize = 500;

/// The longest guest id shown, in characters. Meta's ids are far shorter; a longer one is not
/// an id worth a subject line.
const MAX_USER_CHARS: usize = 100;

/// The longest hotel name shown, in characters.
const MAX_HOTEL_CHARS: usize = 100;

pub use hotel_agent::HandoffReason;

/// A new handoff, as staff are told about it. It holds only what the guest and the hotel
/// already see (no token, password or secret), cleaned of control characters so that no
/// field can forge a header line or a Slack command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    hotel: String,
    channel: String,
    user_id: String,
    thread_id: String,
    reason: HandoffReason,
    excerpt: String,
    at: DateTime<Utc>,
}

impl Notice {
    /// The handoff of `user_id` on `channel` (`whatsapp`, `instagram`, `web`…) at `hotel`,
    /// for `reason`, at `at` (passed in: a notice never reads the clock, so a retry tells the
    /// same time). `last_message` is cut to [`MAX_EXCERPT_CHARS`] characters.
    pub fn new(
        hotel: &str,
        channel: &str,
        user_id: &str,
        reason: HandoffReason,
        last_message: &str,
        at: DateTime<Utc>,
    ) -> Notice {
        Notice {
            hotel: bounded(&one_line(hotel), MAX_HOTEL_CHARS),
            channel: one_line(channel),
            user_id: bounded(&one_line(user_id), MAX_USER_CHARS),
            // The thread as the agent names it; the console finds the conversation by it.
            thread_id: hotel_agent::thread_id(channel, user_id),
            reason,
            excerpt: bounded(&multi_line(last_message), MAX_EXCERPT_CHARS),
            at,
        }
    }

    /// The hotel's name.
    pub fn hotel(&self) -> &str {
        &self.hotel
    }

    /// The channel as given (`whatsapp`).
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The channel for people (`WhatsApp`).
    pub fn channel_label(&self) -> String {
        match self.channel.as_str() {
            "whatsapp" => "WhatsApp".to_owned(),
            "instagram" => "Instagram".to_owned(),
            "web" => "the web chat".to_owned(),
            other => other.to_owned(),
        }
    }

    /// The guest's id on the channel.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The guest for people: `+34600111222 on WhatsApp`.
    pub fn guest(&self) -> String {
        format!("{} on {}", self.user_id, self.channel_label())
    }

    /// The conversation's thread (`whatsapp:+34600111222`).
    pub fn thread_id(&self) -> &str {
        &self.thread_id
    }

    /// Why the guest was handed over.
    pub fn reason(&self) -> HandoffReason {
        self.reason
    }

    /// The start of the guest's last message, at most [`MAX_EXCERPT_CHARS`] characters (plus
    /// `…` when cut).
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }

    /// When the handoff happened.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The email subject: `Guest needs a person: +34600111222 on WhatsApp`.
    pub fn subject(&self) -> String {
        format!("Guest needs a person: {}", self.guest())
    }

    /// The excerpt's lines; `(no text)` for a message without any (a photo, a voice note).
    fn excerpt_lines(&self) -> std::str::Lines<'_> {
        if self.excerpt.is_empty() {
            "(no text)".lines()
        } else {
            self.excerpt.lines()
        }
    }

    /// The time for people, in UTC (the hotel's zone is not known here).
    fn when(&self) -> String {
        self.at.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    /// The notice as plain text: the email body.
    pub fn plain_text(&self, console: Option<&Url>) -> String {
        let mut text = format!(
            "A guest needs a person at {}.\n\nGuest: {}\nWhy: {}\nWhen: {}\n\nTheir last message:\n",
            self.hotel,
            self.guest(),
            self.reason.human(),
            self.when()
        );
        for line in self.excerpt_lines() {
            text.push_str("> ");
            text.push_str(line);
            text.push('\n');
        }
        text.push('\n');
        match console {
            Some(base) => {
                text.push_str("Open the conversation: ");
                text.push_str(console_link(base, &self.thread_id).as_str());
            }
            None => {
                text.push_str("Thread: ");
                text.push_str(&one_line(&self.thread_id));
            }
        }
        text.push('\n');
        text
    }

    /// The Slack `text` fallback (notifications, screen readers): one line.
    pub(crate) fn slack_fallback(&self) -> String {
        slack_escape(&format!(
            "{} at {}: {}",
            self.subject(),
            self.hotel,
            self.reason.human()
        ))
    }

    /// The Slack sections, in `mrkdwn`: the summary, the guest's words as a quote, the link.
    pub(crate) fn slack_sections(&self, console: Option<&Url>) -> Vec<String> {
        let summary = format!(
            "*A guest needs a person* at {}\n*Guest:* {}\n*Why:* {}\n*When:* {}",
            slack_escape(&self.hotel),
            slack_escape(&self.guest()),
            slack_escape(self.reason.human()),
            slack_escape(&self.when()),
        );
        // Escaped, 500 characters are at most 2500 (`&amp;`), under Slack's 3000 per section.
        let mut quote = String::from("*Their last message:*");
        for line in self.excerpt_lines() {
            quote.push_str("\n>");
            quote.push_str(&slack_escape(line));
        }
        let link = match console {
            Some(base) => format!(
                "<{}|Open the conversation>",
                slack_escape(console_link(base, &self.thread_id).as_str())
            ),
            None => format!("*Thread:* {}", slack_escape(&one_line(&self.thread_id))),
        };
        vec![summary, quote, link]
    }
}

/// `base` with `thread_id` appended as one percent-encoded path segment: `/`, `?`, `#`, `%`
/// and spaces in the id cannot change which page the link opens.
pub(crate) fn console_link(base: &Url, thread_id: &str) -> Url {
    let mut link = base.clone();
    // Checked by the configuration: a console base is an http(s) URL, which can be a base.
    if let Ok(mut segments) = link.path_segments_mut() {
        segments.pop_if_empty().push(thread_id);
    }
    link
}

/// Slack's escaping for text it parses: `&`, `<` and `>` as entities, so guest text cannot
/// form links, mentions (`<!channel>`) or quotes.
pub(crate) fn slack_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// `text` on one line: control characters (CR and LF included) become spaces.
fn one_line(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    line.trim().to_owned()
}

/// `text` with `\n` line ends only: `\r\n` and lone `\r` become `\n`, other control
/// characters spaces.
fn multi_line(text: &str) -> String {
    let lines: String = text
        .replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\n' | '\r' => '\n',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    lines.trim().to_owned()
}

/// At most `max` characters of `text`, cut on a character boundary, `…` marking a cut.
fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", text[..end].trim_end()),
        None => text.to_owned(),
    }
}
