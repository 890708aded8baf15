//! `POST /v1/query` with `"image": {"url": …}` through the knowledge base: the image is
//! fetched under the SSRF guard and searched by. The server runs on 127.0.0.1, which the
//! guard refuses, so the test names it `images.test`, pinned to its address as `/etc/hosts`
//! would; literal loopback addresses stay refused.

use std::net::SocketAddr;
use std::sync::Arc;

use braid_kb::records::ImageRecord;
use braid_kb::{BraidError, KnowledgeBase, Options};
use braid_router::{ImageInput, QueryRequest, Route};
use braid_vector::{EmbedError, Embedder, HashingEmbedder};
use braid_web::{FetchLimits, ImageFetcher};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Text through the hashing embedder; an image as the text of its bytes, so the same image
/// embeds the same way whether stored or fetched.
struct Multimodal(HashingEmbedder);

impl Embedder for Multimodal {
    fn name(&self) -> &str {
        "test-multimodal"
    }
    fn dimension(&self) -> usize {
        self.0.dimension()
    }
    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.0.embed_texts(texts)
    }
    fn is_multimodal(&self) -> bool {
        true
    }
    fn embed_images(&self, images: &[&[u8]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let texts: Vec<String> = images.iter().map(|b| format!("{b:?}")).collect();
        self.0.embed_texts(&texts.iter().map(String::as_str).collect::<Vec<_>>())
    }
}

fn png(marker: u8) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    bytes.extend(std::iter::repeat_n(marker, 64));
    bytes
}

async fn image_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { continue };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 2048];
                let n = stream.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                let (kind, body) = if request.starts_with("GET /koala.png") {
                    ("image/png", png(7))
                } else {
                    ("text/html", b"<html>not an image</html>".to_vec())
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    });
    addr
}

fn image(id: &str, caption: &str) -> ImageRecord {
    ImageRecord {
        id: id.into(),
        path: None,
        url: None,
        base64: None,
        caption: caption.into(),
        depicts: vec![],
        tags: vec![],
        source: None,
        license: None,
        media_type: None,
        indexed_text: String::new(),
    }
}

fn query(url: &str) -> QueryRequest {
    let mut request = QueryRequest::new("");
    request.image = Some(ImageInput { url: Some(url.into()), base64: None });
    request.routes = Some(vec![Route::Vector]);
    request
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_image_given_by_url_is_fetched_and_searched_by() {
    let addr = image_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = Options::new(dir.path(), Arc::new(Multimodal(HashingEmbedder::new(64))));
    options.checkpoints = None;
    options.image_fetcher =
        Some(Arc::new(ImageFetcher::pinning(FetchLimits::default(), &[("images.test", addr)]).expect("client")));
    let kb = KnowledgeBase::open(options).expect("open");
    kb.put_images(vec![(image("img:koala", "a koala"), Some(png(7))), (image("img:other", "a wombat"), Some(png(9)))])
        .expect("images");

    let port = addr.port();
    let answer = kb.query(&query(&format!("http://images.test:{port}/koala.png"))).await.expect("query");
    assert_eq!(answer.results.first().map(|h| h.id.as_str()), Some("img:koala"), "{:?}", answer.results);

    // Not an image, a private address, a local name: refused with the field named.
    for url in [
        format!("http://images.test:{port}/page.html"),
        format!("http://127.0.0.1:{port}/koala.png"),
        format!("http://localhost:{port}/koala.png"),
        "http://10.0.0.1/x.png".to_string(),
    ] {
        match kb.query(&query(&url)).await {
            Err(BraidError::Invalid { field, message }) => assert_eq!(field, "image.url", "{url}: {message}"),
            other => panic!("{url}: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_multimodal_embedder_an_image_url_is_refused_before_any_fetch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut options = Options::new(dir.path(), Arc::new(HashingEmbedder::new(64)));
    options.checkpoints = None;
    let kb = KnowledgeBase::open(options).expect("open");
    match kb.query(&query("https://example.org/koala.png")).await {
        Err(BraidError::Invalid { field, message }) => {
            assert_eq!(field, "image");
            assert!(message.contains("cannot embed images"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}
