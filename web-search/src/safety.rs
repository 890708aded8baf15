//! Where the client may be sent: public http(s) addresses only.
//!
//! The configured provider URL may be anything (SearxNG is usually self-hosted on
//! loopback); what these checks guard is every *redirect* the provider answers with, and
//! image URLs the binary fetches on a user's behalf (SSRF protection).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::WebError;

/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;

/// Whether `ip` is a globally routable unicast address: not loopback, private, link-local,
/// unique-local, CGNAT, documentation, multicast, broadcast, reserved or unspecified.
pub fn is_public_address(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: &Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || a == 0 // "this network"
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a >= 240 // reserved
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19))) // benchmarking 198.18/15
}

fn is_public_v6(ip: &Ipv6Addr) -> bool {
    // Addresses that embed an IPv4 address are judged by it (::ffff:10.0.0.1 is private).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(&v4);
    }
    let seg = ip.segments();
    if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0] {
        let [a, b] = seg[6].to_be_bytes();
        let [c, d] = seg[7].to_be_bytes();
        return is_public_v4(&Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00 // unique-local fc00::/7
        || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (seg[0] & 0xffc0) == 0xfec0 // deprecated site-local fec0::/10
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
        || seg[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible and other ::/96 forms
}

/// Checks that `url` is http(s) and does not name a non-public address or `localhost`.
///
/// Only the literal host is checked; names are not resolved here.
pub fn check_public_url(url: &Url) -> Result<(), WebError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(WebError::Blocked(format!("scheme '{}' is not http(s)", url.scheme())));
    }
    match url.host() {
        None => Err(WebError::Blocked("URL has no host".into())),
        Some(Host::Ipv4(v4)) => check_ip(IpAddr::V4(v4)),
        Some(Host::Ipv6(v6)) => check_ip(IpAddr::V6(v6)),
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name.is_empty() || name == "localhost" || name.ends_with(".localhost") {
                Err(WebError::Blocked(format!("host '{name}' is local")))
            } else {
                Ok(())
            }
        }
    }
}

fn check_ip(ip: IpAddr) -> Result<(), WebError> {
    if is_public_address(&ip) { Ok(()) } else { Err(WebError::Blocked(format!("address {ip} is not public"))) }
}

/// Carries a refused redirect through reqwest's error chain so it can be reported as
/// [`WebError::Blocked`] rather than a generic transport error.
#[derive(Debug)]
pub(crate) struct RedirectRefused(pub(crate) String);

impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redirect refused: {}", self.0)
    }
}

impl std::error::Error for RedirectRefused {}

/// The redirect policy for every provider client: at most [`MAX_REDIRECTS`] hops, each to a
/// public http(s) address. The check runs before connecting to the new location.
pub(crate) fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(RedirectRefused(format!("more than {MAX_REDIRECTS} redirects")));
        }
        match check_public_url(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(WebError::Blocked(why)) => attempt.error(RedirectRefused(why)),
            Err(other) => attempt.error(RedirectRefused(other.to_string())),
        }
    })
}

/// DNS resolution that refuses names resolving only to non-public addresses — except the
/// configured provider host, which may legitimately be private (self-hosted SearxNG).
///
/// The redirect policy sees only the literal host; this closes the gap where a redirect
/// names a public-looking domain that resolves to an internal address.
#[derive(Debug, Clone)]
pub(crate) struct PublicOnlyResolver {
    trusted_host: Option<String>,
}

impl PublicOnlyResolver {
    pub(crate) fn new(trusted_host: Option<&str>) -> Self {
        PublicOnlyResolver { trusted_host: trusted_host.map(|h| h.to_ascii_lowercase()) }
    }
}

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let trusted = self.trusted_host.as_deref() == Some(host.as_str());
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<_> =
                if trusted { addrs } else { addrs.into_iter().filter(|a| is_public_address(&a.ip())).collect() };
            if usable.is_empty() {
                let refused = RedirectRefused(format!("host '{host}' has no public address"));
                return Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(usable.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public_address(&s.parse().unwrap())
    }

    #[test]
    fn address_classes() {
        for private in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            assert!(!public(private), "{private} must not be public");
        }
        for open in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(public(open), "{open} must be public");
        }
    }

    #[tokio::test]
    async fn resolver_refuses_private_names_unless_trusted() {
        use reqwest::dns::Resolve;
        // `localhost` comes from the hosts file: no network needed.
        let name = || "localhost".parse::<reqwest::dns::Name>().unwrap();
        let strict = PublicOnlyResolver::new(Some("api.example"));
        let err = strict.resolve(name()).await.err().expect("refused");
        assert!(err.downcast_ref::<RedirectRefused>().is_some(), "{err}");
        let trusting = PublicOnlyResolver::new(Some("LOCALHOST"));
        let addrs: Vec<_> = trusting.resolve(name()).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }

    #[test]
    fn url_checks() {
        let ok = |s: &str| check_public_url(&Url::parse(s).unwrap()).is_ok();
        assert!(ok("https://example.com/x"));
        assert!(ok("http://8.8.8.8/"));
        assert!(!ok("http://127.0.0.1:8080/"));
        assert!(!ok("http://[::1]/"));
        assert!(!ok("http://169.254.169.254/latest/meta-data"));
        assert!(!ok("http://localhost/"));
        assert!(!ok("http://a.localhost./"));
        assert!(!ok("file:///etc/passwd"));
        assert!(!ok("ftp://example.com/"));
        // Numeric host spellings are normalised by the URL parser before the check.
        assert!(!ok("http://0x7f.1/"));
        assert!(!ok("http://2130706433/"));
    }
}
