//! The backend chain: order, first success, most specific reason, misconfiguration, custom
//! backends, and a fuzz-style check that no input makes the request path panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_core::adapter::Backends;
use auth_core::extend::{Backend, Outcome, RequestParts, SimpleRequest};
use auth_core::jwt::{JwtBackend, JwtConfig, TokenOptions};
use auth_core::{ApiKeys, AuthContext, AuthError, Reason};

const SECRET: &[u8] = b"test-secret-that-is-long-enough-0123456789";

struct Partner;

impl Backend for Partner {
    async fn authenticate(&self, req: &(dyn RequestParts + Sync)) -> Outcome {
        match req.header("x-partner") {
            None => Outcome::NoCredentials,
            Some(b"acme") => Outcome::Authenticated(AuthContext::builder("partner:acme").build()),
            Some(_) => Outcome::Rejected(Reason::Other("unknown partner".into())),
        }
    }
}

struct Down;

impl Backend for Down {
    async fn authenticate(&self, _req: &(dyn RequestParts + Sync)) -> Outcome {
        Outcome::Unavailable("directory unreachable".into())
    }
}

/// An HS256 backend and an access token it issued.
fn jwt_and_token() -> (JwtBackend, String) {
    let jwt = JwtConfig::hs256(SECRET).build(None, None).unwrap();
    let token = jwt
        .issue_for_context(&AuthContext::builder("u1").build(), TokenOptions::access())
        .unwrap()
        .token;
    (jwt, token)
}

