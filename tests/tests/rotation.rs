//! Refresh rotation that holds over time (issue #30, items 2, 3 and 6), over the token
//! endpoints: a device refreshing for weeks logs no other device out, a thief refreshing a
//! stolen token any number of times is caught when the victim presents the original (memory,
//! Redis and PostgreSQL stores), a refresh checks the user as it is now, and a login's family
//! ends at its absolute lifetime.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::{get, test, App};
use auth_actix::endpoints::{AuthEndpoints, CredentialsVerifier, TokenResponse};
use auth_actix::password::{hash_password, verify_user_password_async};
use auth_actix::prelude::*;
use auth_actix::session::SessionUsers;
use auth_actix::test::TestRequestExt;
use auth_actix::{RedisRevocation, RevocationStore, SqlRevocation};
use serde_json::{json, Value};
use tests::{database_url, redis_url, require_service, unique, TestApp};

const SECRET: &str = "rotation-test-secret-that-is-long-enough-01";

#[derive(AuthUser, Clone, Debug)]
struct Account {
    id: String,
    username: String,
    password_hash: String,
    roles: Vec<String>,
    is_active: bool,
}

/// The accounts, changeable while the app runs (deactivate, delete, new password).
#[derive(Clone, Default)]
struct Accounts(Arc<Mutex<Vec<Account>>>);

impl Accounts {
    fn with(names: &[&str]) -> Accounts {
        let accounts = Accounts::default();
        for (i, name) in names.iter().enumerate() {
            accounts.0.lock().unwrap().push(Account {
                id: (i + 1).to_string(),
                username: (*name).into(),
                password_hash: hash_password(&format!("{name}-password")).unwrap(),
                roles: vec!["editor".into()],
                is_active: true,
            });
        }
        accounts
    }

    fn change(&self, name: &str, f: impl FnOnce(&mut Account)) {
        let mut all = self.0.lock().unwrap();
        f(all.iter_mut().find(|a| a.username == name).unwrap());
    }

    fn delete(&self, name: &str) {
        self.0.lock().unwrap().retain(|a| a.username != name);
    }
}

impl CredentialsVerifier for Accounts {
    type User = Account;
    async fn verify(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<Account>, UserLoadError> {
        let user = self
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|a| a.username == username)
            .cloned();
        let ok = verify_user_password_async(
            user.as_ref().map(|u| u.password_hash.clone()),
            password.to_owned(),
        )
        .await;
        Ok(user.filter(|_| ok))
    }
}

impl SessionUsers for Accounts {
    type User = Account;
    async fn load(&self, user_id: &str) -> Result<Option<Account>, UserLoadError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|a| a.id == user_id)
            .cloned())
    }
}

#[get("/articles")]
#[guard(has_permission("articles.read"))]
async fn articles(ctx: AuthContext) -> String {
    ctx.user_id().to_owned()
}

fn config(jwt: JwtConfig, store: Arc<dyn RevocationStore>) -> AuthConfig {
    AuthConfig::builder()
        .jwt(jwt)
        .roles(RoleMap::new().grant("editor", ["articles.*"]))
        .revocation_arc(store)
        .build()
        .unwrap()
}

macro_rules! app {
    ($cfg:expr, $accounts:expr) => {
        test::init_service(
            App::new()
                .app_data($cfg)
                .service(
                    AuthEndpoints::new($accounts)
                        .dangerous_no_throttle()
                        .scope("/auth"),
                )
                .service(articles),
        )
        .await
    };
}

/// `(status, body)` of a request.
async fn call<B: MessageBody>(app: &impl TestApp<B>, req: test::TestRequest) -> (u16, Value) {
    let (code, body) = tests::status(app, req).await;
    (code, serde_json::from_str(&body).unwrap_or(Value::Null))
}

async fn login<B: MessageBody>(app: &impl TestApp<B>, who: &str) -> TokenResponse {
    let req = test::TestRequest::post()
        .uri("/auth/token")
        .set_json(json!({"username": who, "password": format!("{who}-password")}));
    let (code, body) = call(app, req).await;
    assert_eq!(code, 200, "login of {who}: {body}");
    serde_json::from_value(body).unwrap()
}

