//! An outage of the session store (a Redis server of the test's own, stopped mid-test): requests
//! that need the session answer 503 at once, without naming the store, and logins work again
//! once it is back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use actix_session::storage::RedisSessionStore;
use actix_web::test;
use auth_actix::session::Sessions;

mod session_app;

use session_app::*;
use tests::OwnRedis;

/// An answer as the server sends it: an error that leaves the middleware is rendered the way
/// actix-web renders it on the wire.
async fn answer<S, B>(
    app: &S,
    req: test::TestRequest,
    cookies: &str,
) -> (u16, Option<String>, String)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody + 'static,
{
    let req = req.insert_header(("cookie", cookies)).to_request();
    let call = test::try_call_service(app, req);
    // The store's deadline is 500 ms: anything much longer is a hang.
    let res = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("an answer within 10 s while the store is down");
    let res = match res {
        Ok(res) => res.map_into_boxed_body().into_parts().1,
        Err(e) => e.error_response(),
    };
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = actix_web::body::to_bytes(res.into_body())
        .await
        .unwrap_or_default();
    (status, retry, String::from_utf8_lossy(&body).into_owned())
}

#[actix_rt::test]
async fn a_session_store_outage_answers_503_at_once_then_logins_work_again() {
    let mut redis = OwnRedis::start(tests::free_port()).await;
    let port = redis.port;
    let store = RedisSessionStore::new(format!("redis://127.0.0.1:{port}"))
        .await
        .unwrap();
    let store = auth_actix::SessionStoreDeadline::new(store, Duration::from_millis(500));
    let users = Users::new();
    let cfg = config(&users, Sessions::new(users.clone()));
    let app = app!(cfg, users, store);
    let mut browser = Browser::default();
    assert_eq!(browser.send(&app, login("alice")).await.0, 200);
    let cookies = browser.cookie_header();
    assert_eq!(answer(&app, get_me(), &cookies).await.0, 200);

    redis.stop();
    let started = std::time::Instant::now();
    let (status, retry, body) = answer(&app, get_me(), &cookies).await;
    assert_eq!(status, 503, "the session store is down: {body}");
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(body.contains(r#""error":"service_unavailable""#), "{body}");
    assert!(
        !body.contains("redis") && !body.contains(&port.to_string()),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "503 after {:?}: the deadline bounds the wait",
        started.elapsed()
    );
    // A login cannot be stored either: 503, not a session that silently does not exist.
    let (status, _, body) = answer(&app, login("bob").insert_header(("origin", ORIGIN)), "").await;
    assert_eq!(status, 503, "{body}");

    // Redis back, without the data it held (no persistence): the client reconnects on its own,
    // and a new login works (the old session died with the data).
    let _redis = OwnRedis::start(redis.port).await;
    let mut last = (0, None, String::new());
    for _ in 0..100 {
        last = answer(&app, get_me(), &cookies).await;
        if last.0 != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(last.0, 401, "the lost session after the outage: {}", last.2);
    let mut again = Browser::default();
    assert_eq!(again.send(&app, login("alice")).await.0, 200);
    assert_eq!(
        again.send(&app, get_me()).await,
        (200, "1 via session".into())
    );
}