fn backends() -> (Backends, String) {
    let (jwt, token) = jwt_and_token();
    let mut b = Backends::new();
    b.add_jwt("jwt", jwt).unwrap();
    b.add_api_keys(
        "api_key",
        ApiKeys::new()
            .key("sk-test-key-1", ["a.b"])
            .build(None)
            .unwrap(),
    )
    .unwrap();
    b.add_custom("partner", Partner).unwrap();
    b.add_custom("down", Down).unwrap();
    (b, token)
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn chain_table() {
    let (b, token) = backends();
    let bearer = format!("Bearer {token}");
    type Row<'a> = (
        &'a str,
        &'a [&'a str],
        Vec<(&'a str, String)>,
        Result<&'a str, AuthError>,
    );
    let rows: Vec<Row<'_>> = vec![
        (
            "jwt alone",
            &["jwt"],
            vec![("Authorization", bearer.clone())],
            Ok("jwt"),
        ),
        (
            "api key alone",
            &["api_key"],
            vec![("X-API-Key", "sk-test-key-1".into())],
            Ok("api_key"),
        ),
        (
            "first success wins",
            &["jwt", "api_key"],
            vec![
                ("Authorization", bearer.clone()),
                ("X-API-Key", "sk-test-key-1".into()),
            ],
            Ok("jwt"),
        ),
        (
            "order is the route's",
            &["api_key", "jwt"],
            vec![
                ("Authorization", bearer.clone()),
                ("X-API-Key", "sk-test-key-1".into()),
            ],
            Ok("api_key"),
        ),
        (
            "bad jwt, good key",
            &["jwt", "api_key"],
            vec![
                ("Authorization", "Bearer x.y.z".into()),
                ("X-API-Key", "sk-test-key-1".into()),
            ],
            Ok("api_key"),
        ),
        (
            "custom backend",
            &["jwt", "partner"],
            vec![("X-Partner", "acme".into())],
            Ok("partner"),
        ),
        (
            "nothing at all",
            &["jwt", "api_key"],
            vec![],
            Err(AuthError::Unauthenticated(Reason::MissingCredentials)),
        ),
        (
            "most specific reason",
            &["jwt", "api_key"],
            vec![("X-API-Key", "wrong-key-123".into())],
            Err(AuthError::Unauthenticated(Reason::InvalidApiKey)),
        ),
        (
            "signature beats malformed",
            &["api_key", "jwt"],
            vec![("Authorization", "Bearer a.b".into())],
            Err(AuthError::Unauthenticated(Reason::Malformed(
                "expected three dot-separated parts",
            ))),
        ),
        (
            "custom reason",
            &["partner"],
            vec![("X-Partner", "evil".into())],
            Err(AuthError::Unauthenticated(Reason::Other(
                "unknown partner".into(),
            ))),
        ),
        (
            "credentials not of the route's backends: named, not taken",
            &["api_key"],
            vec![("Authorization", bearer.clone())],
            Err(AuthError::Unauthenticated(Reason::NotAccepted(
                "this route does not accept jwt credentials; it accepts api_key".into(),
            ))),
        ),
        (
            "store down fails closed",
            &["down", "jwt"],
            vec![],
            Err(AuthError::Unavailable("directory unreachable".into())),
        ),
        (
            "store down, other backend succeeds",
            &["down", "jwt"],
            vec![("Authorization", bearer.clone())],
            Ok("jwt"),
        ),
        (
            "unregistered name",
            &["jwt", "ldap"],
            vec![],
            // The error names the backend and the ones that are registered (for the log).
            Err(AuthError::Misconfigured(
                "the route names the backend \"ldap\", which is not registered in the AuthConfig \
                 (registered: jwt, api_key, partner, down); register it or fix the route's \
                 #[auth(..)]"
                    .into(),
            )),
        ),
    ];
    for (name, order, headers, expected) in rows {
        let mut req = SimpleRequest::new("GET", "/");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let got = block(b.authenticate(order, &req));
        match (got, expected) {
            (Ok(ctx), Ok(backend)) => assert_eq!(ctx.backend(), backend, "case: {name}"),
            (Err(e), Err(want)) => {
                assert_eq!(format!("{e:?}"), format!("{want:?}"), "case: {name}")
            }
            (got, want) => panic!("case {name}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn duplicate_backend_names_are_refused() {
    let mut b = Backends::new();
    b.add_custom("x", Partner).unwrap();
    assert!(b.add_custom("x", Partner).is_err());
}

/// A small deterministic PRNG (xorshift), so that failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, alphabet: &[u8], max: usize) -> Vec<u8> {
        let n = (self.next() % max as u64) as usize;
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn random_inputs_never_panic_and_never_authenticate() {
    let (b, token) = backends();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    let all: Vec<u8> = (0u8..=255).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for i in 0..20_000 {
        let value: Vec<u8> = match i % 4 {
            0 => rng.bytes(b64, 400),
            1 => rng.bytes(&all, 200),
            2 => {
                // Mutate one byte of a valid token.
                let mut t = token.clone().into_bytes();
                let pos = (rng.next() % t.len() as u64) as usize;
                t[pos] = b64[(rng.next() % b64.len() as u64) as usize];
                t
            }
            _ => {
                // Valid-looking structure with random JSON-ish parts.
                let parts: Vec<String> = (0..3)
                    .map(|_| base64_url(&rng.bytes(b"{}[]\":,0123456789abcdefalgnoeHS256 ", 80)))
                    .collect();
                parts.join(".").into_bytes()
            }
        };
        let mut auth = b"Bearer ".to_vec();
        auth.extend_from_slice(&value);
        let req = SimpleRequest::new("GET", "/")
            .header("Authorization", &auth)
            .header("X-API-Key", &value)
            .header("Cookie", &value);
        let got = rt.block_on(b.authenticate(&["jwt", "api_key"], &req));
        if let Ok(ctx) = got {
            assert_eq!(
                value,
                token.as_bytes(),
                "only the untouched token may authenticate ({ctx:?})"
            );
        }
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn contexts_carry_the_name_their_backend_is_registered_under() {
    let (jwt, token) = jwt_and_token();
    let mut b = Backends::new();
    b.add_jwt("staff_jwt", jwt).unwrap();
    let keys = ApiKeys::new().key("sk-test-key-1", ["a.b"]);
    b.add_api_keys("partner_keys", keys.build(None).unwrap())
        .unwrap();
    let bearer = SimpleRequest::new("GET", "/").header("Authorization", format!("Bearer {token}"));
    let keyed = SimpleRequest::new("GET", "/").header("X-API-Key", "sk-test-key-1");
    let order = ["staff_jwt", "partner_keys"];
    for _ in 0..2 {
        let ctx = block(b.authenticate(&order, &bearer)).unwrap();
        assert_eq!(ctx.backend(), "staff_jwt");
        let ctx = block(b.authenticate(&order, &keyed)).unwrap();
        assert_eq!(ctx.backend(), "partner_keys");
    }
}
