use std::collections::VecDeque;

use axum::body::Bytes;
use axum::http::HeaderValue;
use http_body::Frame;
use tokio::io::AsyncReadExt;

use super::*;

/// A body delivered in the given chunks, then ending (or failing, with `fail`).
struct Chunks {
    chunks: VecDeque<Bytes>,
    fail: bool,
}

impl HttpBody for Chunks {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.chunks.pop_front() {
            Some(c) => Poll::Ready(Some(Ok(Frame::data(c)))),
            None if self.fail => Poll::Ready(Some(Err(io::Error::other("connection reset")))),
            None => Poll::Ready(None),
        }
    }
}

fn body(data: &[u8], chunk: usize, fail: bool) -> Body {
    Body::new(Chunks {
        chunks: data
            .chunks(chunk.max(1))
            .map(Bytes::copy_from_slice)
            .collect(),
        fail,
    })
}

fn multipart_headers(boundary: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(&format!("multipart/form-data; boundary=\"{boundary}\"")).unwrap(),
    );
    h
}

const B: &str = "----depotd-b0undary";

fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut out = b"preamble is ignored\r\n".to_vec();
    for (name, file, content) in parts {
        out.extend_from_slice(format!("--{B}\r\n").as_bytes());
        let file = file
            .map(|f| format!("; filename=\"{f}\""))
            .unwrap_or_default();
        out.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\n").as_bytes(),
        );
        out.extend_from_slice(b"Content-Type: application/zip\r\n\r\n");
        out.extend_from_slice(content);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{B}--\r\n").as_bytes());
    out
}

async fn read_file(headers: &HeaderMap, data: Body) -> Result<(Vec<u8>, Option<String>), String> {
    let mut up = UploadBody::open(headers, data)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    up.read_to_end(&mut out).await.map_err(|e| e.to_string())?;
    Ok((out, up.file_name.clone()))
}

/// Content that looks like framing: CRLFs, dashes, a near-boundary.
fn tricky_content() -> Vec<u8> {
    let mut c = Vec::new();
    for i in 0..5000u32 {
        c.extend_from_slice(&i.to_le_bytes());
        c.extend_from_slice(b"\r\n--");
        // All of the delimiter but its last byte, then another byte.
        c.extend_from_slice(&B.as_bytes()[..B.len() - 1]);
        c.push(b'Z');
    }
    c
}

#[tokio::test]
async fn the_first_file_part_streams_out_whatever_the_chunking() {
    let content = tricky_content();
    let data = form(&[
        ("description", None, b"an ESXi bundle"),
        ("upload", Some("C:\\\\tmp\\\\depot.zip"), &content),
        ("after", Some("ignored.zip"), b"not this one"),
    ]);
    for chunk in [1, 7, 64, 4096, data.len()] {
        let (got, name) = read_file(&multipart_headers(B), body(&data, chunk, false))
            .await
            .unwrap();
        assert!(
            got == content,
            "chunk size {chunk}: {} bytes, not {}",
            got.len(),
            content.len()
        );
        assert_eq!(name.as_deref(), Some("C:\\tmp\\depot.zip"));
    }
}

#[tokio::test]
async fn a_part_named_file_counts_and_an_empty_file_is_read_as_empty() {
    let data = form(&[("file", None, b"")]);
    let (got, name) = read_file(&multipart_headers(B), body(&data, 3, false))
        .await
        .unwrap();
    assert!(got.is_empty());
    assert_eq!(name, None);
}

#[tokio::test]
async fn a_raw_body_is_the_file() {
    let mut h = HeaderMap::new();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename*=UTF-8''d%C3%A9p%C3%B4t.zip"),
    );
    let (got, name) = read_file(&h, body(b"--not multipart--", 5, false))
        .await
        .unwrap();
    assert_eq!(got, b"--not multipart--");
    assert_eq!(name.as_deref(), Some("dépôt.zip"));
}

#[tokio::test]
async fn refusals_are_clear() {
    let h = multipart_headers(B);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![b'x'; MAX_PREAMBLE + 1000], "no boundary within"),
        (
            form(&[("a", None, b"1"), ("b", None, b"2")]),
            "no file part",
        ),
        (
            form(&vec![("f", None, &b"v"[..]); MAX_PARTS_BEFORE_FILE + 1]),
            "parts come before",
        ),
        (
            form(&[("big", None, &vec![b'v'; MAX_FIELD + 10])]),
            "form field",
        ),
        (
            format!(
                "--{B}\r\nX-Long: {}\r\n\r\nx",
                "h".repeat(MAX_PART_HEADERS + 1)
            )
            .into_bytes(),
            "headers",
        ),
        (format!("--{B}junk\r\n\r\n").into_bytes(), "malformed"),
        (
            format!("--{B}\r\nContent-Disposition: form-").into_bytes(),
            "ended inside",
        ),
    ];
    for (data, expected) in cases {
        let err = read_file(&h, body(&data, 1000, false)).await.unwrap_err();
        assert!(err.contains(expected), "{expected:?} not in {err:?}");
    }
    let mut no_boundary = HeaderMap::new();
    no_boundary.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("multipart/form-data"),
    );
    let err = read_file(&no_boundary, body(b"x", 1, false))
        .await
        .unwrap_err();
    assert!(err.contains("boundary parameter"), "{err}");
    let err = read_file(&h, body(b"no boundary here", 4, false))
        .await
        .unwrap_err();
    assert!(err.contains("no boundary line"), "{err}");
}

#[tokio::test]
async fn a_file_part_cut_off_is_an_error_not_a_short_file() {
    let content = tricky_content();
    let data = form(&[("upload", Some("depot.zip"), &content)]);
    let cut = &data[..data.len() / 2];
    let err = read_file(&multipart_headers(B), body(cut, 4096, false))
        .await
        .map(|(got, _)| got.len())
        .unwrap_err();
    assert!(err.contains("closing boundary"), "{err}");
    let err = read_file(&multipart_headers(B), body(cut, 4096, true))
        .await
        .map(|(got, _)| got.len())
        .unwrap_err();
    assert!(err.contains("connection reset"), "{err}");
}

#[test]
fn params_are_read_quoted_or_not() {
    let v = r#"form-data; name="a;b"; filename="x \"y\".zip""#;
    assert_eq!(param(v, "name").as_deref(), Some("a;b"));
    assert_eq!(param(v, "filename").as_deref(), Some("x \"y\".zip"));
    assert_eq!(
        param("multipart/form-data; boundary=abc", "boundary").as_deref(),
        Some("abc")
    );
    assert_eq!(param("attachment", "filename"), None);
}
