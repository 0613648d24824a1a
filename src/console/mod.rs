//! `rocklet console`: a small web console in the same binary. It speaks only the RocketMQ
//! protocol to the cluster (admin calls through [`MQAdmin`], sends through a producer of its
//! own), so it works against Rocklet and a Java 4.9 cluster alike. Server-rendered HTML (the
//! one script, the topic page's TPS chart, is optional) and a JSON API with the same data:
//!
//! | page | API | what |
//! |---|---|---|
//! | `GET /` | `GET /api/cluster` | clusters, brokers and their runtime figures |
//! | `GET /topics[?all=1]` | `GET /api/topics[?all=1]` | topics, system ones hidden unless `all` |
//! | `POST /topics` (form) | `POST /api/topics` (JSON) | create or update a topic on a cluster's masters |
//! | `GET /topic/{t}` | `GET /api/topic/{t}` | route and queue offsets |
//! | `POST /topic/{t}/delete` | `POST /api/topic/{t}/delete` | `mqadmin deleteTopic` |
//! | `GET /groups[?all=1]` | `GET /api/groups[?all=1]` | consumer groups, lag, members |
//! | `GET /group/{g}` | `GET /api/group/{g}` | members and lag per queue |
//! | `POST /group/{g}/reset` (form) | `POST /api/group/{g}/reset` (JSON) | reset offsets by time |
//! | `POST /group/{g}/config` (form) | `POST /api/group/{g}/config` (JSON) | update the group's subscription group config on every master |
//! | `GET /send`, `POST /send` (form) | `POST /api/send` (JSON) | send a message |
//! | `GET /messages?topic&key` or `&begin&end` | `GET /api/messages?..` | search messages |
//! | `GET /message?topic&id[&format]` | `GET /api/message?..` | one message, who consumed it |
//! | `GET /dlq?group[&begin&end]` | `GET /api/dlq?..` | a group's dead letters |
//! | `POST /dlq/resend` (form) | `POST /api/dlq/resend` (JSON) | re-send a dead letter |
//! | `GET /producers?topic&group` | `GET /api/producers?..` | a producer group's connections |
//! | `GET /topic/{t}` (chart) | `GET /api/topic/{t}/tps` | a topic's put and get TPS |
//! | `GET /login`, `POST /login`, `POST /logout` | | sign in and out ([`auth`]) |
//!
//! Authentication is off unless a [`Login`] is given; while it is off, the CLI binds 127.0.0.1
//! unless told otherwise, every page says so and the start logs a warning. Bad
//! input is 400, an unknown topic, group or message 404, a refusal of the cluster 502 with its
//! code and remark; bodies over [`MAX_BODY`] are 413. Nothing a client sends panics.

pub mod api;
pub mod auth;
mod form;
pub mod groups;
pub mod messages;
mod pages;
mod pages_msg;
mod routes;
pub mod send;
pub mod stats;

pub use auth::Login;

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, SET_COOKIE,
    WWW_AUTHENTICATE,
};
use hyper::{Method, Request, Response, StatusCode};
use rocklet_client::{ClientConfig, MQAdmin};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use auth::{Auth, Identity};
use form::{field, parse_pairs, percent_decode};
use routes::{handle, parse_route, Reply};
use send::Sender;

/// The largest request body accepted (forms and JSON are small).
pub const MAX_BODY: usize = 64 * 1024;
/// Connections served at once; more wait in the accept backlog.
const MAX_CONNECTIONS: usize = 64;

/// How to start the console.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// The admin client's settings; `namesrv_addr` is required (ACL credentials and TLS are
    /// taken from here too).
    pub client: ClientConfig,
    /// Where to listen (port 0: ephemeral). Keep it on loopback unless `login` is set.
    pub bind: SocketAddr,
    /// The user and password every page and API call needs; None: authentication is off.
    pub login: Option<Login>,
}

impl ConsoleOptions {
    /// The console of the cluster behind `namesrv`, on 127.0.0.1 and an ephemeral port.
    pub fn new(namesrv: impl Into<String>) -> Self {
        let client = ClientConfig {
            namesrv_addr: Some(namesrv.into()),
            ..ClientConfig::default()
        };
        ConsoleOptions {
            client,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            login: None,
        }
    }

