//! Browser sessions with actix-session's real stores (the cookie store, and Redis on 127.0.0.1):
//! login renews the session id, the cookie authenticates, logout (one or all) makes old copies
//! of the cookie worthless, a password change or a deleted user ends the session, idle and
//! absolute timeouts, the session beside JWT and API keys on one route, and the CSRF rules.
//! Each request carries the cookies the previous answers set, as a browser would.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use actix_session::storage::RedisSessionStore;
use actix_session::SessionMiddleware;
use actix_web::cookie::Key;
use actix_web::test;
use actix_web::App;
use auth_actix::endpoints::AuthEndpoints;
use auth_actix::session::Sessions;

mod session_app;

use session_app::*;

/// The whole life of a session with one store: the id changes at login, the cookie
/// authenticates, logout refuses the old cookie.
macro_rules! life_of_a_session {
    ($store:expr) => {{
        let users = Users::new();
        let cfg = config(&users, Sessions::new(users.clone()));
        let app = app!(cfg, users, $store);
        let mut browser = Browser::default();

        assert_eq!(
            browser
                .send(&app, test::TestRequest::post().uri("/cart"))
                .await
                .0,
            204
        );
        let before = browser
            .session()
            .expect("a session before login")
            .to_owned();
        let (code, body) = browser.send(&app, login("alice")).await;
        assert_eq!(code, 200, "{body}");
        assert!(body.contains(r#""backend":"session""#), "{body}");
        let after = browser.session().expect("a session after login").to_owned();
        assert_ne!(before, after, "the session id is renewed at login");
        let session_cookie = browser
            .set_cookie
            .iter()
            .find(|c| c.starts_with("session="))
            .unwrap();
        assert!(session_cookie.contains("HttpOnly"), "{session_cookie}");
        assert!(session_cookie.contains("SameSite=Lax"), "{session_cookie}");
        let csrf_cookie = browser
            .set_cookie
            .iter()
            .find(|c| c.starts_with("csrf_token="))
            .unwrap();
        assert!(!csrf_cookie.contains("HttpOnly"), "{csrf_cookie}");
        assert!(csrf_cookie.contains("Secure"), "{csrf_cookie}");

        // The planted pre-login session is worth nothing: it holds no login.
        let mut planted = Browser::default();
        planted.cookies.insert("session".into(), before);
        assert_eq!(planted.send(&app, get_me()).await.0, 401);

        assert_eq!(
            browser.send(&app, get_me()).await,
            (200, "1 via session".into())
        );
        assert_eq!(
            browser.send(&app, post_article()).await,
            (201, "session".into())
        );

        let kept = browser.clone();
        assert_eq!(browser.send(&app, logout()).await.0, 204);
        assert_eq!(browser.session(), None, "logout clears the cookie");
        let mut replay = kept;
        let (code, body) = replay.send(&app, get_me()).await;
        assert_eq!(code, 401, "the old cookie is refused after logout: {body}");
        assert!(
            body.contains("logged out") || body.contains("no credentials"),
            "{body}"
        );
    }};
}

#[actix_rt::test]
async fn a_session_in_the_cookie_store() {
    life_of_a_session!(actix_session::storage::CookieSessionStore::default());
}

#[actix_rt::test]
async fn a_session_in_redis() {
    let url = tests::redis_url();
    tests::require_service("Redis", &url).await;
    let store = RedisSessionStore::new(url).await.unwrap();
    life_of_a_session!(store);
}

#[actix_rt::test]
async fn the_cookie_store_refuses_a_replayed_cookie_after_logout_by_its_session_id() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );
    let mut browser = Browser::default();
    assert_eq!(browser.send(&app, login("alice")).await.0, 200);
    let kept = browser.clone();
    assert_eq!(browser.send(&app, logout()).await.0, 204);
    // The cookie store keeps the login in the cookie itself: only the revoked id refuses it.
    let (code, body) = kept.clone().send(&app, get_me()).await;
    assert_eq!(
        (code, body.contains("the session was logged out")),
        (401, true),
        "{body}"
    );
}

