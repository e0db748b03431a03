use std::sync::Mutex;

use super::*;
use crate::revocation::InMemoryRevocation;

#[derive(Clone)]
struct User {
    id: &'static str,
    hash: String,
    active: bool,
}

impl AuthUser for User {
    fn auth_id(&self) -> Cow<'_, str> {
        self.id.into()
    }
    fn auth_roles(&self) -> Vec<Cow<'_, str>> {
        vec!["editor".into()]
    }
    fn is_active(&self) -> bool {
        self.active
    }
    fn auth_password_hash(&self) -> Option<Cow<'_, str>> {
        Some(self.hash.as_str().into())
    }
}

#[derive(Clone)]
struct Users(Arc<Mutex<Vec<User>>>);

impl SessionUsers for Users {
    type User = User;
    async fn load(&self, user_id: &str) -> Result<Option<User>, UserLoadError> {
        let users = self.0.lock().map_err(|_| UserLoadError::new("poisoned"))?;
        Ok(users.iter().find(|u| u.id == user_id).cloned())
    }
}

struct WithSession(SessionView);

impl RequestParts for WithSession {
    fn header(&self, _: &str) -> Option<&[u8]> {
        None
    }
    fn header_once(&self, _: &str) -> crate::request::HeaderOnce<'_> {
        crate::request::HeaderOnce::Absent
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

fn setup() -> (SessionBackend, Users, User) {
    let alice = User {
        id: "alice",
        hash: "$argon2id$first".into(),
        active: true,
    };
    let users = Users(Arc::new(Mutex::new(vec![alice.clone()])));
    let roles = RoleMap::new().grant("editor", ["articles.*"]);
    let backend = Sessions::new(users.clone())
        .build(&roles, Arc::new(InMemoryRevocation::new()))
        .unwrap();
    (backend, users, alice)
}

fn run(backend: &SessionBackend, record: SessionRecord) -> (Outcome, bool) {
    let req = WithSession(SessionView::new(record));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let outcome = rt.block_on(backend.authenticate(&req));
    (outcome, req.0.ended())
}

fn refusal(outcome: Outcome) -> String {
    match outcome {
        Outcome::Rejected(r) => r.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_fresh_session_authenticates_with_the_users_roles() {
    let (backend, _, alice) = setup();
    let record = backend.start(&alice).unwrap();
    let (outcome, ended) = run(&backend, record);
    let Outcome::Authenticated(ctx) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(ctx.user_id(), "alice");
    assert!(ctx.has_permission("articles.write"));
    assert!(!ended);
}

#[test]
fn no_record_is_no_credentials() {
    let (backend, ..) = setup();
    let req = crate::request::SimpleRequest::new("GET", "/");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert!(matches!(
        rt.block_on(backend.authenticate(&req)),
        Outcome::NoCredentials
    ));
}

#[test]
fn timeouts_end_the_session() {
    let (backend, _, alice) = setup();
    let fresh = backend.start(&alice).unwrap();
    let idle = SessionRecord {
        seen_ms: fresh.seen_ms - DEFAULT_IDLE_TIMEOUT.as_millis() as u64,
        ..fresh.clone()
    };
    let (outcome, ended) = run(&backend, idle);
    assert!(refusal(outcome).contains("inactivity"));
    assert!(ended);
    let old = SessionRecord {
        login_ms: fresh.login_ms - DEFAULT_ABSOLUTE_TIMEOUT.as_millis() as u64,
        ..fresh
    };
    let (outcome, ended) = run(&backend, old);
    assert_eq!(refusal(outcome), "the session expired: log in again");
    assert!(ended);
}

#[test]
fn logout_user_removal_and_a_new_password_end_the_session() {
    let (backend, users, alice) = setup();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();

    let record = backend.start(&alice).unwrap();
    rt.block_on(backend.end(&record)).unwrap();
    assert_eq!(
        refusal(run(&backend, record).0),
        "the session was logged out"
    );

    let record = backend.start(&alice).unwrap();
    users.0.lock().unwrap()[0].hash = "$argon2id$second".into();
    let (outcome, ended) = run(&backend, record);
    assert_eq!(refusal(outcome), "the session ended: the password changed");
    assert!(ended);

    let record = backend.start(&users.0.lock().unwrap()[0]).unwrap();
    users.0.lock().unwrap().clear();
    assert_eq!(
        refusal(run(&backend, record).0),
        "the session's user no longer exists"
    );
}

#[test]
fn logout_everywhere_ends_sessions_started_before() {
    let (backend, _, alice) = setup();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let first = backend.start(&alice).unwrap();
    let second = backend.start(&alice).unwrap();
    rt.block_on(backend.end_all("alice")).unwrap();
    assert_eq!(
        refusal(run(&backend, first).0),
        "the session was logged out"
    );
    assert_eq!(
        refusal(run(&backend, second).0),
        "the session was logged out"
    );
    std::thread::sleep(std::time::Duration::from_millis(5));
    let later = backend.start(&alice).unwrap();
    assert!(matches!(run(&backend, later).0, Outcome::Authenticated(_)));
}

#[test]
fn the_auth_hash_hides_the_password_hash() {
    let (_, _, alice) = setup();
    let h = auth_hash(&alice);
    assert_eq!(h.len(), 64);
    assert!(!h.contains("argon2"));
}
