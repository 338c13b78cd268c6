//! `Accept-Encoding` negotiation (RFC 9110 §12.5.3): which of the content codings a
//! response can be sent in the client prefers.

use axum::http::{HeaderMap, header};

/// The index in `offered` (the server's codings, most preferred first) of the coding
/// to send, or `None` for identity.
///
/// The client's weights decide; on equal weights the server's order does. A coding
/// weighted `q=0` is refused, `*` stands for every coding not named, and identity is
/// acceptable unless refused by name or by `*;q=0`. When identity is refused and no
/// offered coding is acceptable, identity is still the answer: the caller may send it
/// (RFC 9110 allows it) or answer 406.
#[must_use]
pub fn negotiate(headers: &HeaderMap, offered: &[&str]) -> Option<usize> {
    let weights = parse(headers);
    let weight_of = |coding: &str| -> Option<f32> {
        weights
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(coding))
            .or_else(|| weights.iter().find(|(c, _)| c == "*"))
            .map(|(_, q)| *q)
    };
    let identity = weights
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case("identity"))
        .or_else(|| weights.iter().find(|(c, _)| c == "*"))
        .map_or(f32::MIN_POSITIVE, |(_, q)| *q);
    let mut best: Option<(usize, f32)> = None;
    for (index, coding) in offered.iter().enumerate() {
        let Some(q) = weight_of(coding) else { continue };
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((index, q));
        }
    }
    match best {
        Some((index, q)) if q >= identity => Some(index),
        _ => None,
    }
}

/// The (coding, weight) pairs of every `Accept-Encoding` header.
fn parse(headers: &HeaderMap) -> Vec<(String, f32)> {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';');
            let coding = parts.next()?.trim();
            if coding.is_empty() {
                return None;
            }
            let q = parts
                .find_map(|p| {
                    let (name, value) = p.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("q")
                        .then(|| value.trim().parse::<f32>().ok())?
                })
                .unwrap_or(1.0);
            Some((coding.to_owned(), q.clamp(0.0, 1.0)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn pick(value: Option<&str>) -> Option<&'static str> {
        let offered = ["zstd", "gzip"];
        let mut h = HeaderMap::new();
        if let Some(value) = value {
            h.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
        }
        negotiate(&h, &offered).map(|i| offered[i])
    }

    #[test]
    fn the_clients_weights_decide_then_the_servers_order() {
        assert_eq!(pick(None), None);
        assert_eq!(pick(Some("")), None);
        assert_eq!(pick(Some("gzip, deflate")), Some("gzip"));
        assert_eq!(pick(Some("gzip,deflate,br,zstd")), Some("zstd"));
        assert_eq!(pick(Some("zstd;q=0.5, gzip")), Some("gzip"));
        assert_eq!(pick(Some("deflate, GZIP;Q=0.5")), Some("gzip"));
        assert_eq!(pick(Some("*")), Some("zstd"));
        assert_eq!(pick(Some("*, zstd;q=0")), Some("gzip"));
        assert_eq!(pick(Some("br")), None);
    }

    #[test]
    fn zero_weights_refuse() {
        assert_eq!(pick(Some("gzip;q=0")), None);
        assert_eq!(pick(Some("gzip; q=0.0, identity")), None);
        assert_eq!(pick(Some("identity")), None);
        assert_eq!(pick(Some("gzip;q=0.3, identity;q=0.5")), None);
        assert_eq!(pick(Some("gzip;q=0.5, identity;q=0.5")), Some("gzip"));
        // Identity refused and nothing offered acceptable: identity anyway.
        assert_eq!(pick(Some("br, identity;q=0")), None);
        assert_eq!(pick(Some("gzip, *;q=0")), Some("gzip"));
    }
}