/// Refreshes `token`: the new pair, or the status and body of the refusal.
async fn refresh<B: MessageBody>(
    app: &impl TestApp<B>,
    token: &str,
) -> Result<TokenResponse, (u16, Value)> {
    let req = test::TestRequest::post()
        .uri("/auth/refresh")
        .set_json(json!({"refresh_token": token}));
    match call(app, req).await {
        (200, body) => Ok(serde_json::from_value(body).unwrap()),
        refused => Err(refused),
    }
}

async fn articles_status<B: MessageBody>(app: &impl TestApp<B>, access: &str) -> u16 {
    call(
        app,
        test::TestRequest::get().uri("/articles").bearer(access),
    )
    .await
    .0
}

/// Device A refreshes 1,500 times (every 10 minutes for ten days); device B, signed in
/// meanwhile, stays signed in, and A's logout ends A's family only.
#[actix_rt::test]
async fn a_device_refreshing_for_weeks_logs_no_other_device_out() {
    let store = Arc::new(InMemoryRevocation::new());
    let accounts = Accounts::with(&["alice"]);
    let app = app!(config(JwtConfig::hs256(SECRET), store.clone()), accounts);
    let mut a = login(&app, "alice").await;
    let b = login(&app, "alice").await;
    for i in 0..1_500 {
        a = refresh(&app, &a.refresh_token)
            .await
            .unwrap_or_else(|e| panic!("refresh {i} of device A: {e:?}"));
    }
    assert!(
        store.len() <= 2,
        "{} entries after 1,500 refreshes",
        store.len()
    );
    assert_eq!(
        articles_status(&app, &b.access_token).await,
        200,
        "device B"
    );
    let b2 = refresh(&app, &b.refresh_token)
        .await
        .expect("device B refreshes");
    let logout = test::TestRequest::post()
        .uri("/auth/logout")
        .bearer(&a.access_token)
        .set_json(json!({"refresh_token": a.refresh_token}));
    assert_eq!(call(&app, logout).await.0, 204);
    assert_eq!(
        articles_status(&app, &a.access_token).await,
        401,
        "A logged out"
    );
    assert_eq!(
        articles_status(&app, &b2.access_token).await,
        200,
        "B still signed in"
    );
    assert!(
        refresh(&app, &b2.refresh_token).await.is_ok(),
        "B still refreshes"
    );
}

/// A thief refreshes a stolen refresh token 1,100 times; the victim then presents the original:
/// reuse, the family is revoked, and the thief's newest pair is refused.
async fn thief_is_caught(store: Arc<dyn RevocationStore>) {
    let name = store.name();
    let accounts = Accounts::with(&["alice"]);
    let app = app!(config(JwtConfig::hs256(SECRET), store), accounts);
    let victim = login(&app, "alice").await;
    let mut thief = refresh(&app, &victim.refresh_token).await.unwrap();
    for i in 0..1_099 {
        thief = refresh(&app, &thief.refresh_token)
            .await
            .unwrap_or_else(|e| panic!("{name}: thief's refresh {i}: {e:?}"));
    }
    let (code, body) = refresh(&app, &victim.refresh_token).await.unwrap_err();
    assert_eq!(code, 401, "{name}: {body}");
    assert_eq!(body["detail"], "token revoked", "{name}");
    assert_eq!(
        articles_status(&app, &thief.access_token).await,
        401,
        "{name}: the thief's newest access token"
    );
    assert_eq!(
        refresh(&app, &thief.refresh_token).await.unwrap_err().0,
        401,
        "{name}: the thief's newest refresh token"
    );
}

#[actix_rt::test]
async fn a_thief_is_caught_after_any_number_of_refreshes_memory() {
    thief_is_caught(Arc::new(InMemoryRevocation::new())).await;
}

#[actix_rt::test]
async fn a_thief_is_caught_after_any_number_of_refreshes_redis() {
    require_service("Redis", &redis_url()).await;
    let store = RedisRevocation::new(&redis_url())
        .unwrap()
        .prefix(unique("thief"))
        .start();
    assert!(store.wait_synced(Duration::from_secs(5)).await);
    thief_is_caught(Arc::new(store)).await;
}

