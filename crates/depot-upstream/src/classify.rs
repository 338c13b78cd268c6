//! Sorting `reqwest` errors into what the caller should do about them.
//!
//! `reqwest` does not type its connection errors, so this walks the source chain looking
//! for the typed errors underneath: our [`DnsFailure`], `rustls::Error`, `io::Error`.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use crate::dns::DnsFailure;
use crate::error::Unavailable;
use crate::settings::Timeouts;

/// What a failed request (or body read) means.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The host name does not resolve; not retried.
    UnknownHost(String),
    /// The server certificate did not verify; not retried.
    Untrusted(String),
    /// Worth another attempt.
    Retryable(Unavailable),
}

/// Classifies `err`, which ended a request `elapsed` after it started.
pub(crate) fn classify(err: &reqwest::Error, timeouts: &Timeouts, elapsed: Duration) -> Failure {
    let chain = causes(err);
    for cause in &chain {
        if let Some(dns) = cause.downcast_ref::<DnsFailure>() {
            return Failure::UnknownHost(dns.host.clone());
        }
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            if matches!(
                tls,
                rustls::Error::InvalidCertificate(_)
                    | rustls::Error::NoCertificatesPresented
                    | rustls::Error::InvalidCertRevocationList(_)
            ) {
                return Failure::Untrusted(tls.to_string());
            }
            return Failure::Retryable(Unavailable::Connection(format!("TLS handshake: {tls}")));
        }
        if let Some(io) = cause.downcast_ref::<io::Error>()
            && io.kind() == io::ErrorKind::ConnectionRefused
        {
            return Failure::Retryable(Unavailable::Refused);
        }
    }
    if err.is_timeout() {
        let cause = if err.is_connect() {
            Unavailable::ConnectTimeout(timeouts.connect)
        } else {
            match timeouts.request {
                Some(total) if elapsed >= total => Unavailable::RequestTimeout(total),
                _ => Unavailable::Stalled(timeouts.read),
            }
        };
        return Failure::Retryable(cause);
    }
    // The innermost cause says what happened, and never contains the URL.
    let detail = chain
        .iter()
        .skip(1)
        .last()
        .map_or_else(|| "request failed".to_owned(), ToString::to_string);
    Failure::Retryable(Unavailable::Connection(detail))
}

/// `err` and its sources, looking inside `io::Error`s (whose `source()` skips the error
/// they wrap).
fn causes<'a>(err: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(err);
    while let Some(cause) = next {
        out.push(cause);
        // An `io::Error` wrapping an error reports that error's source as its own: step
        // into the wrapped error itself instead.
        next = match cause
            .downcast_ref::<io::Error>()
            .and_then(io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => cause.source(),
        };
        if out.len() > 32 {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_look_inside_io_errors() {
        let tls = rustls::Error::NoCertificatesPresented;
        let inner = io::Error::new(io::ErrorKind::InvalidData, tls);
        let outer = io::Error::other(inner);
        let chain = causes(&outer);
        assert_eq!(chain.len(), 3);
        assert!(chain[2].downcast_ref::<rustls::Error>().is_some());
    }
}
