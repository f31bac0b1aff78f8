//! [`LoopbackServer`]: a TCP server on 127.0.0.1 for the tests' fake
//! services (an HTTP 404 server, a server that never answers, a listener
//! counting who connects, the fake models). Blocking accepts on one thread;
//! no polling, no sleeps.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

type Handler = dyn Fn(TcpStream) + Send + Sync;

/// Listens on 127.0.0.1 (a free port) and gives every accepted connection
/// to its handler, on the accepting thread: a handler that takes long
/// spawns a thread of its own. Stops when dropped.
pub struct LoopbackServer {
    port: u16,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

struct State {
    stop: AtomicBool,
    accepted: AtomicUsize,
    /// A connection of [`LoopbackServer::accepted`]: its address, and who
    /// waits for it.
    sentinel: Mutex<Option<(SocketAddr, Sender<()>)>>,
}

impl LoopbackServer {
    pub fn start(handler: impl Fn(TcpStream) + Send + Sync + 'static) -> LoopbackServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            stop: AtomicBool::new(false),
            accepted: AtomicUsize::new(0),
            sentinel: Mutex::new(None),
        });
        let st = Arc::clone(&state);
        let handler: Box<Handler> = Box::new(handler);
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let peer = conn.peer_addr().ok();
                let mut sentinel = st.sentinel.lock().unwrap();
                if let Some((addr, tx)) = sentinel.as_ref()
                    && Some(*addr) == peer
                {
                    let _ = tx.send(());
                    *sentinel = None;
                    continue;
                }
                drop(sentinel);
                st.accepted.fetch_add(1, Ordering::SeqCst);
                handler(conn);
            }
        });
        LoopbackServer {
            port,
            state,
            accept: Some(accept),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Connections accepted (and handled, for a handler that does not spawn)
    /// so far, counting every connection made before this call: a sentinel
    /// connection is made and waited for, and the kernel queues connections
    /// in order.
    pub fn accepted(&self) -> usize {
        let (tx, rx) = channel();
        let conn = {
            let mut sentinel = self.state.sentinel.lock().unwrap();
            let conn = TcpStream::connect(("127.0.0.1", self.port)).expect("sentinel connection");
            *sentinel = Some((conn.local_addr().unwrap(), tx));
            conn
        };
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the server accepted the sentinel connection");
        drop(conn);
        self.state.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// Read an HTTP request's head (up to the blank line), with a timeout;
/// returns it as text (empty when the client sent nothing).
pub fn read_request_head(conn: &mut impl Read) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Answer `HTTP/1.1 404` with a short text body.
pub fn respond_404(conn: &mut impl Write, body: &str) {
    let _ = write!(
        conn,
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A plain HTTP server answering 404 to every request: a server that
/// answers, without an archive or a model there.
pub fn not_found_server() -> LoopbackServer {
    LoopbackServer::start(|mut c| {
        std::thread::spawn(move || {
            let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
            read_request_head(&mut c);
            respond_404(&mut c, "no such thing here\n");
        });
    })
}

/// A server that accepts every connection and never answers (nor closes):
/// a client of it hangs.
pub fn stalling_server() -> LoopbackServer {
    let held = Mutex::new(Vec::new());
    LoopbackServer::start(move |c| held.lock().unwrap().push(c))
}