    /// Builder: ask for `user` and `password`.
    pub fn with_login(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.login = Some(Login {
            user: user.into(),
            password: password.into(),
        });
        self
    }
}

/// A running console; dropping it stops the server, its admin client and (in the background)
/// its producer; [`ConsoleHandle::shutdown`] waits for the producer.
pub struct ConsoleHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    state: Arc<State>,
}

impl ConsoleHandle {
    /// The bound address (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    /// Waits until the server stops (it only stops when the handle is dropped).
    pub async fn wait(&mut self) {
        let _ = (&mut self.task).await;
    }
    /// Stops the server and shuts the console's producer down (it unregisters from the
    /// brokers).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Some(p) = self.state.sender.started() {
            p.shutdown().await;
        }
    }
}

impl Drop for ConsoleHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.task.abort();
        self.state.admin.instance().shutdown();
        if let (Some(p), Ok(rt)) = (
            self.state.sender.started(),
            tokio::runtime::Handle::try_current(),
        ) {
            rt.spawn(async move { p.shutdown().await });
        }
    }
}

struct State {
    admin: MQAdmin,
    namesrv: String,
    sender: Sender,
    auth: Option<Auth>,
}

/// Binds `opts.bind` and serves the console until the handle is dropped. Call within a Tokio
/// runtime.
pub async fn start(opts: ConsoleOptions) -> anyhow::Result<ConsoleHandle> {
    let namesrv = opts
        .client
        .namesrv_addr
        .clone()
        .filter(|n| !n.trim().is_empty())
        .context("the console needs a name server address (-n)")?;
    let listener = TcpListener::bind(opts.bind)
        .await
        .with_context(|| format!("console: cannot listen on {}", opts.bind))?;
    let addr = listener.local_addr()?;
    if opts.login.is_none() {
        tracing::warn!(
            %addr,
            "console: authentication is off; anyone who reaches this address can send messages, delete topics and reset offsets"
        );
    }
    let admin = MQAdmin::connect(opts.client.clone())?;
    let state = Arc::new(State {
        admin,
        namesrv,
        sender: Sender::new(opts.client),
        auth: opts.login.map(Auth::new),
    });
    let (stop, rx) = watch::channel(false);
    let st = state.clone();
    let task = tokio::spawn(rocklet_metrics::http::serve(
        listener,
        "console",
        MAX_CONNECTIONS,
        move |req| answer(req, st.clone()),
        rx,
    ));
    Ok(ConsoleHandle {
        addr,
        stop,
        task,
        state,
    })
}

type Resp = Response<Full<Bytes>>;

