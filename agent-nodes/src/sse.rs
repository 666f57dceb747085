//! A decoder for the server-sent events both providers stream (`data: {...}` frames separated
//! by blank lines), tolerant of what they do when a stream fails: Gemini then writes a plain
//! JSON error, not an SSE frame, possibly over several lines. Such text is collected until its
//! braces balance and handed over as [`Frame::Raw`].

/// One decoded piece of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    /// The data of one event (its `data:` lines joined by `\n`).
    Data(String),
    /// Text outside the SSE framing: one JSON value, usually an error.
    Raw(String),
    /// The stream grew past [`MAX_STREAM`] bytes; nothing after it is decoded.
    TooLarge,
}

/// The most bytes one stream may carry: a chat answer is far smaller, and a server that never
/// ends a line must not be able to grow the buffers without bound.
pub(crate) const MAX_STREAM: usize = 16 << 20;

/// The error for a stream past [`MAX_STREAM`].
pub(crate) fn too_large(provider: &str) -> crate::Error {
    crate::Error::Malformed {
        provider: provider.to_owned(),
        reason: format!(
            "the streamed answer is larger than {} MiB",
            MAX_STREAM >> 20
        ),
    }
}

/// Turns a byte stream, in chunks cut anywhere, into [`Frame`]s.
#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    /// Bytes of a line not ended yet (a chunk may split a line, or a UTF-8 character).
    line: Vec<u8>,
    /// The `data:` lines of the event being read.
    data: Option<String>,
    /// Text outside the framing, until its JSON value is complete.
    raw: String,
    scan: JsonScan,
    /// Bytes pushed so far.
    total: usize,
}

impl SseDecoder {
    /// Decodes `bytes`, returning the frames they complete.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<Frame> {
        self.total = self.total.saturating_add(bytes.len());
        if self.total > MAX_STREAM {
            return vec![Frame::TooLarge];
        }
        let mut frames = Vec::new();
        for &byte in bytes {
            if byte == b'\n' {
                let line = std::mem::take(&mut self.line);
                self.line_done(&String::from_utf8_lossy(&line), &mut frames);
            } else {
                self.line.push(byte);
            }
        }
        frames
    }

    /// Ends the stream, returning what is left: an unterminated last line or event, and raw
    /// text even if its braces never balanced (it will then fail to parse, as it should).
    pub(crate) fn finish(&mut self) -> Vec<Frame> {
        let mut frames = Vec::new();
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.line_done(&String::from_utf8_lossy(&line), &mut frames);
        }
        if let Some(data) = self.data.take() {
            frames.push(Frame::Data(data));
        }
        if !self.raw.trim().is_empty() {
            frames.push(Frame::Raw(std::mem::take(&mut self.raw)));
        }
        frames
    }

    fn line_done(&mut self, line: &str, frames: &mut Vec<Frame>) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if !self.raw.is_empty() || is_outside_framing(line) {
            self.raw.push_str(line);
            self.raw.push('\n');
            if self.scan.feed(line) {
                frames.push(Frame::Raw(std::mem::take(&mut self.raw)));
                self.scan = JsonScan::default();
            }
            return;
        }
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                frames.push(Frame::Data(data));
            }
        } else if let Some(value) = field(line, "data") {
            match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            }
        }
        // Comments (`:`), `event:`, `id:` and `retry:` carry nothing these providers need.
    }
}

/// The value of an SSE field line `name: value` (one space after the colon is dropped).
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let value = line.strip_prefix(name)?.strip_prefix(':')?;
    Some(value.strip_prefix(' ').unwrap_or(value))
}

fn is_outside_framing(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with('{') || trimmed.starts_with('[')
}

/// Tracks the nesting of a JSON text line by line, strings and escapes included.
#[derive(Debug, Default)]
struct JsonScan {
    depth: usize,
    started: bool,
    in_string: bool,
    escaped: bool,
}

impl JsonScan {
    /// Feeds one line; true when the value that started is complete.
    fn feed(&mut self, line: &str) -> bool {
        for c in line.chars() {
            if self.in_string {
                match c {
                    _ if self.escaped => self.escaped = false,
                    '\\' => self.escaped = true,
                    '"' => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => self.in_string = true,
                '{' | '[' => {
                    self.depth += 1;
                    self.started = true;
                }
                '}' | ']' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
        self.started && self.depth == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(text: &str, piece: usize) -> Vec<Frame> {
        let mut decoder = SseDecoder::default();
        let mut frames = Vec::new();
        for chunk in text.as_bytes().chunks(piece) {
            frames.extend(decoder.push(chunk));
        }
        frames.extend(decoder.finish());
        frames
    }

    #[test]
    fn frames_survive_any_chunking() {
        let text = "data: {\"a\":\"é\"}\r\n\r\n: keep-alive\n\nevent: x\ndata: 1\ndata: 2\n\ndata: [DONE]\n\n";
        let expected = vec![
            Frame::Data("{\"a\":\"é\"}".into()),
            Frame::Data("1\n2".into()),
            Frame::Data("[DONE]".into()),
        ];
        for piece in 1..text.len() {
            assert_eq!(decode_in_pieces(text, piece), expected, "pieces of {piece}");
        }
    }

    #[test]
    fn plain_json_after_frames_is_raw_until_its_braces_balance() {
        let text = "data: {\"n\":1}\n\n{\n  \"error\": {\n    \"message\": \"a } in [a string\",\n    \"code\": 503\n  }\n}\ndata: {\"n\":2}\n\n";
        let frames = decode_in_pieces(text, 7);
        assert_eq!(frames.len(), 3, "{frames:?}");
        assert_eq!(frames[0], Frame::Data("{\"n\":1}".into()));
        let Frame::Raw(raw) = &frames[1] else {
            panic!("{frames:?}")
        };
        let value: serde_json::Value = serde_json::from_str(raw).expect("the raw error is JSON");
        assert_eq!(value["error"]["code"], 503);
        assert_eq!(frames[2], Frame::Data("{\"n\":2}".into()));
    }

    #[test]
    fn an_unterminated_tail_is_still_returned() {
        assert_eq!(
            decode_in_pieces("data: {\"n\":1}", 3),
            vec![Frame::Data("{\"n\":1}".into())]
        );
        assert_eq!(
            decode_in_pieces("[{\"error\": {", 4),
            vec![Frame::Raw("[{\"error\": {\n".into())]
        );
    }
}
