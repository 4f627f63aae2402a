//! Who may see the page and change what it shows: the token (`http.token_file`) as a bearer
//! header or a session cookie set by the login form, and the CSRF token every state-changing
//! form carries. Both cookies and CSRF tokens are keyed by a secret drawn at start, so a
//! restart signs everyone out.

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};

/// The session cookie's name.
pub(super) const SESSION_COOKIE: &str = "flashpoint_session";

/// Shortest token accepted: a short one could be guessed over the network.
const MIN_TOKEN_CHARS: usize = 16;

/// The page's token, read from `http.token_file`; never printed.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(redacted)")
    }
}

/// Why a token file's content is not a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is shorter than {MIN_TOKEN_CHARS} characters")]
    Short,
    #[error("the token holds spaces or control characters")]
    Whitespace,
}

impl Token {
    /// The token in `text`, its surrounding whitespace (a final newline) taken off.
    ///
    /// # Errors
    /// [`TokenError`] for a short token or one with inner whitespace.
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        let text = text.trim();
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TokenError::Whitespace);
        }
        if text.chars().count() < MIN_TOKEN_CHARS {
            return Err(TokenError::Short);
        }
        Ok(Self(text.to_string()))
    }

    /// Whether `given` is the token, in time independent of where they differ.
    fn matches(&self, given: &str) -> bool {
        same(&Sha256::digest(self.0.as_bytes()), &Sha256::digest(given.as_bytes()))
    }
}

/// Compares two byte strings in time that depends only on their length.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The page's access rules.
#[derive(Clone)]
pub(super) struct Access {
    /// `None`: the page listens on loopback only and asks for nothing.
    token: Option<Token>,
    /// Signs session cookies and CSRF tokens; drawn at start.
    key: [u8; 32],
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").field("token", &self.token).finish_non_exhaustive()
    }
}

impl Access {
    pub(super) fn new(token: Option<Token>) -> Self {
        Self { token, key: random_key() }
    }

    /// Whether a token is asked for.
    pub(super) fn guarded(&self) -> bool {
        self.token.is_some()
    }

    fn sign(&self, what: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(what.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// The CSRF token of every form.
    pub(super) fn csrf(&self) -> String {
        self.sign("csrf")
    }

    /// Whether `given` is the CSRF token.
    pub(super) fn csrf_ok(&self, given: &str) -> bool {
        same(self.csrf().as_bytes(), given.as_bytes())
    }

    /// The session cookie's value, once the token was given.
    pub(super) fn session(&self) -> String {
        self.sign("session")
    }

    /// Whether `token` is the page's token.
    pub(super) fn token_ok(&self, token: &str) -> bool {
        self.token.as_ref().is_some_and(|t| t.matches(token))
    }

    /// Whether a request with `headers` may see the page: no token is asked for, or it carries
    /// the token as a bearer header, or the session cookie.
    pub(super) fn admits(&self, headers: &axum::http::HeaderMap) -> bool {
        let Some(token) = &self.token else { return true };
        let bearer = headers
            .get_all(axum::http::header::AUTHORIZATION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.strip_prefix("Bearer "))
            .any(|given| token.matches(given.trim()));
        bearer
            || cookie(headers, SESSION_COOKIE).is_some_and(|v| same(v.as_bytes(), self.session().as_bytes()))
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// 32 bytes from the kernel's random source; when it cannot be read, a hash of the time and
/// the process (still unknown to a remote client, if weaker).
fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom")
        && std::io::Read::read_exact(&mut f, &mut key).is_ok()
    {
        return key;
    }
    let seed = format!("{:?}{}{}", std::time::SystemTime::now(), std::process::id(), fastrand::u64(..));
    Sha256::digest(seed.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn tokens_parse_or_say_why() {
        let cases = [
            ("0123456789abcdef\n", Ok(())),
            ("short", Err(TokenError::Short)),
            ("0123456789 abcdef", Err(TokenError::Whitespace)),
        ];
        for (text, want) in cases {
            assert_eq!(Token::parse(text).map(|_| ()), want, "{text:?}");
        }
        assert_eq!(format!("{:?}", Token::parse("0123456789abcdef").expect("ok")), "Token(redacted)");
    }

    #[test]
    fn who_is_admitted() {
        let open = Access::new(None);
        assert!(open.admits(&HeaderMap::new()), "loopback without a token asks for nothing");
        let guarded = Access::new(Some(Token::parse("0123456789abcdef").expect("token")));
        let session = format!("a=b; {SESSION_COOKIE}={}", guarded.session());
        let cases = [
            ("nothing", headers(&[]), false),
            ("bearer", headers(&[("authorization", "Bearer 0123456789abcdef")]), true),
            ("wrong bearer", headers(&[("authorization", "Bearer 0123456789abcdeX")]), false),
            ("basic", headers(&[("authorization", "Basic 0123456789abcdef")]), false),
            ("session cookie", headers(&[("cookie", &session)]), true),
            ("forged cookie", headers(&[("cookie", &format!("{SESSION_COOKIE}=00"))]), false),
            (
                "the token as cookie",
                headers(&[("cookie", &format!("{SESSION_COOKIE}=0123456789abcdef"))]),
                false,
            ),
        ];
        for (name, h, want) in cases {
            assert_eq!(guarded.admits(&h), want, "{name}");
        }
        assert!(guarded.csrf_ok(&guarded.csrf()));
        assert!(!guarded.csrf_ok(""));
        assert!(!guarded.csrf_ok(&open.csrf()), "another process's key");
    }
}