fn respond(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";

fn redirect(to: &str) -> Resp {
    let mut r = respond(StatusCode::SEE_OTHER, TEXT, format!("see {to}\n"));
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

/// An HTML page with its authentication banner filled in: the warning when authentication is
/// off, who is signed in (and the sign-out button) when on, nothing on the sign-in page.
fn page(st: &State, status: StatusCode, html: String, signed_in: bool) -> Resp {
    let banner = match &st.auth {
        None => pages::AUTH_OFF.to_owned(),
        Some(a) if signed_in => format!(
            "<div class=\"muted\">signed in as {} <form method=\"post\" action=\"/logout\" \
style=\"display:inline;margin:0\"><button id=\"logout-submit\">Sign out</button></form></div>",
            form::esc(a.user())
        ),
        Some(_) => String::new(),
    };
    let mut r = respond(status, HTML, html.replacen(pages::AUTH_SLOT, &banner, 1));
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn with_cookie(mut r: Resp, cookie: &str) -> Resp {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

/// `/login` and `/logout` (with authentication off, both lead to the overview).
async fn sign_in(req: Request<Incoming>, st: &State, login: bool) -> Resp {
    let Some(auth) = &st.auth else {
        return redirect("/");
    };
    let method = req.method().clone();
    if login && (method == Method::GET || method == Method::HEAD) {
        return page(
            st,
            StatusCode::OK,
            pages_msg::login(false, &st.namesrv),
            false,
        );
    }
    if method != Method::POST {
        let mut r = respond(StatusCode::METHOD_NOT_ALLOWED, TEXT, "method not allowed\n");
        let allow = if login { "GET, HEAD, POST" } else { "POST" };
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static(allow));
        return r;
    }
    if !login {
        if let Some(t) = auth::session_token(req.headers()) {
            auth.close(t);
        }
        return with_cookie(redirect("/login"), &auth::clear_cookie());
    }
    let body = match read_body(req).await {
        Ok(b) => b,
        Err((status, text)) => return respond(status, TEXT, text),
    };
    let pairs = std::str::from_utf8(&body).ok().and_then(parse_pairs);
    let given = |p: &Option<Vec<(String, String)>>, k: &str| {
        p.as_deref()
            .and_then(|p| field(p, k))
            .unwrap_or("")
            .to_owned()
    };
    if auth.check(&given(&pairs, "username"), &given(&pairs, "password")) {
        return with_cookie(redirect("/"), &auth::set_cookie(&auth.open()));
    }
    tracing::warn!("console: wrong user name or password");
    tokio::time::sleep(auth::WRONG_PASSWORD_DELAY).await;
    page(
        st,
        StatusCode::UNAUTHORIZED,
        pages_msg::login(true, &st.namesrv),
        false,
    )
}

fn unauthorized(text: &'static str) -> Resp {
    let j = serde_json::json!({ "error": text });
    let mut r = respond(StatusCode::UNAUTHORIZED, JSON, j.to_string());
    r.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"rocklet console\""),
    );
    r
}

async fn answer(req: Request<Incoming>, st: Arc<State>) -> Result<Resp, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let segs: Option<Vec<String>> = path
        .strip_prefix('/')
        .unwrap_or(&path)
        .split('/')
        .map(|s| percent_decode(s, false))
        .collect();
    let Some(segs) = segs else {
        return Ok(respond(
            StatusCode::BAD_REQUEST,
            TEXT,
            "bad path encoding\n",
        ));
    };
    if let [one] = segs.as_slice() {
        if one == "login" || one == "logout" {
            return Ok(sign_in(req, &st, one == "login").await);
        }
    }
    let api_path = segs.first().is_some_and(|s| s == "api");
    if let Some(auth) = &st.auth {
        match auth.identify(req.headers()) {
            Identity::Session | Identity::Basic => {}
            Identity::WrongBasic => {
                tokio::time::sleep(auth::WRONG_PASSWORD_DELAY).await;
                return Ok(unauthorized("wrong user name or password"));
            }
            Identity::None if api_path => return Ok(unauthorized("authentication required")),
            Identity::None => return Ok(redirect("/login")),
        }
    }
    let Some((api, route)) = parse_route(&segs) else {
        return Ok(respond(StatusCode::NOT_FOUND, TEXT, "not found\n"));
    };
    if !route.allows(api, &method) {
        let mut r = respond(StatusCode::METHOD_NOT_ALLOWED, TEXT, "method not allowed\n");
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static(route.allow_header(api)));
        return Ok(r);
    }
    let body = if method == Method::POST {
        match read_body(req).await {
            Ok(b) => b,
            Err((status, text)) => return Ok(respond(status, TEXT, text)),
        }
    } else {
        Bytes::new()
    };
    let Some(q) = parse_pairs(&query) else {
        return Ok(respond(
            StatusCode::BAD_REQUEST,
            TEXT,
            "bad query encoding\n",
        ));
    };
    let post = method == Method::POST;
    let result = handle(&st, api, route, &q, post, &body).await;
    Ok(match result {
        Ok(Reply::Html(h)) => page(&st, StatusCode::OK, h, true),
        Ok(Reply::Json(j)) => respond(StatusCode::OK, JSON, j),
        Ok(Reply::Redirect(to)) => redirect(&to),
        Err(e) => {
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if api {
                let j = serde_json::json!({ "error": e.message(), "code": e.code() });
                respond(status, JSON, j.to_string())
            } else {
                page(
                    &st,
                    status,
                    pages::error(e.status(), &st.namesrv, &e.message()),
                    true,
                )
            }
        }
    })
}

/// The body, at most [`MAX_BODY`] bytes (413 beyond, announced or not).
async fn read_body(req: Request<Incoming>) -> Result<Bytes, (StatusCode, &'static str)> {
    const TOO_LARGE: (StatusCode, &str) =
        (StatusCode::PAYLOAD_TOO_LARGE, "request body over 64 KiB\n");
    let announced = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(TOO_LARGE);
    }
    match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(TOO_LARGE),
        Err(_) => Err((StatusCode::BAD_REQUEST, "bad request body\n")),
    }
}
