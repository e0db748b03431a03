//! Session records as a session middleware hands them back (actix-session keeps the login as a
//! JSON string under one key; with the cookie store, inside the cookie), through the session
//! backend.
//!
//! Input: the record's JSON, whose `login_ms` and `seen_ms` are read as ages (milliseconds
//! before now), so that the fuzzer explores the timeouts whatever the date. Properties: never a
//! panic; a record is accepted exactly when the reference rules accept it: it parses, its user
//! exists and is active, its auth hash is that user's, it is younger than the absolute timeout
//! and was used within the idle timeout, and its session id was not logged out; an accepted
//! record yields its own user id.

#![no_main]

use std::borrow::Cow;
use std::sync::OnceLock;

use auth_core::adapter::{auth_hash, SessionRecord, SessionView};
use auth_core::extend::{HeaderOnce, Outcome, RequestParts};
use auth_core::session::{SessionUsers, Sessions};
use auth_core::{AuthConfig, AuthUser, UserLoadError};
use libfuzzer_sys::fuzz_target;

const IDLE_MS: u64 = 30 * 60 * 1000;
const ABSOLUTE_MS: u64 = 8 * 60 * 60 * 1000;
/// A session id logged out before the run.
const LOGGED_OUT: &str = "logged-out-session-id";

#[derive(Clone)]
struct User {
    id: &'static str,
    hash: &'static str,
    active: bool,
}

impl AuthUser for User {
    fn auth_id(&self) -> Cow<'_, str> {
        self.id.into()
    }
    fn is_active(&self) -> bool {
        self.active
    }
    fn auth_password_hash(&self) -> Option<Cow<'_, str>> {
        Some(self.hash.into())
    }
}

const USERS: [User; 2] = [
    User {
        id: "1",
        hash: "$argon2id$v=19$m=19456,t=2,p=1$alice",
        active: true,
    },
    User {
        id: "2",
        hash: "$argon2id$v=19$m=19456,t=2,p=1$bob",
        active: false,
    },
];

struct Users;

impl SessionUsers for Users {
    type User = User;
    async fn load(&self, user_id: &str) -> Result<Option<User>, UserLoadError> {
        Ok(USERS.iter().find(|u| u.id == user_id).cloned())
    }
}

struct Request(SessionView);

impl RequestParts for Request {
    fn header(&self, _: &str) -> Option<&[u8]> {
        None
    }
    fn header_once(&self, _: &str) -> HeaderOnce<'_> {
        HeaderOnce::Absent
    }
    fn method(&self) -> &str {
        "GET"
    }
    fn path(&self) -> &str {
        "/"
    }
    fn session(&self) -> Option<&SessionView> {
        Some(&self.0)
    }
}

fn setup() -> &'static (AuthConfig, tokio::runtime::Runtime) {
    static S: OnceLock<(AuthConfig, tokio::runtime::Runtime)> = OnceLock::new();
    S.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let cfg = AuthConfig::builder()
            .sessions(Sessions::new(Users))
            .build()
            .expect("builds");
        let (_, backend) = cfg.backends().sessions().expect("a session backend");
        let record = SessionRecord {
            sid: LOGGED_OUT.into(),
            uid: "1".into(),
            hash: String::new(),
            login_ms: now_ms(),
            seen_ms: now_ms(),
        };
        rt.block_on(backend.end(&record)).expect("logged out");
        (cfg, rt)
    })
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fuzz_target!(|data: &[u8]| {
    let (cfg, rt) = setup();
    let Ok(mut record) = serde_json::from_slice::<SessionRecord>(data) else {
        return;
    };
    let now = now_ms();
    let (login_age, seen_age) = (record.login_ms, record.seen_ms);
    record.login_ms = now.saturating_sub(login_age);
    record.seen_ms = now.saturating_sub(seen_age);
    let (_, backend) = cfg.backends().sessions().expect("a session backend");
    let req = Request(SessionView::new(record.clone()));
    let outcome = rt.block_on(backend.authenticate(&req));

    // The reference rules, with a second of slack around the timeouts for the clock's advance.
    let user = USERS.iter().find(|u| u.id == record.uid);
    let fresh = login_age + 1000 < ABSOLUTE_MS && seen_age + 1000 < IDLE_MS;
    let stale = login_age >= ABSOLUTE_MS || seen_age >= IDLE_MS;
    let valid =
        user.is_some_and(|u| u.active && auth_hash(u) == record.hash) && record.sid != LOGGED_OUT;
    match outcome {
        Outcome::Authenticated(ctx) => {
            assert!(
                valid && !stale,
                "accepted a record the rules refuse: {record:?}"
            );
            assert_eq!(ctx.user_id(), record.uid);
        }
        Outcome::Rejected(_) => {
            assert!(!(valid && fresh), "refused a valid record: {record:?}");
            assert!(
                req.0.ended(),
                "a refused session must be purged: {record:?}"
            );
        }
        other => panic!("unexpected outcome {other:?} for {record:?}"),
    }
});
