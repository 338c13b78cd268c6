//! A DNS resolver whose failures are typed, so that "unknown host" can be told apart from
//! other connection errors (see [`classify`](crate::classify)).

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A host name that did not resolve.
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {host}")]
pub(crate) struct DnsFailure {
    /// The host name.
    pub(crate) host: String,
    /// The resolver's error, if it gave one (none: no addresses).
    #[source]
    source: Option<std::io::Error>,
}

/// The system resolver (`getaddrinfo` on a blocking thread, through tokio).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let looked_up = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map(Iterator::collect::<Vec<SocketAddr>>);
            let addrs = match looked_up {
                Ok(addrs) => addrs,
                Err(source) => {
                    return Err(DnsFailure {
                        host,
                        source: Some(source),
                    }
                    .into());
                }
            };
            if addrs.is_empty() {
                return Err(DnsFailure { host, source: None }.into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}
