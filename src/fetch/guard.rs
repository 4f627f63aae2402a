//! Address safety: feeds, pages and redirect targets that resolve to loopback, private,
//! link-local or cloud-metadata addresses are refused unless `fetch.allow_private` is set.
//!
//! The check runs after DNS resolution, inside the HTTP client's resolver, so it holds for every
//! connection the client opens, redirects included; IP-literal URLs never reach a resolver and are
//! checked before the request and on each redirect hop. Hosts named in
//! `fetch.allow_private_hosts` (an intranet feed) are exempt, and only they.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// The error a refused address surfaces as, found again in the error chain to classify it.
#[derive(Debug, thiserror::Error)]
#[error(
    "refused {host}: it resolves only to private, loopback or link-local addresses; to allow it, \
     set fetch.allow_private = true or add \"{host}\" to fetch.allow_private_hosts"
)]
pub struct Blocked {
    pub host: String,
}

/// Whether `ip` is on the public internet.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || a == 100 && (64..128).contains(&b) // shared address space (carrier NAT)
        || a == 192 && b == 0 && c == 0 // IETF protocol assignments
        || a == 198 && (18..20).contains(&b) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let seg = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00 // unique local, cloud metadata (fd00:ec2::254)
        || (seg[0] & 0xffc0) == 0xfe80 // link-local
        || seg[0] == 0x2001 && seg[1] == 0x0db8 // documentation
        || seg[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible, deprecated
}

/// The IPv4 address an IPv6 address carries, by which it reaches that IPv4 host: IPv4-mapped
/// (`::ffff:0:0/96`), IPv4-translated (`::ffff:0:0:0/96`), NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`),
/// 6to4 (`2002::/16`) and Teredo (`2001::/32`, the client address inverted). Judged as IPv6, a
/// loopback or metadata address wrapped in one of these passed as public.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let seg = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match seg {
        [0, 0, 0, 0, 0xffff, 0, hi, lo]
        | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo]
        | [0x64, 0xff9b, 1, .., hi, lo]
        | [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        [0x2001, 0, .., hi, lo] => Some(v4(!hi, !lo)),
        _ => None,
    }
}

/// Refuses a URL whose host is an IP literal outside the public internet; names are left to the
/// resolver.
///
/// # Errors
/// [`Blocked`] for a private, loopback or link-local literal.
pub fn check_literal(url: &Url, exempt: &[String]) -> Result<(), Blocked> {
    if url.host_str().is_some_and(|h| exempt.iter().any(|e| e.eq_ignore_ascii_case(h))) {
        return Ok(());
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    if is_public(ip) { Ok(()) } else { Err(Blocked { host: ip.to_string() }) }
}

/// A resolver that drops non-public addresses (except for exempt hosts) and fails when none is
/// left.
#[derive(Debug, Clone, Default)]
pub struct PublicOnlyResolver {
    pub exempt: Arc<[String]>,
}

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let exempt = self.exempt.iter().any(|e| e.eq_ignore_ascii_case(name.as_str()));
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs.into_iter().filter(|a| exempt || is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(Blocked { host }) as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_private_addresses() {
        let cases = [
            ("8.8.8.8", true),
            ("203.0.113.5", false),
            ("127.0.0.1", false),
            ("127.3.4.5", false),
            ("10.1.2.3", false),
            ("172.16.0.1", false),
            ("172.32.0.1", true),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("0.0.0.0", false),
            ("255.255.255.255", false),
            ("::1", false),
            ("::", false),
            ("fe80::1", false),
            ("fd00:ec2::254", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("64:ff9b::a00:1", false),
            ("2606:4700::1111", true),
            ("2001:db8::1", false),
            // Issue 21 (8): IPv4 addresses wrapped in IPv6 are judged as what they reach.
            ("2002:7f00:1::", false),
            ("2002:a9fe:a9fe::1", false),
            ("2002:c0a8:101::1", false),
            ("2002:808:808::1", true),
            ("::ffff:0:7f00:1", false),
            ("::ffff:0:808:808", true),
            ("64:ff9b:1::7f00:1", false),
            ("2001:0:4136:e378:8000:63bf:80ff:fffe", false),
            ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", true),
        ];
        for (ip, want) in cases {
            assert_eq!(is_public(ip.parse().expect("ip")), want, "{ip}");
        }
    }

    #[test]
    fn literal_hosts_are_checked() {
        let ok = |u: &str| check_literal(&Url::parse(u).expect("url"), &[]).is_ok();
        assert!(!ok("http://127.0.0.1:8080/feed"));
        assert!(!ok("http://[::1]/feed"));
        assert!(!ok("http://169.254.169.254/latest/meta-data"));
        assert!(ok("https://www.dawn.com/feeds/home"));
        assert!(ok("http://8.8.8.8/"));
        let exempt = ["127.0.0.1".to_string()];
        assert!(check_literal(&Url::parse("http://127.0.0.1:9/").expect("url"), &exempt).is_ok());
        assert!(check_literal(&Url::parse("http://127.0.0.2:9/").expect("url"), &exempt).is_err());
    }
}
