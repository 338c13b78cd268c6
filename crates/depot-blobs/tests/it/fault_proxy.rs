//! A TCP proxy in front of the S3 test server that injects faults: answer the next N
//! requests with `500 Internal Server Error`, or go away once a number of request bytes
//! has passed (as a server that dies mid-write), and come back; or refuse server-side
//! copies as AWS S3 refuses sources over 5 GiB. depotd's tests include this file too
//! (`#[path]`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// The proxy's switches.
#[derive(Default)]
pub struct Faults {
    /// Requests still to answer with a 500 (each on its own connection, then closed).
    pub fail_next: AtomicUsize,
    /// Request bytes after which the server "disappears" (0: never).
    pub die_after_bytes: AtomicU64,
    /// Answer every `CopyObject` with AWS's "copy source too large" error (the proxy
    /// then sees one request per connection, to find them).
    pub refuse_copies: AtomicBool,
    forwarded: AtomicU64,
    dead: AtomicBool,
}

impl Faults {
    /// The server goes away once `bytes` more request bytes have passed.
    pub fn die_after(&self, bytes: u64) {
        let now = self.forwarded.load(Ordering::SeqCst);
        self.die_after_bytes.store(now + bytes, Ordering::SeqCst);
    }

    /// The server is back.
    #[allow(dead_code, reason = "used by depotd's tests, which include this file")]
    pub fn revive(&self) {
        self.die_after_bytes.store(0, Ordering::SeqCst);
        self.dead.store(false, Ordering::SeqCst);
    }

    /// Whether the server is gone.
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::SeqCst)
    }
}

/// A running proxy; its URL replaces the server's endpoint.
pub struct FaultProxy {
    pub url: String,
    pub faults: Arc<Faults>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// A proxy to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> Self {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("an http endpoint")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let faults = Arc::new(Faults::default());
        let task = tokio::spawn({
            let faults = Arc::clone(&faults);
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let (faults, upstream) = (Arc::clone(&faults), upstream.clone());
                    tokio::spawn(async move {
                        let _ = serve(client, &upstream, &faults).await;
                    });
                }
            }
        });
        Self { url, faults, task }
    }
}

/// One client connection: dropped when the server is dead, answered with a 500 when
/// one is due, forwarded (counting its request bytes) otherwise.
async fn serve(mut client: TcpStream, upstream: &str, faults: &Faults) -> std::io::Result<()> {
    if faults.is_dead() {
        return Ok(());
    }
    let due = faults
        .fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if due {
        read_request(&mut client).await?;
        client
            .write_all(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await?;
        return client.shutdown().await;
    }
    let mut head = Vec::new();
    if faults.refuse_copies.load(Ordering::SeqCst) {
        head = read_head(&mut client).await?;
        let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
        if text.contains("\r\nx-amz-copy-source:") {
            client.write_all(copy_too_large().as_bytes()).await?;
            return client.shutdown().await;
        }
        // One request per connection: the server closes it after answering.
        head.truncate(head.len() - 2);
        head.extend_from_slice(b"Connection: close\r\n\r\n");
    }
    let server = TcpStream::connect(upstream).await?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    server_write.write_all(&head).await?;
    let up = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = client_read.read(&mut buf).await?;
            if n == 0 || faults.is_dead() {
                return Ok::<_, std::io::Error>(());
            }
            let total = faults.forwarded.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
            let limit = faults.die_after_bytes.load(Ordering::SeqCst);
            if limit > 0 && total > limit {
                faults.dead.store(true, Ordering::SeqCst);
                return Ok(());
            }
            server_write.write_all(&buf[..n]).await?;
        }
    };
    let down = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = server_read.read(&mut buf).await?;
            if n == 0 || faults.is_dead() {
                return Ok::<_, std::io::Error>(());
            }
            client_write.write_all(&buf[..n]).await?;
        }
    };
    // Whichever side ends (or the server dies) ends the connection.
    tokio::select! {
        r = up => r,
        r = down => r,
    }
}

/// What AWS S3 answers a `CopyObject` whose source is over 5 GiB.
fn copy_too_large() -> String {
    let body = "<Error><Code>InvalidRequest</Code><Message>The specified copy source is \
        larger than the maximum allowable size for a copy source: 5368709120</Message></Error>";
    format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Reads one request's head (up to and with the empty line; less if the client closes).
async fn read_head(client: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 {
            break;
        }
        head.push(byte[0]);
    }
    Ok(head)
}

/// Reads one request's head and its `Content-Length` body.
async fn read_request(client: &mut TcpStream) -> std::io::Result<()> {
    let head = read_head(client).await?;
    if !head.ends_with(b"\r\n\r\n") {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    tokio::io::copy(&mut client.take(length), &mut tokio::io::sink()).await?;
    Ok(())
}
