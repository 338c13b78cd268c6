//! The file bytes of an upload request, streamed: a raw body (any content type but
//! `multipart/*`) as it is, or the content of the first file part of a
//! `multipart/form-data` body. Nothing is held whole: the multipart parts before the
//! file are read under small limits, and the file part streams out of a buffer of
//! about one body frame.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::body::{Body, HttpBody};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use memchr::memmem;
use tokio::io::{AsyncRead, ReadBuf};

/// The most bytes before the first boundary (the preamble).
pub const MAX_PREAMBLE: usize = 64 << 10;
/// The most bytes of one part's header block.
pub const MAX_PART_HEADERS: usize = 16 << 10;
/// The most bytes of a form field before the file part.
pub const MAX_FIELD: usize = 64 << 10;
/// The most parts before the file part.
pub const MAX_PARTS_BEFORE_FILE: usize = 16;

/// Why a request body gives no file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadBodyError {
    /// A `multipart/*` content type without a usable `boundary`.
    #[error("the multipart content type has no valid boundary parameter (1 to 70 characters)")]
    NoBoundary,
    /// More than [`MAX_PREAMBLE`] bytes before the first boundary.
    #[error("the multipart body has no boundary within its first 64 KiB")]
    PreambleTooLong,
    /// The body ends before its first boundary.
    #[error("the multipart body has no boundary line")]
    NoBoundaryLine,
    /// A part's headers are longer than [`MAX_PART_HEADERS`].
    #[error("a multipart part has more than 16 KiB of headers")]
    HeadersTooLong,
    /// A form field before the file is longer than [`MAX_FIELD`].
    #[error("a form field before the file is larger than 64 KiB")]
    FieldTooLong,
    /// More than [`MAX_PARTS_BEFORE_FILE`] parts before the file.
    #[error("more than 16 multipart parts come before a file part")]
    TooManyParts,
    /// The multipart body ends without a file part (one with a `filename`).
    #[error("the multipart body has no file part (a part with a filename)")]
    NoFilePart,
    /// The multipart framing is broken.
    #[error("the multipart body is malformed: {0}")]
    Malformed(&'static str),
    /// The body ended before the multipart framing did.
    #[error("the body ended inside the multipart framing")]
    CutOff,
    /// The body arrived below the server's minimum rate.
    #[error("the body arrived too slowly")]
    TooSlow,
    /// The body could not be read.
    #[error("the body could not be read: {0}")]
    Read(String),
}

/// An upload's file, ready to stream.
pub struct UploadBody {
    body: Body,
    buf: Vec<u8>,
    pos: usize,
    /// The multipart delimiter (`\r\n--boundary`), or `None` for a raw body.
    delimiter: Option<Vec<u8>>,
    /// Whether the file's end was reached.
    done: bool,
    /// Whether the body failed for arriving below the rate floor.
    too_slow: bool,
    /// The file name the client gave (multipart `filename`, or `Content-Disposition`).
    pub file_name: Option<String>,
    /// The file's length, when announced (a raw body's `Content-Length`).
    pub length: Option<u64>,
}

