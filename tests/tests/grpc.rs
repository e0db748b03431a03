//! auth-tonic over real loopback gRPC: a tonic client against the showcase's service behind
//! `AuthLayer`, served by tonic in the test. Statuses and their messages are what a client sees.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use auth_tonic::{
    guard, ApiKeys, AuthConfig, AuthContext, AuthLayer, BuildError, JwtConfig, Policy,
    RedisRevocation, RequestParts, RoleMap, TokenOptions,
};
use examples::grpc::proto::showcase_client::ShowcaseClient;
use examples::grpc::proto::{Article, Empty};
use examples::grpc::{path, ShowcaseService, FILE_DESCRIPTOR_SET};
use tonic::metadata::{AsciiMetadataValue, MetadataKey};
use tonic::transport::server::TcpIncoming;
use tonic::transport::Channel;
use tonic::{Code, Request};

const SECRET: &str = "grpc-test-secret-that-is-long-enough-01234";
const READER_KEY: &str = "sk-grpc-reader-0001";

fn builder() -> auth_tonic::AuthConfigBuilder {
    AuthConfig::builder()
        .jwt(JwtConfig::hs256(SECRET))
        .api_keys(ApiKeys::new().key(READER_KEY, ["articles.read"]))
        .roles(
            RoleMap::new()
                .grant("editor", ["articles.*"])
                .grant("viewer", ["articles.read"]),
        )
}

fn config() -> AuthConfig {
    builder().build().unwrap()
}

/// alice: staff editor; bob: viewer; root: superuser.
fn who(name: &str) -> AuthContext {
    match name {
        "alice" => AuthContext::builder("1")
            .roles(["editor"])
            .staff(true)
            .build(),
        "bob" => AuthContext::builder("2").roles(["viewer"]).build(),
        "root" => AuthContext::builder("0").superuser(true).build(),
        other => panic!("no user {other}"),
    }
}

fn token(cfg: &AuthConfig, name: &str) -> String {
    let jwt = cfg.jwt().unwrap();
    jwt.issue_for_context(&who(name), TokenOptions::access())
        .unwrap()
        .token
}

fn bearer(t: &str) -> Vec<(&'static str, Vec<u8>)> {
    vec![("authorization", format!("Bearer {t}").into_bytes())]
}

async fn serve(layer: AuthLayer) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .layer(layer)
            .add_service(ShowcaseService::server())
            .serve_with_incoming(TcpIncoming::from(listener)),
    );
    addr
}

