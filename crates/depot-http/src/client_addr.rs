//! The caller's address: the connection's peer, or, when the peer is a proxy the
//! configuration trusts, the address that proxy forwarded in `X-Forwarded-For`.
//!
//! Behind a reverse proxy every connection comes from the proxy, so without this every
//! caller would share one address (and one login throttle count). `X-Forwarded-For`
//! is a list of hops, each proxy appending the address it received the request from.
//! Anyone can write hops of their own at the front, so the list is read from the right
//! and believed only through trusted proxies: the first hop that is not a trusted
//! proxy is the caller. From a peer that is not trusted the header is ignored.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Hops of `X-Forwarded-For` read at most (from the right).
const MAX_HOPS: usize = 32;

/// An IP network: an address and a prefix length (`10.0.0.0/8`, `fd00::/8`); a bare
/// address is the network of that one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

/// Text that is not an IP network.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an IP address or network (address/prefix length)")]
pub struct InvalidIpNet(String);

impl IpNet {
    /// Whether `ip` lies in this network (IPv4-mapped IPv6 addresses as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(net.to_bits()), self.prefix, 32)
                    == masked(u128::from(ip.to_bits()), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(net.to_bits(), self.prefix, 128) == masked(ip.to_bits(), self.prefix, 128)
            }
            _ => false,
        }
    }
}

/// The top `prefix` bits of a `width`-bit number.
fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
    let drop = u32::from(width.saturating_sub(prefix));
    bits.checked_shr(drop).unwrap_or(0)
}

impl FromStr for IpNet {
    type Err = InvalidIpNet;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidIpNet(s.to_owned());
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s.trim(), None),
        };
        let addr = addr
            .parse::<IpAddr>()
            .map_err(|_| invalid())?
            .to_canonical();
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(invalid)?,
            None => width,
        };
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Serialize for IpNet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IpNet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Trusts proxies in `networks` (none: every header is ignored).
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    /// The caller of a request from `peer` with `headers`.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut caller = peer.to_canonical();
        if !self.trusts(caller) {
            return caller;
        }
        let lists: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let hops = lists.iter().rev().flat_map(|l| l.rsplit(','));
        for hop in hops.take(MAX_HOPS) {
            // A hop that cannot be read ends the chain: the last trusted one stands.
            let Some(ip) = parse_hop(hop.trim()) else {
                return caller;
            };
            caller = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        caller
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }
}

/// One hop: an address, possibly with a port (`192.0.2.1:5000`, `[2001:db8::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The caller's address as resolved by [`layer`].
#[derive(Debug, Clone, Copy)]
struct Resolved(IpAddr);

/// Middleware: resolves the caller's address once per request, through `proxies`,
/// for [`ClientAddr`].
pub async fn layer(
    State(proxies): State<Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let caller = proxies.resolve(peer, request.headers());
        request.extensions_mut().insert(Resolved(caller));
    }
    next.run(request).await
}

/// The caller's address (for throttling and logs): as resolved by [`layer`], else the
/// connection's peer, else `unknown` (in-process calls).
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<Resolved>().map(|r| r.0).or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_canonical())
        });
        Ok(ClientAddr(
            ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(lists: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lists {
            h.append("x-forwarded-for", HeaderValue::from_str(l).unwrap());
        }
        h
    }

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn networks_parse_and_match() {
        let net: IpNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.1")), "IPv4-mapped");
        assert_eq!(net.to_string(), "10.1.0.0/16");
        let one: IpNet = "192.0.2.7".parse().unwrap();
        assert_eq!(one.to_string(), "192.0.2.7/32");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: IpNet = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.1.0.1")));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "host",
            "10.0.0.0/-1",
        ] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_header_is_believed_only_through_trusted_proxies() {
        let trusted = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        let h = forwarded(&["198.51.100.9"]);
        // From a trusted proxy: the forwarded address.
        assert_eq!(trusted.resolve(ip("127.0.0.1"), &h), ip("198.51.100.9"));
        // From anyone else: the header is ignored.
        assert_eq!(trusted.resolve(ip("203.0.113.5"), &h), ip("203.0.113.5"));
        assert_eq!(proxies(&[]).resolve(ip("127.0.0.1"), &h), ip("127.0.0.1"));
        // No header: the proxy itself.
        assert_eq!(
            trusted.resolve(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn hops_are_read_from_the_right_up_to_the_first_untrusted_one() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // The caller wrote a hop of its own in front: it is not believed.
        let h = forwarded(&["1.1.1.1, 198.51.100.9, 10.0.0.2"]);
        assert_eq!(trusted.resolve(ip("10.0.0.1"), &h), ip("198.51.100.9"));
        // Several header lines are one list, in order.
        let h = forwarded(&["1.1.1.1", "198.51.100.9:4711", "10.0.0.2"]);
        assert_eq!(trusted.resolve(ip("10.0.0.1"), &h), ip("198.51.100.9"));
        let h = forwarded(&["[2001:db8::5]:80, 10.0.0.3"]);
        assert_eq!(trusted.resolve(ip("10.0.0.1"), &h), ip("2001:db8::5"));
        // Garbage behind trusted hops: the last trusted hop stands.
        let h = forwarded(&["1.1.1.1, garbage, 10.0.0.2"]);
        assert_eq!(trusted.resolve(ip("10.0.0.1"), &h), ip("10.0.0.2"));
        // All hops trusted: the leftmost.
        let h = forwarded(&["10.0.0.7, 10.0.0.2"]);
        assert_eq!(trusted.resolve(ip("10.0.0.1"), &h), ip("10.0.0.7"));
    }
}
