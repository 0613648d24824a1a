//! The HTTP side: `GET /metrics` (and `HEAD`) answered with the text of a [`Render`]; any other
//! path 404, any other method on `/metrics` 405. A bad request is answered 400 by hyper; nothing
//! a client sends can panic the server. Connections are capped and their lifetime bounded
//! ([`crate::http::serve`]).

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Builds the exposition text; called once per scrape, off the async threads.
pub type Render = Arc<dyn Fn() -> String + Send + Sync>;

/// Scrape connections served at once; more wait in the accept backlog.
const MAX_CONNECTIONS: usize = 32;

/// OpenMetrics text, what `prometheus-client` writes (Prometheus reads it natively).
const CONTENT_TYPE_METRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A running `/metrics` server.
pub struct MetricsServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl MetricsServer {
    /// The bound address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    /// The accept loop's task; it ends when the shutdown channel changes.
    pub fn into_task(self) -> JoinHandle<()> {
        self.task
    }
}

/// Binds `addr` for [`start`] (before anything else starts, so a port in use fails early).
pub fn bind_listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let l = std::net::TcpListener::bind(addr)?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Serves `/metrics` on `listener` until `shutdown` changes. Call within a Tokio runtime.
pub fn start(
    listener: std::net::TcpListener,
    render: Render,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<MetricsServer> {
    let listener = TcpListener::from_std(listener)?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(crate::http::serve(
        listener,
        "metrics",
        MAX_CONNECTIONS,
        move |req| answer(req, render.clone()),
        shutdown,
    ));
    Ok(MetricsServer { addr, task })
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

async fn answer(
    req: Request<Incoming>,
    render: Render,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/metrics" {
        return Ok(text(StatusCode::NOT_FOUND, "not found; try /metrics\n"));
    }
    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Ok(r);
        }
    };
    let body = match tokio::task::spawn_blocking(move || render()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: rendering failed");
            return Ok(text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "rendering failed\n",
            ));
        }
    };
    let len = body.len();
    let mut r = Response::new(Full::new(if head {
        Bytes::new()
    } else {
        Bytes::from(body)
    }));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_METRICS));
    if head {
        r.headers_mut()
            .insert(hyper::header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    Ok(r)
}
