//! A webhook receiver the tests start: a real HTTP server on a free port that records every
//! request it gets and answers as scripted; and the Standard Webhooks signature check,
//! written here from the specification (HMAC as RFC 2104 defines it, over SHA-256) so that it
//! shares no code with the service's signing.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// How the receiver answers a request.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    /// A 302 to this URL.
    Redirect(String),
    /// A 200 with a body of this many bytes.
    Huge(usize),
    /// This status, at once.
    Status(u16),
    /// This status, after a pause.
    Slow(u16, Duration),
    /// Nothing for this long, then the connection is closed.
    Hang(Duration),
    /// A 200 with no body (an OTLP collector's "all accepted").
    #[allow(dead_code, reason = "the OTLP test's answer (tests/otlp.rs); the webhook tests do not use it")]
    Empty,
}

/// One request as received.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) arrived: Instant,
    pub(crate) answered: Instant,
    /// The request line's target.
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Hit {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Script {
    next: VecDeque<Answer>,
    otherwise: Option<Answer>,
}

/// The receiver; it runs until the test process ends.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
    arrivals: Arc<Mutex<usize>>,
    script: Arc<Mutex<Script>>,
}

impl Receiver {
    /// A receiver answering `script` in order, then `otherwise`.
    pub(crate) fn start(script: &[Answer], otherwise: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a receiver");
        let receiver = Self {
            addr: listener.local_addr().expect("an address"),
            hits: Arc::default(),
            arrivals: Arc::default(),
            script: Arc::new(Mutex::new(Script {
                next: script.iter().cloned().collect(),
                otherwise: Some(otherwise),
            })),
        };
        let shared = receiver.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let shared = shared.clone();
                std::thread::spawn(move || shared.serve(stream));
            }
        });
        receiver
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}/hooks/workorder", self.addr)
    }

    /// From now on, answer `answer` to every request.
    pub(crate) fn answer_from_now(&self, answer: Answer) {
        let mut script = self.script.lock().expect("script lock");
        script.next.clear();
        script.otherwise = Some(answer);
    }

    /// The requests answered so far, in the order they arrived.
    pub(crate) fn hits(&self) -> Vec<Hit> {
        let mut hits = self.hits.lock().expect("hits lock").clone();
        hits.sort_by_key(|h| h.arrived);
        hits
    }

    /// Waits until `n` requests have arrived (and been answered), at most `within`.
    pub(crate) fn wait_for(&self, n: usize, within: Duration) -> Vec<Hit> {
        let deadline = Instant::now() + within;
        loop {
            let hits = self.hits();
            if hits.len() >= n {
                return hits;
            }
            assert!(Instant::now() < deadline, "{} of {n} requests within {within:?}", hits.len());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until `n` requests have arrived, answered or not, at most `within`.
    pub(crate) fn wait_for_arrivals(&self, n: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while *self.arrivals.lock().expect("arrivals lock") < n {
            assert!(Instant::now() < deadline, "fewer than {n} requests arrived within {within:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream);
        let mut headers = Vec::new();
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.trim_end().split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let length = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok());
        let mut body = vec![0; length.unwrap_or(0)];
        let _ = reader.read_exact(&mut body);
        let arrived = Instant::now();
        *self.arrivals.lock().expect("arrivals lock") += 1;
        let answer = {
            let mut script = self.script.lock().expect("script lock");
            script.next.pop_front().or_else(|| script.otherwise.clone()).unwrap_or(Answer::Status(200))
        };
        let mut stream = reader.into_inner();
        match answer {
            Answer::Redirect(location) => {
                let _ = write!(
                    stream,
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
            Answer::Huge(bytes) => {
                let _ =
                    write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {bytes}\r\nConnection: close\r\n\r\n");
                let _ = stream.write_all(&vec![b'x'; bytes]);
            }
            Answer::Status(status) => respond(&mut stream, status),
            Answer::Slow(status, pause) => {
                std::thread::sleep(pause);
                respond(&mut stream, status);
            }
            Answer::Hang(pause) => std::thread::sleep(pause),
            Answer::Empty => {
                let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        }
        self.hits.lock().expect("hits lock").push(Hit {
            arrived,
            answered: Instant::now(),
            path,
            headers,
            body,
        });
    }
}

fn respond(stream: &mut TcpStream, status: u16) {
    let _ = write!(stream, "HTTP/1.1 {status} Scripted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
}

/// HMAC-SHA256 as RFC 2104 defines it: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new().chain_update(block.map(|b| b ^ 0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(block.map(|b| b ^ 0x5c)).chain_update(inner).finalize().into()
}

/// Checks a hit as a subscriber would, with the `whsec_…` secret it was shown: the signature
/// of `{webhook-id}.{webhook-timestamp}.{body}` is among `webhook-signature`'s `v1,` entries,
/// and the timestamp is within five minutes of now.
pub(crate) fn assert_signed(hit: &Hit, secret: &str) {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").expect("a whsec_ secret")).expect("base64");
    assert!(key.len() >= 24, "a secret of at least 24 bytes");
    let id = hit.header("webhook-id").expect("webhook-id");
    let timestamp = hit.header("webhook-timestamp").expect("webhook-timestamp");
    let seconds: i64 = timestamp.parse().expect("Unix seconds");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now - seconds).abs() < 300, "a timestamp of now");
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(&hit.body);
    let expected = format!("v1,{}", STANDARD.encode(hmac_sha256(&key, &signed)));
    let header = hit.header("webhook-signature").expect("webhook-signature");
    assert!(header.split(' ').any(|s| s == expected), "{header} is not {expected}");
    assert_eq!(hit.header("content-type"), Some("application/json"));
}

#[test]
fn the_independent_hmac_matches_rfc_4231_case_2() {
    let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
