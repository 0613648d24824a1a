//! The console's optional sign-in: one user name and password given at start. A successful
//! `POST /login` opens a session named by a random token (32 bytes from the OS RNG) carried in
//! an `HttpOnly; SameSite=Strict` cookie; a session ends after 30 minutes without a request, on
//! `POST /logout`, or when more than [`MAX_SESSIONS`] are open (the least recently used goes).
//! API calls may instead carry HTTP Basic credentials. Passwords are compared in constant time
//! and a wrong one is answered after a second.

use base64::Engine as _;
use hyper::header::{HeaderMap, AUTHORIZATION, COOKIE};
use parking_lot::Mutex;
use rand::RngCore as _;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "rocklet_console_session";
/// A session unused this long is over.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// Sessions open at once.
pub const MAX_SESSIONS: usize = 256;
/// How long a wrong password waits for its answer.
pub const WRONG_PASSWORD_DELAY: Duration = Duration::from_secs(1);

/// The user and password the console asks for.
#[derive(Clone)]
pub struct Login {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The login and the open sessions (token -> last use).
pub struct Auth {
    login: Login,
    sessions: Mutex<HashMap<String, Instant>>,
}

/// Equal contents, in time that depends only on the lengths.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

impl Auth {
    pub fn new(login: Login) -> Self {
        Auth {
            login,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    pub fn user(&self) -> &str {
        &self.login.user
    }

    /// Both compared in full, whatever the first gives.
    pub fn check(&self, user: &str, password: &str) -> bool {
        let u = ct_eq(user.as_bytes(), self.login.user.as_bytes());
        let p = ct_eq(password.as_bytes(), self.login.password.as_bytes());
        u & p
    }

    /// Opens a session; returns its token.
    pub fn open(&self) -> String {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let now = Instant::now();
        let mut s = self.sessions.lock();
        s.retain(|_, last| now.duration_since(*last) < IDLE);
        while s.len() >= MAX_SESSIONS {
            let Some(oldest) = s.iter().min_by_key(|(_, t)| **t).map(|(k, _)| k.clone()) else {
                break;
            };
            s.remove(&oldest);
        }
        s.insert(token.clone(), now);
        token
    }

    /// The session is open (and now counts as used).
    fn touch(&self, token: &str) -> bool {
        let now = Instant::now();
        let mut s = self.sessions.lock();
        match s.get_mut(token) {
            Some(last) if now.duration_since(*last) < IDLE => {
                *last = now;
                true
            }
            Some(_) => {
                s.remove(token);
                false
            }
            None => false,
        }
    }

    pub fn close(&self, token: &str) {
        self.sessions.lock().remove(token);
    }

    /// What the request carries.
    pub fn identify(&self, headers: &HeaderMap) -> Identity {
        if session_token(headers).is_some_and(|t| self.touch(t)) {
            return Identity::Session;
        }
        match basic(headers) {
            Some((u, p)) if self.check(&u, &p) => Identity::Basic,
            Some(_) => Identity::WrongBasic,
            None => Identity::None,
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// An open session's cookie.
    Session,
    /// Right HTTP Basic credentials.
    Basic,
    /// HTTP Basic credentials that are wrong.
    WrongBasic,
    /// Neither.
    None,
}

/// The session cookie's value, if the request has one.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v)
}

/// `Authorization: Basic` user and password.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

/// The `Set-Cookie` value opening a session.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value ending it.
pub fn clear_cookie() -> String {
    format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn auth() -> Auth {
        Auth::new(Login {
            user: "admin".into(),
            password: "s3cret".into(),
        })
    }

    #[test]
    fn passwords() {
        let a = auth();
        assert!(a.check("admin", "s3cret"));
        assert!(!a.check("admin", "s3cre"));
        assert!(!a.check("admin", "s3cret!"));
        assert!(!a.check("root", "s3cret"));
        assert!(!a.check("", ""));
        assert!(ct_eq(b"", b""));
        assert!(!format!("{:?}", a.login).contains("s3cret"));
    }

    #[test]
    fn sessions_and_headers() {
        let a = auth();
        let t = a.open();
        assert_eq!(t.len(), 64);
        assert_ne!(t, a.open());
        let mut h = HeaderMap::new();
        assert_eq!(a.identify(&h), Identity::None);
        h.insert(
            COOKIE,
            HeaderValue::from_str(&format!("x=1; {COOKIE_NAME}={t}")).unwrap(),
        );
        assert_eq!(a.identify(&h), Identity::Session);
        a.close(&t);
        assert_eq!(a.identify(&h), Identity::None);
        let mut h = HeaderMap::new();
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Basic YWRtaW46czNjcmV0"),
        );
        assert_eq!(a.identify(&h), Identity::Basic);
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Basic YWRtaW46eA=="),
        );
        assert_eq!(a.identify(&h), Identity::WrongBasic);
        h.insert(AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(a.identify(&h), Identity::None);
    }

    #[test]
    fn sessions_are_bounded_and_expire() {
        let a = auth();
        let first = a.open();
        for _ in 0..MAX_SESSIONS {
            a.open();
        }
        assert_eq!(a.sessions.lock().len(), MAX_SESSIONS);
        assert!(!a.touch(&first), "the least recently used went first");
        let t = a.open();
        if let Some(last) = Instant::now().checked_sub(IDLE) {
            a.sessions.lock().insert(t.clone(), last);
            assert!(!a.touch(&t), "idle for 30 minutes");
        }
    }
}
