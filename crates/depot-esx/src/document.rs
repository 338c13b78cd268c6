//! Reading one metadata document (XML or JSON) into its format struct, safely: the size
//! was capped when the entry was read; here an XML document with a DOCTYPE is refused
//! before deserializing (so no external entity is fetched and no entity is expanded: a
//! "billion laughs" document never gets past the prolog), and nothing but the five
//! predefined entities and character references is ever resolved.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde::de::DeserializeOwned;

use crate::error::EsxError;

/// Deserializes the XML `bytes` of `document`.
pub(crate) fn from_xml<T: DeserializeOwned>(document: &str, bytes: &[u8]) -> Result<T, EsxError> {
    let text = text(document, bytes)?;
    refuse_doctype(document, text)?;
    quick_xml::de::from_str(text).map_err(|e| EsxError::xml(document, e.to_string()))
}

/// Checks that `bytes` is a well-formed XML document without a DOCTYPE (for documents
/// the model does not use, e.g. `vmware.xml`).
pub(crate) fn check_xml(document: &str, bytes: &[u8]) -> Result<(), EsxError> {
    let text = text(document, bytes)?;
    refuse_doctype(document, text)
}

/// Deserializes the JSON `bytes` of `document`.
pub(crate) fn from_json<T: DeserializeOwned>(document: &str, bytes: &[u8]) -> Result<T, EsxError> {
    serde_json::from_slice(bytes).map_err(|source| EsxError::Json {
        document: document.to_owned(),
        source,
    })
}

fn text<'a>(document: &str, bytes: &'a [u8]) -> Result<&'a str, EsxError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|_| EsxError::xml(document, "not UTF-8"))
}

/// Walks the whole document once: it must be well-formed, with one root element and no
/// DOCTYPE.
fn refuse_doctype(document: &str, text: &str) -> Result<(), EsxError> {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| {
            EsxError::xml(document, format!("{e} at byte {}", reader.error_position()))
        })?;
        match event {
            Event::DocType(_) => {
                return Err(EsxError::Doctype {
                    document: document.to_owned(),
                });
            }
            Event::Start(_) => {
                roots += usize::from(depth == 0);
                depth += 1;
            }
            Event::Empty(_) => roots += usize::from(depth == 0),
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
    }
    match (roots, depth) {
        (1, 0) => Ok(()),
        (0, _) => Err(EsxError::xml(document, "no root element")),
        (_, 0) => Err(EsxError::xml(document, "more than one root element")),
        _ => Err(EsxError::xml(document, "unclosed element")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Doc {
        a: String,
    }

    #[test]
    fn plain_documents_parse() {
        let doc: Doc = from_xml("d", b"<?xml version=\"1.0\"?><r><a>x &amp; y</a></r>").unwrap();
        assert_eq!(doc.a, "x & y");
    }

    #[test]
    fn doctype_entities_and_malformed_documents_are_refused() {
        let laughs = b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><r><a>&b;</a></r>";
        assert!(matches!(
            from_xml::<Doc>("d", laughs),
            Err(EsxError::Doctype { .. })
        ));
        let external = b"<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r><a>&x;</a></r>";
        assert!(matches!(
            from_xml::<Doc>("d", external),
            Err(EsxError::Doctype { .. })
        ));
        let undefined = b"<r><a>&x;</a></r>";
        assert!(matches!(
            from_xml::<Doc>("d", undefined),
            Err(EsxError::Xml { .. })
        ));
        for bad in [&b"<r><a>x</b></r>"[..], b"<r>", b"", b"<r/><r/>", b"\xff"] {
            assert!(
                matches!(check_xml("d", bad), Err(EsxError::Xml { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let depth = 200_000;
        let doc = format!(
            "<r><a>x</a><z>{}{}</z></r>",
            "<n>".repeat(depth),
            "</n>".repeat(depth)
        );
        let parsed: Doc = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || from_xml::<Doc>("d", doc.as_bytes()))
            .unwrap()
            .join()
            .expect("no stack overflow")
            .unwrap();
        assert_eq!(parsed.a, "x");
    }
}
