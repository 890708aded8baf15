//! Canonical URLs, so the same page found twice (or by two routes) is one hit.

use url::Url;

use crate::error::WebError;

/// Query parameters that only track clicks and never change the page.
const TRACKING_PARAMS: &[&str] =
    &["gclid", "fbclid", "msclkid", "mc_cid", "mc_eid", "ref_src", "igshid", "yclid", "_ga"];

fn is_tracking_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_") || TRACKING_PARAMS.contains(&name.as_str())
}

/// Rewrites an http(s) URL into its canonical form.
///
/// Lowercases scheme and host, drops default ports, credentials, the fragment and
/// tracking parameters (`utm_*`, `gclid`, `fbclid`, ...), sorts the remaining query
/// parameters (keeping their original encoding) and removes an empty `?`. Path case is kept.
///
/// ```
/// use braid_web::canonicalize_url;
/// assert_eq!(
///     canonicalize_url("HTTPS://Example.COM:443/A/b?z=1&utm_source=x&a=2#top").unwrap(),
///     "https://example.com/A/b?a=2&z=1"
/// );
/// ```
pub fn canonicalize_url(raw: &str) -> Result<String, WebError> {
    let mut url = Url::parse(raw.trim()).map_err(|e| WebError::Malformed(format!("invalid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(WebError::Malformed(format!("URL scheme '{}' is not http(s)", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(WebError::Malformed("URL has no host".into()));
    }
    // The url crate already lowercases scheme and host and drops default ports.
    url.set_fragment(None);
    // Credentials never belong in a result URL; errors are impossible for http(s) with a host.
    let _ = url.set_username("");
    let _ = url.set_password(None);

    let kept = url.query().map(|query| {
        let mut params: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| {
                let name = p.split('=').next().unwrap_or_default();
                !is_tracking_param(&decode_name(name))
            })
            .collect();
        params.sort_unstable();
        params.join("&")
    });
    match kept {
        Some(q) if !q.is_empty() => url.set_query(Some(&q)),
        _ => url.set_query(None),
    }
    Ok(url.into())
}

/// Percent-decodes a parameter name so `utm%5Fsource` is recognised as tracking.
fn decode_name(name: &str) -> String {
    url::form_urlencoded::parse(name.as_bytes()).next().map(|(k, _)| k.into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> String {
        canonicalize_url(s).unwrap()
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(c("https://news.example.org/0?utm_source=x"), "https://news.example.org/0");
        assert_eq!(c("HTTP://WWW.Example.com:80/Path?"), "http://www.example.com/Path");
        assert_eq!(c("https://example.com:8443/x#frag"), "https://example.com:8443/x");
        assert_eq!(
            c("https://e.com/p?b=2&gclid=1&a=1&FBCLID=2&utm_Medium=m&mc_cid=1&mc_eid=1"),
            "https://e.com/p?a=1&b=2"
        );
        assert_eq!(c("https://e.com/p?q=a%20b&_ga=1&yclid=2&igshid=3"), "https://e.com/p?q=a%20b");
        assert_eq!(c("https://user:pw@e.com/"), "https://e.com/");
        assert_eq!(c("https://e.com"), "https://e.com/");
        assert_eq!(c("https://e.com/?utm%5Fsource=x&&k"), "https://e.com/?k");
    }

    #[test]
    fn rejects_non_web_urls() {
        assert!(canonicalize_url("javascript:alert(1)").is_err());
        assert!(canonicalize_url("ftp://e.com/x").is_err());
        assert!(canonicalize_url("not a url").is_err());
        assert!(canonicalize_url("").is_err());
    }
}
