//! The address a JSON API request comes from, for its rate limit: the TCP peer, or, when the
//! peer is a configured trusted proxy, the last address in the proxy's header
//! (`X-Forwarded-For` by default) that is not itself a trusted proxy. Nothing the caller
//! sends can change its key unless it comes through a proxy the operator trusts.

use axum::http::HeaderMap;
use std::net::IpAddr;

/// A network written as `10.0.0.0/8`, `::1/128` or a bare address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(s: &str) -> Option<IpNet> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4 addresses mapped into IPv6 (`::ffff:192.0.2.1`) as plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The trusted proxies and the header they set.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    pub nets: Vec<IpNet>,
    /// Lower-case header name.
    pub header: String,
}

impl TrustedProxies {
    /// The client's address for a request from `peer` with `headers`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.is_trusted(peer) {
            return peer;
        }
        // Right to left: each trusted proxy appended the address it received from.
        let mut client = peer;
        let hops: Vec<&str> = headers
            .get_all(self.header.as_str())
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) => {
                    client = ip;
                    if !self.is_trusted(ip) {
                        break;
                    }
                }
                // A malformed entry: trust nothing further left.
                None => break,
            }
        }
        client
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(ip))
    }
}

/// One entry of `X-Forwarded-For`: an address, possibly with a port (`192.0.2.1:4711`,
/// `[2001:db8::1]:4711`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sa) = hop.parse::<std::net::SocketAddr>() {
        return Some(canonical(sa.ip()));
    }
    None
}

/// The rate-limit key of an address: IPv6 clients by their /64 (one subscriber's network),
/// IPv4 by the address.
pub fn limit_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies {
            nets: nets.iter().map(|n| IpNet::parse(n).unwrap()).collect(),
            header: "x-forwarded-for".into(),
        }
    }

    #[test]
    fn the_header_counts_only_from_a_trusted_peer() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let none = proxies(&[]);
        let lb = proxies(&["10.0.0.0/8", "::1"]);
        // Not behind a trusted proxy: the header is ignored whatever it says.
        assert_eq!(
            none.client_ip(ip("203.0.113.9"), &headers(&["1.2.3.4"])),
            ip("203.0.113.9")
        );
        assert_eq!(
            lb.client_ip(ip("203.0.113.9"), &headers(&["1.2.3.4"])),
            ip("203.0.113.9")
        );
        // Behind it: the right-most untrusted hop, so a forged left part changes nothing.
        assert_eq!(
            lb.client_ip(ip("10.1.2.3"), &headers(&["1.2.3.4, 198.51.100.7"])),
            ip("198.51.100.7")
        );
        assert_eq!(
            lb.client_ip(
                ip("10.1.2.3"),
                &headers(&["1.2.3.4", "198.51.100.7, 10.9.9.9"])
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            lb.client_ip(ip("::1"), &headers(&["[2001:db8::1]:4711"])),
            ip("2001:db8::1")
        );
        assert_eq!(
            lb.client_ip(ip("::ffff:10.0.0.1"), &headers(&["198.51.100.7:80"])),
            ip("198.51.100.7")
        );
        // Missing, or malformed right of the client: the proxy itself.
        assert_eq!(lb.client_ip(ip("10.1.2.3"), &headers(&[])), ip("10.1.2.3"));
        assert_eq!(
            lb.client_ip(ip("10.1.2.3"), &headers(&["198.51.100.7, garbage"])),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn networks_and_keys() {
        assert!(IpNet::parse("10.0.0.0/8")
            .unwrap()
            .contains("10.255.0.1".parse().unwrap()));
        assert!(!IpNet::parse("10.0.0.0/8")
            .unwrap()
            .contains("11.0.0.1".parse().unwrap()));
        assert!(IpNet::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(IpNet::parse("2001:db8::/32")
            .unwrap()
            .contains("2001:db8:1::5".parse().unwrap()));
        assert!(IpNet::parse("10.0.0.0/33").is_none());
        assert!(IpNet::parse("nonsense").is_none());
        assert_eq!(
            limit_key("2001:db8:1:2:aaaa::1".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            limit_key("2001:db8:1:2:bbbb::9".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(limit_key("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.1");
    }
}