#[actix_rt::test]
async fn a_thief_is_caught_after_any_number_of_refreshes_postgres() {
    require_service("PostgreSQL", &database_url()).await;
    thief_is_caught(Arc::new(
        SqlRevocation::connect(&database_url()).await.unwrap(),
    ))
    .await;
}

/// With `JwtConfig::users`, a refresh loads the user: deactivated, deleted, or with a new
/// password since login ends the family (its access tokens too); a role taken away is gone
/// from the next pair.
#[actix_rt::test]
async fn a_refresh_checks_the_user_as_it_is_now() {
    let accounts = Accounts::with(&["alice", "bob", "carol", "dave"]);
    let jwt = JwtConfig::hs256(SECRET).users(accounts.clone());
    let app = app!(
        config(jwt, Arc::new(InMemoryRevocation::new())),
        accounts.clone()
    );

    let alice = login(&app, "alice").await;
    let alice = refresh(&app, &alice.refresh_token)
        .await
        .expect("an active user refreshes");
    accounts.change("alice", |a| a.is_active = false);
    let (code, body) = refresh(&app, &alice.refresh_token).await.unwrap_err();
    assert_eq!(
        (code, body["detail"].as_str()),
        (401, Some("the account is inactive"))
    );
    assert_eq!(
        articles_status(&app, &alice.access_token).await,
        401,
        "the family ended"
    );
    accounts.change("alice", |a| a.is_active = true);
    assert_eq!(
        refresh(&app, &alice.refresh_token).await.unwrap_err().0,
        401,
        "an ended family stays ended"
    );

    let bob = login(&app, "bob").await;
    accounts.delete("bob");
    let (code, body) = refresh(&app, &bob.refresh_token).await.unwrap_err();
    assert_eq!(code, 401);
    assert_eq!(body["detail"], "the user no longer exists: log in again");

    let carol = login(&app, "carol").await;
    accounts.change("carol", |a| {
        a.password_hash = hash_password("a new password").unwrap()
    });
    let (code, body) = refresh(&app, &carol.refresh_token).await.unwrap_err();
    assert_eq!(code, 401);
    assert_eq!(
        body["detail"],
        "the password changed since login: log in again"
    );
    assert_eq!(articles_status(&app, &carol.access_token).await, 401);

    let dave = login(&app, "dave").await;
    assert_eq!(articles_status(&app, &dave.access_token).await, 200);
    accounts.change("dave", |a| a.roles.clear());
    let dave = refresh(&app, &dave.refresh_token)
        .await
        .expect("dave is still active");
    assert_eq!(
        articles_status(&app, &dave.access_token).await,
        403,
        "the new pair carries the roles dave has now"
    );
}

/// A family lives `refresh_absolute_secs` after its login however often it is refreshed; its
/// refresh tokens never expire later than that.
#[actix_rt::test]
async fn a_family_ends_at_its_absolute_lifetime() {
    let accounts = Accounts::with(&["alice"]);
    let jwt = JwtConfig::hs256(SECRET).refresh_absolute_secs(3);
    let app = app!(config(jwt, Arc::new(InMemoryRevocation::new())), accounts);
    let mut pair = login(&app, "alice").await;
    let login_time = tests::now();
    // The claims as a client reads them (the server verified them already).
    let claims =
        |token: &str| -> Value { jsonwebtoken::dangerous::insecure_decode_claims(token).unwrap() };
    assert!(claims(&pair.refresh_token)["exp"].as_u64().unwrap() <= login_time + 3);
    pair = refresh(&app, &pair.refresh_token)
        .await
        .expect("within the lifetime");
    let renewed = claims(&pair.refresh_token);
    assert!(
        renewed["exp"].as_u64().unwrap() <= login_time + 3,
        "{renewed}"
    );
    assert!(renewed["auth_time"].as_u64().unwrap() >= login_time.saturating_sub(1));
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    let (code, _) = refresh(&app, &pair.refresh_token).await.unwrap_err();
    assert_eq!(code, 401, "past the absolute lifetime");
    // Logging in again starts a new family.
    let again = login(&app, "alice").await;
    assert!(refresh(&app, &again.refresh_token).await.is_ok());
}
