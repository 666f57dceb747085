//! A loopback fake SMTP server (RFC 5321, no TLS): the `220` greeting, a multi-line `250-` EHLO
//! answer, optional AUTH PLAIN (RFC 4616), MAIL FROM, RCPT TO, DATA with `354`, a body ended by
//! `<CRLF>.<CRLF>` and un-dot-stuffed, `250`, QUIT with `221`. It records every session and
//! can be told to fail: a reply to RCPT, a connection dropped after the greeting, or silence.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the fake does wrong, for every session until changed.
#[derive(Debug, Clone, Default)]
pub(crate) enum Fault {
    /// Nothing.
    #[default]
    None,
    /// Answers every RCPT TO with this reply line (without CRLF), e.g. `451 4.3.0 Try later`.
    Rcpt(&'static str),
    /// Closes the connection right after the `220` greeting.
    DropAfterGreeting,
    /// Accepts the connection and never says anything.
    Silent,
}

/// One SMTP session as the fake saw it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Session {
    /// The EHLO argument.
    pub(crate) ehlo: Option<String>,
    /// The decoded AUTH PLAIN response (`authzid\0user\0password`).
    pub(crate) auth: Option<String>,
    /// The MAIL FROM argument (`<a@b>`, parameters included).
    pub(crate) mail_from: Option<String>,
    /// The RCPT TO arguments.
    pub(crate) rcpt_to: Vec<String>,
    /// The message as received between DATA and the final dot, un-stuffed, CRLF line ends.
    pub(crate) data: Option<String>,
    /// How many body lines arrived dot-stuffed.
    pub(crate) stuffed: usize,
    /// Whether the client said QUIT.
    pub(crate) quit: bool,
    /// Lines that did not end with CRLF (RFC 5321 §2.3.8 forbids bare LF).
    pub(crate) bare_lf: usize,
}

impl Session {
    /// The message's header `name`, unfolded.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        let data = self.data.as_deref()?;
        let head = data.split("\r\n\r\n").next()?;
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.split("\r\n").find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    /// The message body, decoded from its `Content-Transfer-Encoding`, LF line ends.
    pub(crate) fn body(&self) -> String {
        let data = self.data.as_deref().unwrap_or_default();
        let body = data.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        let encoding = self.header("Content-Transfer-Encoding").unwrap_or_default();
        let bytes = match encoding.to_ascii_lowercase().as_str() {
            "quoted-printable" => decode_quoted_printable(body),
            "base64" => decode_base64(&body.replace("\r\n", "")),
            _ => body.as_bytes().to_vec(),
        };
        String::from_utf8(bytes).unwrap().replace("\r\n", "\n")
    }
}