#[actix_rt::test]
async fn logout_all_ends_every_session_and_token_of_the_user() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );
    let (mut laptop, mut phone, mut other) =
        (Browser::default(), Browser::default(), Browser::default());
    for b in [&mut laptop, &mut phone] {
        assert_eq!(b.send(&app, login("alice")).await.0, 200);
    }
    assert_eq!(other.send(&app, login("bob")).await.0, 200);
    let token =
        auth_actix::test::token_for_context(&cfg, &auth_actix::AuthContext::builder("1").build())
            .unwrap();
    std::thread::sleep(Duration::from_millis(2));

    let req = test::TestRequest::post().uri("/auth/session/logout-all");
    assert_eq!(laptop.send(&app, req).await.0, 204);
    assert_eq!(
        phone.send(&app, get_me()).await.0,
        401,
        "the other session ended"
    );
    let bearer = test::TestRequest::get()
        .uri("/me")
        .insert_header(("authorization", format!("Bearer {token}")));
    assert_eq!(
        tests::status(&app, bearer).await.0,
        401,
        "alice's token ended too"
    );
    assert_eq!(
        other.send(&app, get_me()).await,
        (200, "2 via session".into())
    );

    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(phone.send(&app, login("alice")).await.0, 200);
    assert_eq!(phone.send(&app, get_me()).await.0, 200, "a new login works");
}

#[actix_rt::test]
async fn a_new_password_or_a_deleted_user_ends_the_session_and_purges_it() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );
    let mut browser = Browser::default();
    assert_eq!(browser.send(&app, login("alice")).await.0, 200);
    users.set_password("alice", "a-new-password");
    let (code, body) = browser.send(&app, get_me()).await;
    assert_eq!(code, 401);
    assert!(body.contains("the password changed"), "{body}");
    assert_eq!(browser.session(), None, "the ended session is purged");

    let mut bob = Browser::default();
    assert_eq!(bob.send(&app, login("bob")).await.0, 200);
    users.0.lock().unwrap().retain(|u| u.name != "bob");
    let (code, body) = bob.send(&app, get_me()).await;
    assert_eq!(code, 401);
    assert!(body.contains("no longer exists"), "{body}");
    assert_eq!(bob.session(), None);
}

#[actix_rt::test]
async fn idle_and_absolute_timeouts() {
    let users = Users::new();
    let sessions = Sessions::new(users.clone())
        .idle_timeout(Duration::from_secs(3))
        .absolute_timeout(Duration::from_secs(6));
    let cfg = config(&users, sessions);
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );

    let mut idle = Browser::default();
    assert_eq!(idle.send(&app, login("alice")).await.0, 200);
    let mut busy = Browser::default();
    assert_eq!(busy.send(&app, login("bob")).await.0, 200);
    // bob uses his session every 1.1 s; alice does not.
    for _ in 0..4 {
        actix_rt::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(
            busy.send(&app, get_me()).await.0,
            200,
            "a session in use stays"
        );
    }
    let (code, body) = idle.send(&app, get_me()).await;
    assert_eq!(code, 401);
    assert!(body.contains("inactivity"), "{body}");
    // Past 6 s after login, however busy.
    actix_rt::time::sleep(Duration::from_millis(2000)).await;
    let (code, body) = busy.send(&app, get_me()).await;
    assert_eq!(code, 401);
    assert!(body.contains("the session expired: log in again"), "{body}");
}

#[actix_rt::test]
async fn the_session_jwt_and_api_keys_share_a_route() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );
    let mut browser = Browser::default();
    assert_eq!(browser.send(&app, login("alice")).await.0, 200);
    assert_eq!(browser.send(&app, get_me()).await.1, "1 via session");

    let token =
        auth_actix::test::token_for_context(&cfg, &auth_actix::AuthContext::builder("9").build())
            .unwrap();
    // The route names jwt first: a bearer token in the same request wins.
    let req = get_me().insert_header(("authorization", format!("Bearer {token}")));
    assert_eq!(browser.send(&app, req).await.1, "9 via jwt");
    // Header credentials are not held to the CSRF rules: no Origin, no token.
    let req = post_article().insert_header(("x-api-key", KEY));
    assert_eq!(tests::status(&app, req).await.0, 201);
    let req = test::TestRequest::post()
        .uri("/articles")
        .insert_header(("authorization", format!("Bearer {token}")));
    assert_eq!(
        tests::status(&app, req).await.0,
        403,
        "the token lacks articles.write"
    );
}

