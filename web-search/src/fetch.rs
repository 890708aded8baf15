//! Fetching an image a user named by URL (a query's `"image": {"url": …}`), guarded against
//! server-side request forgery: the URL must be public http(s) ([`check_public_url`]), every
//! redirect is checked the same way before it is followed, a host name must resolve to a
//! public address (so `http://my-printer.lan/` or a DNS name pointing at 127.0.0.1 is
//! refused), and the answer must be an image (`image/*` content type) within a size and a
//! time limit.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use url::Url;

use crate::error::WebError;
use crate::safety::{PublicOnlyResolver, RedirectRefused, check_public_url, redirect_policy};

/// Limits of one image fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// The whole fetch, from connecting until the last byte.
    pub timeout: Duration,
    /// Largest image accepted, in bytes.
    pub max_bytes: usize,
}

impl Default for FetchLimits {
    /// 10 s and 16 MiB: the size Braid accepts for a stored image, and time enough for it
    /// over a slow link.
    fn default() -> Self {
        FetchLimits { timeout: Duration::from_secs(10), max_bytes: 16 << 20 }
    }
}

/// An image fetched by URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedImage {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The content type the server gave (`image/png` …), without parameters.
    pub content_type: String,
}

/// Why an image could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL, a redirect or the address a name resolves to is not public http(s).
    #[error("refused: {0}")]
    Blocked(String),
    /// The URL does not parse.
    #[error("not a URL: {0}")]
    InvalidUrl(String),
    /// The server did not answer in time.
    #[error("the image server did not answer within {0:?}")]
    Timeout(Duration),
    /// The server answered with an error status.
    #[error("the image server answered HTTP {0}")]
    Http(u16),
    /// The answer is not an image.
    #[error("the URL does not name an image (content type '{0}')")]
    NotAnImage(String),
    /// The image is larger than the limit.
    #[error("the image is larger than {0} bytes")]
    TooLarge(usize),
    /// Connecting, sending or receiving failed.
    #[error("fetching the image failed: {0}")]
    Transport(String),
}

/// Fetches images by URL under the guard described in the module documentation.
#[derive(Debug, Clone)]
pub struct ImageFetcher {
    client: reqwest::Client,
    limits: FetchLimits,
}

impl ImageFetcher {
    /// A fetcher with these limits.
    pub fn new(limits: FetchLimits) -> Result<ImageFetcher, WebError> {
        Self::build(limits, &[])
    }

    /// A fetcher that resolves `host` to `addr` without asking DNS and without checking the
    /// address, as an `/etc/hosts` entry would: how a test reaches a server on loopback while
    /// every other name, literal address and redirect stays under the guard. Nothing a user
    /// configures leads here.
    pub fn pinning(limits: FetchLimits, pins: &[(&str, SocketAddr)]) -> Result<ImageFetcher, WebError> {
        Self::build(limits, pins)
    }

    fn build(limits: FetchLimits, pins: &[(&str, SocketAddr)]) -> Result<ImageFetcher, WebError> {
        // reqwest is built with `rustls-no-provider`: install the process-wide provider
        // (idempotent; one the binary installed first wins).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .timeout(limits.timeout)
            .connect_timeout(limits.timeout)
            .redirect(redirect_policy())
            .dns_resolver(PublicOnlyResolver::new(None))
            .user_agent(concat!("braid/", env!("CARGO_PKG_VERSION")));
        for (host, addr) in pins {
            builder = builder.resolve(host, *addr);
        }
        let client = builder.build().map_err(|e| WebError::Config(format!("cannot build HTTP client: {e}")))?;
        Ok(ImageFetcher { client, limits })
    }

    /// The limits in force.
    pub fn limits(&self) -> FetchLimits {
        self.limits
    }

    /// Fetches the image at `url`.
    pub async fn fetch(&self, url: &str) -> Result<FetchedImage, FetchError> {
        let parsed = Url::parse(url).map_err(|e| FetchError::InvalidUrl(e.to_string()))?;
        check_public_url(&parsed).map_err(|e| match e {
            WebError::Blocked(why) => FetchError::Blocked(why),
            other => FetchError::Blocked(other.to_string()),
        })?;
        let timeout = self.limits.timeout;
        let mut response = self.client.get(parsed).send().await.map_err(|e| transport(e, timeout))?;
        let status = response.status();
        if status.is_redirection() {
            // reqwest hands back a redirect it would not follow (to `file:` and the like).
            return Err(FetchError::Blocked(format!(
                "redirect (HTTP {}) to a location that is not http(s)",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Err(FetchError::Http(status.as_u16()));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
            .unwrap_or_default();
        if !content_type.starts_with("image/") {
            return Err(FetchError::NotAnImage(content_type));
        }
        let limit = self.limits.max_bytes;
        if response.content_length().is_some_and(|len| len > limit as u64) {
            return Err(FetchError::TooLarge(limit));
        }
        // Read incrementally: a lying or endless body never exceeds the cap in memory.
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(e, timeout))? {
            if bytes.len() + chunk.len() > limit {
                return Err(FetchError::TooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(FetchedImage { bytes, content_type })
    }
}

fn transport(error: reqwest::Error, timeout: Duration) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<RedirectRefused>() {
            return FetchError::Blocked(refused.0.clone());
        }
        source = e.source();
    }
    if error.is_timeout() {
        return FetchError::Timeout(timeout);
    }
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    FetchError::Transport(text)
}
