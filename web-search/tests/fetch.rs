//! Fetching images by URL against an HTTP server on 127.0.0.1. The guard refuses loopback,
//! so the tests name the server `images.test`, pinned to its address the way `/etc/hosts`
//! would; every literal address, redirect and other name stays under the guard.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use braid_web::{FetchError, FetchLimits, ImageFetcher};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// A server answering by path; runs until the test's runtime ends.
async fn server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { continue };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
                let port = addr.port();
                let (head, body): (String, Vec<u8>) = match path.as_str() {
                    "/ok.png" => ("200 OK\r\nContent-Type: image/png".into(), PNG.to_vec()),
                    "/page" => ("200 OK\r\nContent-Type: text/html; charset=utf-8".into(), b"<html></html>".to_vec()),
                    "/missing.png" => ("404 Not Found\r\nContent-Type: text/plain".into(), b"no".to_vec()),
                    "/big.png" => ("200 OK\r\nContent-Type: image/png".into(), vec![0u8; 4096]),
                    "/to-loopback" => (
                        format!("302 Found\r\nLocation: http://127.0.0.1:{port}/ok.png\r\nContent-Type: text/plain"),
                        vec![],
                    ),
                    "/to-localhost" => (
                        format!("302 Found\r\nLocation: http://localhost:{port}/ok.png\r\nContent-Type: text/plain"),
                        vec![],
                    ),
                    "/to-file" => {
                        ("302 Found\r\nLocation: file:///etc/passwd\r\nContent-Type: text/plain".into(), vec![])
                    }
                    "/to-ok" => (
                        format!("302 Found\r\nLocation: http://images.test:{port}/ok.png\r\nContent-Type: text/plain"),
                        vec![],
                    ),
                    "/slow.png" => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        ("200 OK\r\nContent-Type: image/png".into(), PNG.to_vec())
                    }
                    _ => ("404 Not Found\r\nContent-Type: text/plain".into(), vec![]),
                };
                let head = format!("HTTP/1.1 {head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    });
    addr
}

fn fetcher(addr: SocketAddr, limits: FetchLimits) -> ImageFetcher {
    ImageFetcher::pinning(limits, &[("images.test", addr)]).expect("client")
}

#[tokio::test]
async fn an_image_on_a_pinned_host_is_fetched_with_its_type() {
    let addr = server().await;
    let f = fetcher(addr, FetchLimits::default());
    let image = f.fetch(&format!("http://images.test:{}/ok.png", addr.port())).await.expect("fetched");
    assert_eq!(image.bytes, PNG);
    assert_eq!(image.content_type, "image/png");
    // A redirect to another URL on a host that is allowed is followed.
    let image = f.fetch(&format!("http://images.test:{}/to-ok", addr.port())).await.expect("followed");
    assert_eq!(image.bytes, PNG);
}

#[tokio::test]
async fn private_addresses_names_and_redirects_are_refused_before_connecting() {
    let addr = server().await;
    let port = addr.port();
    let f = fetcher(addr, FetchLimits::default());
    for url in [
        format!("http://127.0.0.1:{port}/ok.png"),
        format!("http://localhost:{port}/ok.png"),
        format!("http://[::1]:{port}/ok.png"),
        "http://169.254.169.254/latest/meta-data".to_string(),
        "file:///etc/passwd".to_string(),
        format!("http://images.test:{port}/to-loopback"),
        format!("http://images.test:{port}/to-localhost"),
    ] {
        let err = f.fetch(&url).await.expect_err(&url);
        assert!(matches!(err, FetchError::Blocked(_)), "{url}: {err:?}");
    }
    // A redirect to a non-http scheme is not followed either.
    let err = f.fetch(&format!("http://images.test:{port}/to-file")).await.expect_err("file redirect");
    assert!(matches!(err, FetchError::Blocked(_)), "{err:?}");
    // Without the pin, the same name is looked up in DNS and refused: it has no public address.
    let unpinned = ImageFetcher::new(FetchLimits::default()).expect("client");
    let err = unpinned.fetch(&format!("http://localhost.localdomain:{port}/ok.png")).await.expect_err("refused");
    assert!(matches!(err, FetchError::Blocked(_) | FetchError::Transport(_)), "{err:?}");
    assert_eq!(f.fetch("not a url").await.err().map(|e| matches!(e, FetchError::InvalidUrl(_))), Some(true));
}

#[tokio::test]
async fn only_images_within_the_limits_come_back() {
    let addr = server().await;
    let port = addr.port();
    let small = fetcher(addr, FetchLimits { timeout: Duration::from_millis(500), max_bytes: 1024 });
    let err = small.fetch(&format!("http://images.test:{port}/page")).await.expect_err("html");
    assert_eq!(err, FetchError::NotAnImage("text/html".into()));
    let err = small.fetch(&format!("http://images.test:{port}/missing.png")).await.expect_err("404");
    assert_eq!(err, FetchError::Http(404));
    let err = small.fetch(&format!("http://images.test:{port}/big.png")).await.expect_err("too big");
    assert_eq!(err, FetchError::TooLarge(1024));
    let started = Instant::now();
    let err = small.fetch(&format!("http://images.test:{port}/slow.png")).await.expect_err("slow");
    assert!(matches!(err, FetchError::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(4), "gave up at the limit, not when the server answered");
}