#[actix_rt::test]
async fn csrf_rules_for_the_session_cookie() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );
    let mut browser = Browser::default();
    assert_eq!(browser.send(&app, login("alice")).await.0, 200);
    let token = browser.cookies.get("csrf_token").cloned().unwrap();

    let cases = [
        (
            "cross-origin",
            Some("https://evil.example"),
            Some(token.as_str()),
            403,
        ),
        ("no origin", None, Some(token.as_str()), 403),
        ("no token", Some(ORIGIN), None, 403),
        ("wrong token", Some(ORIGIN), Some("not-the-token"), 403),
        (
            "same origin with the token",
            Some(ORIGIN),
            Some(token.as_str()),
            201,
        ),
    ];
    for (what, origin, sent, want) in cases {
        let mut req = post_article();
        if let Some(o) = origin {
            req = req.insert_header(("origin", o));
        }
        if let Some(t) = sent {
            req = req.insert_header(("x-csrf-token", t));
        }
        let (code, body) = browser.send_raw(&app, req).await;
        assert_eq!(code, want, "{what}: {body}");
        if want == 403 {
            assert!(body.contains("CSRF"), "{what}: {body}");
        }
    }
    // A GET is not held to them.
    assert_eq!(browser.send_raw(&app, get_me()).await.0, 200);
    // The session endpoints are: a cross-site page can neither log out nor log in.
    let req = logout().insert_header(("origin", "https://evil.example"));
    assert_eq!(browser.send_raw(&app, req).await.0, 403);
    assert_eq!(browser.send(&app, get_me()).await.0, 200, "still logged in");
    let req = login("bob").insert_header(("origin", "https://evil.example"));
    assert_eq!(Browser::default().send_raw(&app, req).await.0, 403);
}

#[actix_rt::test]
async fn session_login_takes_a_form_and_refuses_bad_passwords() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(
        cfg,
        users,
        actix_session::storage::CookieSessionStore::default()
    );
    let mut browser = Browser::default();
    let bad = test::TestRequest::post()
        .uri("/auth/session")
        .set_form([("username", "alice"), ("password", "wrong")]);
    let (code, body) = browser.send(&app, bad).await;
    assert_eq!(code, 401, "{body}");
    assert_eq!(browser.session(), None, "no session for a failed login");
    let good = test::TestRequest::post()
        .uri("/auth/session")
        .set_form([("username", "alice"), ("password", "alice-password")]);
    assert_eq!(browser.send(&app, good).await.0, 200);
    assert_eq!(browser.send(&app, get_me()).await.0, 200);
}

#[actix_rt::test]
async fn session_logins_are_throttled() {
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = test::init_service(
        App::new()
            .wrap(
                SessionMiddleware::builder(
                    actix_session::storage::CookieSessionStore::default(),
                    Key::from(&[7u8; 64]),
                )
                .build(),
            )
            .app_data(cfg.clone())
            .service(AuthEndpoints::new(users.clone()).scope("/auth")),
    )
    .await;
    let wrong = || {
        test::TestRequest::post()
            .uri("/auth/session")
            .peer_addr("192.0.2.7:4000".parse().unwrap())
            .insert_header(("origin", ORIGIN))
            .set_json(serde_json::json!({"username": "alice", "password": "wrong"}))
    };
    for _ in 0..5 {
        assert_eq!(tests::status(&app, wrong()).await.0, 401);
    }
    let res = test::call_service(&app, wrong().to_request()).await;
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let right = login("alice")
        .peer_addr("192.0.2.7:4000".parse().unwrap())
        .insert_header(("origin", ORIGIN));
    assert_eq!(
        tests::status(&app, right).await.0,
        429,
        "blocked, right password or not"
    );
}