impl UploadBody {
    /// Reads the request up to the file's first byte: nothing for a raw body; for
    /// `multipart/*`, the preamble and every part before the first one with a
    /// `filename` (a part named `file` counts too).
    pub async fn open(headers: &HeaderMap, body: Body) -> Result<Self, UploadBodyError> {
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let mut this = Self {
            body,
            buf: Vec::new(),
            pos: 0,
            delimiter: None,
            done: false,
            too_slow: false,
            file_name: None,
            length: None,
        };
        let mime = content_type.split(';').next().unwrap_or_default();
        if !mime.trim().to_ascii_lowercase().starts_with("multipart/") {
            this.file_name = headers
                .get(CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| param(v, "filename"));
            this.length = headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            return Ok(this);
        }
        let boundary = param(content_type, "boundary")
            .filter(|b| (1..=70).contains(&b.len()))
            .ok_or(UploadBodyError::NoBoundary)?;
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary.as_bytes());
        // A boundary at the very start has no CRLF before it: supply one.
        this.buf.extend_from_slice(b"\r\n");
        this.delimiter = Some(delimiter);
        this.skip_to_file().await?;
        Ok(this)
    }

    /// Whether reading failed for the body arriving below the rate floor.
    pub fn too_slow(&self) -> bool {
        self.too_slow
    }

    /// Reads parts until the file part's content starts.
    async fn skip_to_file(&mut self) -> Result<(), UploadBodyError> {
        match self
            .find_delimiter(MAX_PREAMBLE, UploadBodyError::PreambleTooLong)
            .await
        {
            Err(UploadBodyError::CutOff) => return Err(UploadBodyError::NoBoundaryLine),
            other => other?,
        }
        for _ in 0..=MAX_PARTS_BEFORE_FILE {
            // After a delimiter: `--` ends the body, else (padding and) CRLF.
            self.fill_to(2).await?;
            if self.rest().starts_with(b"--") {
                return Err(UploadBodyError::NoFilePart);
            }
            let headers = self.part_headers().await?;
            let (name, file_name) = disposition(&headers);
            if file_name.is_some() || name.as_deref() == Some("file") {
                self.file_name = file_name;
                return Ok(());
            }
            self.find_delimiter(MAX_FIELD, UploadBodyError::FieldTooLong)
                .await?;
        }
        Err(UploadBodyError::TooManyParts)
    }

    /// Moves past the next delimiter, reading at most `max` bytes before it.
    async fn find_delimiter(
        &mut self,
        max: usize,
        too_long: UploadBodyError,
    ) -> Result<(), UploadBodyError> {
        let delimiter = self.delimiter.clone().unwrap_or_default();
        loop {
            if let Some(at) = memmem::find(self.rest(), &delimiter) {
                if at > max {
                    return Err(too_long);
                }
                self.pos += at + delimiter.len();
                return Ok(());
            }
            if self.rest().len() > max + delimiter.len() {
                return Err(too_long);
            }
            self.read_more().await?;
        }
    }

    /// The header block of the part whose boundary line was just read (from the
    /// padding after the boundary to the blank line), consumed.
    async fn part_headers(&mut self) -> Result<String, UploadBodyError> {
        loop {
            let rest = self.rest();
            if let Some(eol) = memmem::find(rest, b"\r\n") {
                if rest[..eol].iter().any(|b| !matches!(b, b' ' | b'\t')) {
                    return Err(UploadBodyError::Malformed(
                        "a boundary line has more than its boundary",
                    ));
                }
                // Keep the CRLF: an empty header block is then `\r\n\r\n` too.
                let from = self.pos + eol;
                if let Some(end) = memmem::find(&self.buf[from..], b"\r\n\r\n") {
                    if end > MAX_PART_HEADERS {
                        return Err(UploadBodyError::HeadersTooLong);
                    }
                    let block = &self.buf[from + 2..from + end];
                    let text = String::from_utf8_lossy(block).into_owned();
                    self.pos = from + end + 4;
                    return Ok(text);
                }
                if self.buf.len() - from > MAX_PART_HEADERS {
                    return Err(UploadBodyError::HeadersTooLong);
                }
            } else if rest.len() > MAX_PART_HEADERS {
                return Err(UploadBodyError::HeadersTooLong);
            }
            self.read_more().await?;
        }
    }

    /// Reads until at least `n` bytes are buffered past `pos`.
    async fn fill_to(&mut self, n: usize) -> Result<(), UploadBodyError> {
        while self.rest().len() < n {
            self.read_more().await?;
        }
        Ok(())
    }

    /// Appends the next data frame to the buffer; the body ending is `CutOff`.
    async fn read_more(&mut self) -> Result<(), UploadBodyError> {
        match std::future::poll_fn(|cx| self.poll_data(cx)).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(UploadBodyError::CutOff),
            Err(e) => Err(if self.too_slow {
                UploadBodyError::TooSlow
            } else {
                UploadBodyError::Read(e.to_string())
            }),
        }
    }

    /// Polls the next data frame into the buffer: `true` when one came, `false` at
    /// the body's end.
    fn poll_data(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        loop {
            match ready!(Pin::new(&mut self.body).poll_frame(cx)) {
                None => return Poll::Ready(Ok(false)),
                Some(Err(e)) => {
                    self.too_slow = crate::body_rate::is_too_slow(&e);
                    return Poll::Ready(Err(io::Error::other(e)));
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        if self.pos > 0 && self.pos == self.buf.len() {
                            self.buf.clear();
                            self.pos = 0;
                        } else if self.pos >= 1 << 20 {
                            self.buf.drain(..self.pos);
                            self.pos = 0;
                        }
                        self.buf.extend_from_slice(&data);
                        return Poll::Ready(Ok(true));
                    }
                }
            }
        }
    }

    fn rest(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Copies up to `n` buffered bytes into `out`.
    fn emit(&mut self, n: usize, out: &mut ReadBuf<'_>) {
        let n = n.min(out.remaining());
        out.put_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
    }
}

impl AsyncRead for UploadBody {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(Ok(()));
            }
            let available = match &this.delimiter {
                None => this.rest().len(),
                Some(delimiter) => match memmem::find(this.rest(), delimiter) {
                    Some(0) => {
                        this.done = true;
                        continue;
                    }
                    Some(at) => at,
                    // Bytes that may start a delimiter wait for the next frame.
                    None => this.rest().len().saturating_sub(delimiter.len() - 1),
                },
            };
            if available > 0 {
                this.emit(available, out);
                return Poll::Ready(Ok(()));
            }
            match ready!(this.poll_data(cx)) {
                Ok(true) => {}
                Ok(false) if this.delimiter.is_none() => {
                    this.done = true;
                }
                Ok(false) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the body ended inside the file part, before its closing boundary",
                    )));
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

/// The `name` and `filename` of a part's `Content-Disposition`, from its header block.
fn disposition(headers: &str) -> (Option<String>, Option<String>) {
    headers
        .split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-disposition")
                .then(|| (param(value, "name"), param(value, "filename")))
        })
        .unwrap_or((None, None))
}

/// The value of the parameter `key` in a header value such as `form-data;
/// name="file"; filename="a.zip"` (quoted or not; `filename*=UTF-8''…` is read for
/// `filename`, percent-decoded, when no plain one is given).
pub fn param(value: &str, key: &str) -> Option<String> {
    let mut extended = None;
    for piece in split_params(value) {
        let Some((k, v)) = piece.split_once('=') else {
            continue;
        };
        let k = k.trim();
        let v = v.trim();
        if k.eq_ignore_ascii_case(key) {
            return Some(unquote(v));
        }
        if k.len() == key.len() + 1
            && k.ends_with('*')
            && k.get(..key.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(key))
        {
            extended = v.split_once("''").map(|(_, text)| percent_decode(text));
        }
    }
    extended
}

/// Splits at `;` outside quotes.
fn split_params(value: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                pieces.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&value[start..]);
    pieces
}

fn unquote(v: &str) -> String {
    let Some(inner) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return v.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