async fn client(addr: SocketAddr) -> ShowcaseClient<Channel> {
    for _ in 0..50 {
        if let Ok(c) = ShowcaseClient::connect(format!("http://{addr}")).await {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the gRPC server on {addr} did not come up");
}

/// Calls `method` with raw metadata (bytes, so that non-ASCII values can be sent); the reply's
/// text, or the status code and message.
async fn call(
    addr: SocketAddr,
    method: &str,
    metadata: &[(&'static str, Vec<u8>)],
) -> Result<String, (Code, String)> {
    let mut c = client(addr).await;
    fn request<T>(msg: T, metadata: &[(&'static str, Vec<u8>)]) -> Request<T> {
        let mut r = Request::new(msg);
        for (k, v) in metadata {
            let value = AsciiMetadataValue::try_from(&v[..]).expect("a header value");
            r.metadata_mut().append(MetadataKey::from_static(k), value);
        }
        r
    }
    let empty = || request(Empty {}, metadata);
    let result = match method {
        path::PUBLIC => c.public(empty()).await.map(|r| r.into_inner().message),
        path::ME => c.me(empty()).await.map(|r| {
            let i = r.into_inner();
            format!(
                "{} via {} roles={:?} staff={}",
                i.user_id, i.backend, i.roles, i.is_staff
            )
        }),
        path::LIST_ARTICLES => c
            .list_articles(empty())
            .await
            .map(|r| r.into_inner().message),
        path::CREATE_ARTICLE => {
            let article = Article {
                title: "grpc".into(),
            };
            c.create_article(request(article, metadata))
                .await
                .map(|r| r.into_inner().message)
        }
        path::STAFF => c.staff(empty()).await.map(|r| r.into_inner().message),
        path::ADMIN => c.admin(empty()).await.map(|r| r.into_inner().message),
        other => panic!("no method {other}"),
    };
    result.map_err(|s| (s.code(), s.message().to_owned()))
}

#[track_caller]
fn assert_refused(got: Result<String, (Code, String)>, code: Code, message: &str) {
    match got {
        Ok(reply) => panic!("allowed ({reply}), want {code:?} {message:?}"),
        Err((c, m)) => {
            assert_eq!(c, code, "{m}");
            assert!(m.contains(message), "{m:?} does not say {message:?}");
        }
    }
}

#[tokio::test]
async fn the_showcase_methods_answer_each_caller_with_the_right_status() {
    let cfg = config();
    let addr = serve(examples::grpc::layer(cfg.clone()).unwrap()).await;
    let (alice, bob) = (bearer(&token(&cfg, "alice")), bearer(&token(&cfg, "bob")));
    let key = vec![("x-api-key", READER_KEY.as_bytes().to_vec())];

    // Public: anyone; the identity when good credentials come along.
    assert_eq!(
        call(addr, path::PUBLIC, &[]).await.unwrap(),
        "anyone may read this"
    );
    assert!(call(addr, path::PUBLIC, &alice)
        .await
        .unwrap()
        .ends_with("hello 1"));

    // Required (the default): no credentials, bad credentials.
    let no = "no credentials were provided";
    assert_refused(call(addr, path::ME, &[]).await, Code::Unauthenticated, no);
    let garbage = bearer("not.a.token");
    assert_refused(
        call(addr, path::ME, &garbage).await,
        Code::Unauthenticated,
        "malformed token",
    );
    let wrong = vec![("x-api-key", b"sk-grpc-wrong-00000".to_vec())];
    assert_refused(
        call(addr, path::ME, &wrong).await,
        Code::Unauthenticated,
        "invalid API key",
    );
    assert_eq!(
        call(addr, path::ME, &alice).await.unwrap(),
        "1 via jwt roles=[\"editor\"] staff=true"
    );
    let me = call(addr, path::ME, &key).await.unwrap();
    assert!(me.contains(" via api_key "), "{me}");
    assert!(
        !me.contains(READER_KEY),
        "the key itself is never the identity: {me}"
    );

    // Permissions, staff, superuser: PERMISSION_DENIED names the failed guard.
    assert!(call(addr, path::LIST_ARTICLES, &bob).await.is_ok());
    assert!(call(addr, path::LIST_ARTICLES, &key).await.is_ok());
    let write = "has_permission(\"articles.write\") failed";
    assert_refused(
        call(addr, path::CREATE_ARTICLE, &bob).await,
        Code::PermissionDenied,
        write,
    );
    assert_refused(
        call(addr, path::CREATE_ARTICLE, &key).await,
        Code::PermissionDenied,
        write,
    );
    assert_eq!(
        call(addr, path::CREATE_ARTICLE, &alice).await.unwrap(),
        "created \"grpc\" by 1"
    );
    assert!(call(addr, path::STAFF, &alice).await.is_ok());
    assert_refused(
        call(addr, path::STAFF, &bob).await,
        Code::PermissionDenied,
        "is_staff failed",
    );
    assert_refused(
        call(addr, path::ADMIN, &alice).await,
        Code::PermissionDenied,
        "is_superuser failed",
    );
    let root = bearer(&token(&cfg, "root"));
    assert!(call(addr, path::ADMIN, &root).await.is_ok());
    assert_refused(
        call(addr, path::ADMIN, &[]).await,
        Code::Unauthenticated,
        no,
    );
}

#[tokio::test]
async fn token_failures_say_why() {
    let cfg = config();
    let addr = serve(examples::grpc::layer(cfg.clone()).unwrap()).await;
    let jwt = cfg.jwt().unwrap();
    let expired = jwt
        .issue_for_context(&who("bob"), TokenOptions::access().expires_in_secs(0))
        .unwrap()
        .token;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_refused(
        call(addr, path::ME, &bearer(&expired)).await,
        Code::Unauthenticated,
        "token expired",
    );

    let other = builder().jwt_named(
        "other",
        JwtConfig::hs256("another-secret-that-is-long-enough-98765"),
    );
    let other = other.build().unwrap();
    let forged = other
        .backends()
        .jwt("other")
        .unwrap()
        .issue_for_context(&who("root"), TokenOptions::access())
        .unwrap()
        .token;
    assert_refused(
        call(addr, path::ADMIN, &bearer(&forged)).await,
        Code::Unauthenticated,
        "invalid signature",
    );

    let refresh = jwt
        .issue_for_context(&who("bob"), TokenOptions::refresh())
        .unwrap()
        .token;
    assert_refused(
        call(addr, path::ME, &bearer(&refresh)).await,
        Code::Unauthenticated,
        "wrong token type",
    );
}

#[tokio::test]
async fn malformed_metadata_is_refused_cleanly() {
    let cfg = config();
    let addr = serve(examples::grpc::layer(cfg.clone()).unwrap()).await;
    let good = format!("Bearer {}", token(&cfg, "alice"));

    // Non-ASCII bytes in the value (obs-text, which HTTP/2 carries).
    let non_ascii = vec![("authorization", b"Bearer caf\xc3\xa9.\xff\xfe.x".to_vec())];
    assert_refused(
        call(addr, path::ME, &non_ascii).await,
        Code::Unauthenticated,
        "malformed",
    );
    // Huge: 8 KiB of token.
    let huge = bearer(&"a".repeat(8 * 1024));
    assert_refused(
        call(addr, path::ME, &huge).await,
        Code::Unauthenticated,
        "malformed token",
    );
    // Repeated, even with a valid first copy.
    let repeated = vec![
        ("authorization", good.clone().into_bytes()),
        ("authorization", b"Bearer garbage".to_vec()),
    ];
    assert_refused(
        call(addr, path::ME, &repeated).await,
        Code::Unauthenticated,
        "more than once",
    );
    // Larger than the server's header limit: refused by HTTP/2, never an allow, and the server
    // goes on serving.
    let too_big = bearer(&"b".repeat(200 * 1024));
    assert!(call(addr, path::ME, &too_big).await.is_err());
    let fine = vec![("authorization", good.into_bytes())];
    assert!(call(addr, path::ME, &fine).await.is_ok());
}

#[tokio::test]
async fn public_optional_and_required_methods() {
    let cfg = config();
    let layer = AuthLayer::builder(cfg.clone())
        .file_descriptor_set(FILE_DESCRIPTOR_SET)
        .public(path::PUBLIC)
        .optional(path::ME)
        .build()
        .unwrap();
    let addr = serve(layer).await;
    let alice = bearer(&token(&cfg, "alice"));
    let garbage = bearer("not.a.token");

    // Public: bad credentials are ignored, the call is anonymous.
    assert_eq!(
        call(addr, path::PUBLIC, &garbage).await.unwrap(),
        "anyone may read this"
    );
    // Optional: absent is anonymous (the method then asks for an identity itself and refuses),
    // bad is refused by the layer, good is let through.
    assert_refused(
        call(addr, path::ME, &[]).await,
        Code::Unauthenticated,
        "no credentials",
    );
    assert_refused(
        call(addr, path::ME, &garbage).await,
        Code::Unauthenticated,
        "malformed token",
    );
    assert!(call(addr, path::ME, &alice)
        .await
        .unwrap()
        .starts_with("1 via jwt"));
    // Unlisted methods take the default: authentication required.
    assert_refused(
        call(addr, path::STAFF, &[]).await,
        Code::Unauthenticated,
        "no credentials",
    );
    assert!(call(addr, path::STAFF, &alice).await.is_ok());
}

fn owner_header(ctx: &AuthContext, req: &dyn RequestParts) -> bool {
    req.header("x-owner") == Some(ctx.user_id().as_bytes())
}

#[tokio::test]
async fn every_guard_kind_on_a_method() {
    let cfg = config();
    let (alice, bob) = (bearer(&token(&cfg, "alice")), bearer(&token(&cfg, "bob")));
    let root = bearer(&token(&cfg, "root"));
    let mut alice_owner = alice.clone();
    alice_owner.push(("x-owner", b"1".to_vec()));
    // (guard, text of the guard, who passes, who is refused with PERMISSION_DENIED)
    type Metadata<'a> = &'a [(&'static str, Vec<u8>)];
    let cases: Vec<(Policy, &str, Metadata, Metadata)> = vec![
        (guard!(authenticated), "", &bob, &[]),
        (
            guard!(has_permission("articles.write")),
            "has_permission(\"articles.write\")",
            &alice,
            &bob,
        ),
        (
            guard!(has_permissions("articles.read", "articles.write")),
            "has_permissions(",
            &alice,
            &bob,
        ),
        (
            guard!(has_any_permission("reports.view", "articles.write")),
            "has_any_permission(",
            &alice,
            &bob,
        ),
        (
            guard!(has_role("editor")),
            "has_role(\"editor\")",
            &alice,
            &bob,
        ),
        (
            guard!(has_any_role("analyst", "editor")),
            "has_any_role(",
            &alice,
            &bob,
        ),
        (guard!(is_staff), "is_staff", &alice, &bob),
        (guard!(is_superuser), "is_superuser", &root, &alice),
        (
            guard!(all(is_staff, has_role("editor"))),
            "is_staff",
            &alice,
            &bob,
        ),
        (
            guard!(any(is_superuser, has_permission("articles.write"))),
            "any(",
            &alice,
            &bob,
        ),
        (
            guard!(not(has_role("viewer"))),
            "not(has_role(\"viewer\"))",
            &alice,
            &bob,
        ),
        (
            guard!(custom(owner_header)),
            "custom(owner_header)",
            &alice_owner,
            &alice,
        ),
        (
            guard!(is_staff, has_role("editor")),
            "is_staff",
            &alice,
            &bob,
        ),
    ];
    for (policy, text, passes, refused) in cases {
        let shown = policy.to_string();
        let layer = AuthLayer::builder(cfg.clone())
            .methods([path::STAFF])
            .method(path::STAFF, policy)
            .build()
            .unwrap();
        let addr = serve(layer).await;
        assert!(
            call(addr, path::STAFF, passes).await.is_ok(),
            "{shown}: refused"
        );
        if !refused.is_empty() {
            assert_refused(
                call(addr, path::STAFF, refused).await,
                Code::PermissionDenied,
                text,
            );
        }
        assert_refused(
            call(addr, path::STAFF, &[]).await,
            Code::Unauthenticated,
            "no credentials",
        );
    }
    // allow_any: anonymous passes.
    let layer = AuthLayer::builder(cfg.clone())
        .methods([path::STAFF])
        .method(path::STAFF, guard!(allow_any))
        .build()
        .unwrap();
    assert!(call(serve(layer).await, path::STAFF, &[]).await.is_ok());
}

#[test]
fn a_rule_for_a_method_the_service_lacks_stops_the_build() {
    let err = |b: auth_tonic::AuthLayerBuilder| b.build().unwrap_err().to_string();
    let typo = AuthLayer::builder(config())
        .file_descriptor_set(FILE_DESCRIPTOR_SET)
        .method("/showcase.v1.Showcase/ListArticle", guard!(is_staff));
    let msg = err(typo);
    assert!(
        msg.contains("\"/showcase.v1.Showcase/ListArticle\" names no method"),
        "{msg}"
    );
    assert!(
        msg.contains("/showcase.v1.Showcase/ListArticles"),
        "lists the real ones: {msg}"
    );

    let undeclared = AuthLayer::builder(config()).public(path::PUBLIC);
    assert!(matches!(undeclared.build(), Err(BuildError::NoServices)));
    let not_a_path = AuthLayer::builder(config())
        .methods([path::PUBLIC])
        .public("showcase.v1.Showcase.Public");
    assert!(matches!(
        not_a_path.build(),
        Err(BuildError::InvalidPath(_))
    ));
    let twice = AuthLayer::builder(config())
        .methods([path::PUBLIC])
        .public(path::PUBLIC)
        .optional(path::PUBLIC);
    assert!(matches!(twice.build(), Err(BuildError::DuplicateRule(_))));
    let unknown_backend = AuthLayer::builder(config()).backends(["jwt", "session"]);
    let msg = err(unknown_backend);
    assert!(msg.contains("session"), "{msg}");
    let broken = AuthLayer::builder(config()).file_descriptor_set(b"\xff\xff not a descriptor");
    assert!(matches!(broken.build(), Err(BuildError::Descriptor(_))));
}

/// One configuration, two adapters: a token logged out through the actix-web endpoints is
/// refused by the tonic server sharing the store.
#[actix_web::test]
async fn a_token_logged_out_over_http_is_refused_over_grpc() {
    use actix_web::{test, App};
    use auth_actix::endpoints::AuthEndpoints;
    use auth_actix::test::TestRequestExt;

    let cfg = config();
    let app = test::init_service(
        App::new()
            .app_data(cfg.clone())
            .service(AuthEndpoints::new(tests::fixtures::users()).scope("/auth")),
    )
    .await;
    let addr = serve(examples::grpc::layer(cfg.clone()).unwrap()).await;
    let pair = tests::fixtures::login(&app, "alice").await;
    let access = bearer(&pair.access_token);
    assert!(call(addr, path::ME, &access)
        .await
        .unwrap()
        .starts_with("1 via jwt"));

    let logout = test::TestRequest::post()
        .uri("/auth/logout")
        .bearer(&pair.access_token);
    assert_eq!(tests::status(&app, logout).await.0, 204);
    assert_refused(
        call(addr, path::ME, &access).await,
        Code::Unauthenticated,
        "token revoked",
    );
}

/// A revocation store that cannot be reached answers UNAVAILABLE (fail closed), and the server
/// recovers by itself when it comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_store_is_unavailable_then_recovers() {
    tests::require_service("Redis", &tests::redis_url()).await;
    let proxy = tests::Proxy::start(&tests::host_port(&tests::redis_url())).await;
    let store = RedisRevocation::new(&format!("redis://{}", proxy.addr))
        .unwrap()
        .prefix(tests::unique("grpc"))
        .timeout(Duration::from_millis(300))
        .start();
    assert!(store.wait_synced(Duration::from_secs(5)).await);
    let cfg = builder().revocation_arc(Arc::new(store)).build().unwrap();
    let addr = serve(examples::grpc::layer(cfg.clone()).unwrap()).await;
    let bob = bearer(&token(&cfg, "bob"));
    assert!(call(addr, path::LIST_ARTICLES, &bob).await.is_ok());

    proxy.disable();
    let mut unavailable = false;
    for _ in 0..60 {
        match call(addr, path::LIST_ARTICLES, &bob).await {
            Err((Code::Unavailable, m)) => {
                assert!(
                    !m.contains("redis://"),
                    "no store detail in the message: {m}"
                );
                unavailable = true;
                break;
            }
            Err((code, m)) => panic!("{code:?} {m}"),
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert!(
        unavailable,
        "the store was down for 6 s and calls were still allowed"
    );
    // An API key needs no store: it is still served.
    let key = vec![("x-api-key", READER_KEY.as_bytes().to_vec())];
    assert!(call(addr, path::LIST_ARTICLES, &key).await.is_ok());

    proxy.enable();
    let mut recovered = false;
    for _ in 0..100 {
        if call(addr, path::LIST_ARTICLES, &bob).await.is_ok() {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "still refused 10 s after the store came back");
}

/// A custom backend serves gRPC as it serves actix-web: through the same request view.
struct Partner;

impl auth_tonic::extend::Backend for Partner {
    async fn authenticate(&self, req: &(dyn RequestParts + Sync)) -> auth_tonic::extend::Outcome {
        use auth_tonic::{extend::Outcome, Reason};
        match req.header("x-partner-id") {
            None => Outcome::NoCredentials,
            Some(b"acme") => Outcome::Authenticated(
                AuthContext::builder("partner:acme")
                    .roles(["partner"])
                    .build(),
            ),
            Some(_) => Outcome::Rejected(Reason::Other("unknown partner".into())),
        }
    }
}

#[tokio::test]
async fn a_custom_backend_and_the_default_layer() {
    let cfg = builder().backend("partner", Partner).build().unwrap();
    // AuthLayer::new: every method under the configuration's defaults (authenticated, with
    // every registered backend).
    let addr = serve(AuthLayer::new(cfg.clone())).await;
    let acme = vec![("x-partner-id", b"acme".to_vec())];
    assert_eq!(
        call(addr, path::ME, &acme).await.unwrap(),
        "partner:acme via partner roles=[\"partner\"] staff=false"
    );
    let other = vec![("x-partner-id", b"globex".to_vec())];
    assert_refused(
        call(addr, path::ME, &other).await,
        Code::Unauthenticated,
        "unknown partner",
    );
    assert_refused(
        call(addr, path::PUBLIC, &[]).await,
        Code::Unauthenticated,
        "no credentials",
    );
    let alice = bearer(&token(&cfg, "alice"));
    assert!(
        call(addr, path::ADMIN, &alice).await.is_ok(),
        "the default guard is only `authenticated`"
    );
}

/// A service served without the layer never lets `request.auth()` through: INTERNAL, naming
/// the misconfiguration in the log, not an identity.
#[tokio::test]
async fn a_service_without_the_layer_answers_internal() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(ShowcaseService::server())
            .serve_with_incoming(TcpIncoming::from(listener)),
    );
    let cfg = config();
    let alice = bearer(&token(&cfg, "alice"));
    assert_refused(
        call(addr, path::ME, &alice).await,
        Code::Internal,
        "misconfigured",
    );
}
