//! Shared test harness: a real `braid` process on a free loopback port, and a tiny HTTP/1.1
//! client (so tests can send malformed bytes on purpose).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_braid");

/// The `braid` binary with the hashing embedder pinned, as [`Server::start`] pins it: a
/// command that writes a data directory must embed as the server that later reads it, and a
/// test must not depend on (or spend minutes in) MiniLM when its weights are on the machine.
pub fn braid_command() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("BRAID_EMBEDDER", "hash");
    cmd
}

pub fn atlas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/atlas")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A `braid` server process on a free loopback port; killed when dropped.
pub struct Server {
    /// The child process.
    pub child: Child,
    /// Its port.
    pub port: u16,
}

impl Server {
    pub fn start(args: &[&str], data: &Path, envs: &[(&str, &str)]) -> Server {
        Self::start_logged(args, data, envs, None)
    }

    /// Like [`Server::start`], with the server's stderr written to `log` when given. The
    /// hashing embedder is pinned (`BRAID_EMBEDDER=hash`) unless `envs` names another, so a
    /// test's expectations do not depend on MiniLM weights being on the machine (Braid uses
    /// them by default when it finds them). An empty value in `envs` unsets that variable.
    pub fn start_logged(args: &[&str], data: &Path, envs: &[(&str, &str)], log: Option<&Path>) -> Server {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .args(["--addr", &addr, "--data"])
            .arg(data)
            .env("BRAID_ATLAS", atlas())
            .env("BRAID_EMBEDDER", "hash")
            .env_remove("BRAID_API_KEY")
            .env_remove("BRAID_WEB_PROVIDER")
            .stdout(Stdio::null())
            .stderr(match log {
                Some(path) => Stdio::from(std::fs::File::create(path).expect("creating the server log")),
                None => Stdio::null(),
            });
        // An empty value unsets the variable.
        for (k, v) in envs {
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        let child = cmd.spawn().expect("spawn braid");
        let mut server = Server { child, port };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("braid exited early with {status}");
            }
            if let Ok((200, _)) = server.try_request("GET", "/healthz", None, &[]) {
                return server;
            }
            // A bound against hanging, not a speed check: a debug-build demo on a loaded
            // 2-core machine took over 240 s once.
            assert!(started.elapsed() < Duration::from_secs(600), "server not healthy in 600 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends one HTTP/1.1 request and returns the status and the body parsed as JSON (or a string).
    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> std::io::Result<(u16, Value)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let body = body.unwrap_or(b"");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if !body.is_empty() {
            head.push_str("Content-Type: application/json\r\n");
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or(std::io::ErrorKind::InvalidData)?;
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let status: u16 =
            head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(std::io::ErrorKind::InvalidData)?;
        let mut payload = raw[split + 4..].to_vec();
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
            payload = dechunk(&payload);
        }
        let text = String::from_utf8_lossy(&payload).to_string();
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    pub fn request(&self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Value) {
        self.try_request(method, path, body, &[]).expect("request")
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.request("POST", path, Some(body.to_string().as_bytes()))
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        self.request("GET", path, None)
    }

    /// Posts a body of `len` bytes; the server may refuse it before reading it all.
    pub fn oversized_post(&self, path: &str, len: usize) -> u16 {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).expect("write");
        let chunk = vec![b' '; 1 << 16];
        let mut sent = 0;
        while sent < len {
            // The server closes the connection once it has refused the body.
            if stream.write_all(&chunk[..chunk.len().min(len - sent)]).is_err() {
                break;
            }
            sent += chunk.len();
        }
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw);
        text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
    }

    pub fn kill9(mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..pos]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = pos + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

pub fn ids(results: &Value) -> Vec<String> {
    results
        .as_array()
        .map(|a| a.iter().filter_map(|h| h["id"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

pub fn line_count(file: &str) -> u64 {
    std::fs::read_to_string(atlas().join(file)).expect("atlas file").lines().filter(|l| !l.trim().is_empty()).count()
        as u64
}