/// The fake; it serves until dropped.
pub(crate) struct FakeSmtp {
    pub(crate) port: u16,
    sessions: Arc<Mutex<Vec<Session>>>,
    fault: Arc<Mutex<Fault>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeSmtp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeSmtp {
    /// Starts the fake on an ephemeral loopback port; with `credentials` it offers AUTH PLAIN
    /// and wants them before MAIL.
    pub(crate) async fn start(credentials: Option<(&str, &str)>) -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sessions = Arc::new(Mutex::new(Vec::new()));
        let fault = Arc::new(Mutex::new(Fault::None));
        let expected = credentials.map(|(user, password)| format!("\0{user}\0{password}"));
        let task = {
            let (sessions, fault) = (Arc::clone(&sessions), Arc::clone(&fault));
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let fault = fault.lock().unwrap().clone();
                    let (sessions, expected) = (Arc::clone(&sessions), expected.clone());
                    tokio::spawn(async move {
                        let session = serve(stream, fault, expected).await;
                        sessions.lock().unwrap().push(session);
                    });
                }
            })
        };
        FakeSmtp {
            port,
            sessions,
            fault,
            task,
        }
    }

    /// Sets what goes wrong in the next sessions.
    pub(crate) fn fault(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    /// The first `count` sessions, once they have ended (the client may leave before the
    /// fake has seen the end of the connection).
    pub(crate) async fn sessions(&self, count: usize) -> Vec<Session> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let sessions = self.sessions.lock().unwrap().clone();
            if sessions.len() >= count {
                return sessions;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} sessions ended, not {count}",
                sessions.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

async fn serve(stream: TcpStream, fault: Fault, credentials: Option<String>) -> Session {
    let mut session = Session::default();
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    if matches!(fault, Fault::Silent) {
        // Holds the connection open, saying nothing, until the client gives up.
        let mut sink = Vec::new();
        let _ = read.read_until(b'\n', &mut sink).await;
        return session;
    }
    if !reply(&mut write, "220 fake.smtp.test ESMTP ready").await
        || matches!(fault, Fault::DropAfterGreeting)
    {
        return session;
    }
    let mut authenticated = credentials.is_none();
    loop {
        let Some(line) = read_line(&mut read, &mut session).await else {
            return session;
        };
        let (verb, argument) = line.split_once(' ').unwrap_or((&line, ""));
        let ok = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                session.ehlo = Some(argument.to_owned());
                let auth = if credentials.is_some() {
                    "250-AUTH PLAIN\r\n"
                } else {
                    ""
                };
                reply(&mut write, &format!(
                    "250-fake.smtp.test greets {argument}\r\n250-SIZE 1048576\r\n{auth}250 ENHANCEDSTATUSCODES"
                ))
                .await
            }
            "AUTH" => match argument.split_once(' ') {
                Some((mechanism, response)) if mechanism.eq_ignore_ascii_case("PLAIN") => {
                    let decoded = String::from_utf8(decode_base64(response)).unwrap_or_default();
                    authenticated = Some(&decoded) == credentials.as_ref();
                    session.auth = Some(decoded);
                    if authenticated {
                        reply(&mut write, "235 2.7.0 Authentication successful").await
                    } else {
                        reply(&mut write, "535 5.7.8 Authentication credentials invalid").await
                    }
                }
                _ => reply(&mut write, "504 5.5.4 Unrecognized authentication type").await,
            },
            "MAIL" if !authenticated => {
                reply(&mut write, "530 5.7.0 Authentication required").await
            }
            "MAIL" => {
                session.mail_from = argument.strip_prefix("FROM:").map(str::to_owned);
                reply(&mut write, "250 2.1.0 OK").await
            }
            "RCPT" if session.mail_from.is_none() => {
                reply(&mut write, "503 5.5.1 Need MAIL before RCPT").await
            }
            "RCPT" => match &fault {
                Fault::Rcpt(answer) => reply(&mut write, answer).await,
                _ => {
                    let to = argument.strip_prefix("TO:").unwrap_or_default();
                    session.rcpt_to.push(to.to_owned());
                    reply(&mut write, "250 2.1.5 OK").await
                }
            },
            "DATA" if session.rcpt_to.is_empty() => {
                reply(&mut write, "503 5.5.1 Need RCPT before DATA").await
            }
            "DATA" => {
                if !reply(&mut write, "354 End data with <CR><LF>.<CR><LF>").await {
                    return session;
                }
                let mut data = String::new();
                loop {
                    let Some(line) = read_line(&mut read, &mut session).await else {
                        return session;
                    };
                    if line == "." {
                        break;
                    }
                    let line = match line.strip_prefix('.') {
                        Some(unstuffed) => {
                            session.stuffed += 1;
                            unstuffed.to_owned()
                        }
                        None => line,
                    };
                    data.push_str(&line);
                    data.push_str("\r\n");
                }
                session.data = Some(data);
                reply(&mut write, "250 2.0.0 Ok: queued as FAKE1").await
            }
            "RSET" => {
                session.mail_from = None;
                session.rcpt_to.clear();
                reply(&mut write, "250 2.0.0 OK").await
            }
            "NOOP" => reply(&mut write, "250 2.0.0 OK").await,
            "QUIT" => {
                session.quit = true;
                let _ = reply(&mut write, "221 2.0.0 Bye").await;
                return session;
            }
            _ => reply(&mut write, "500 5.5.2 Command unrecognized").await,
        };
        if !ok {
            return session;
        }
    }
}

/// Writes `text` and CRLF; whether it could.
async fn reply(write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> bool {
    write
        .write_all(format!("{text}\r\n").as_bytes())
        .await
        .is_ok()
}

/// One line without its CRLF; `None` at the end of the connection.
async fn read_line(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    session: &mut Session,
) -> Option<String> {
    let mut line = Vec::new();
    if read.read_until(b'\n', &mut line).await.ok()? == 0 {
        return None;
    }
    if line.ends_with(b"\r\n") {
        line.truncate(line.len() - 2);
    } else {
        session.bare_lf += 1;
        line.pop();
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

/// Standard base64 (RFC 4648), `=`-padded, as AUTH PLAIN and bodies use it.
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text.trim_end_matches('=').bytes().map(value).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | u32::from(d) << (18 - 6 * i));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// Quoted-printable (RFC 2045 §6.7): `=XX` escapes, `=` at a line end a soft break.
fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = text.get(i + 1..i + 3).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}
