//! The showcase server: the README's main command, and the reference deployment.
//!
//! `cargo run -p examples --bin showcase` starts it on embedded defaults (no external service);
//! `showcase --help` lists the environment variables.

mod config;
mod keys;
mod routes;
mod sessions;
mod users;

use std::sync::Arc;

use actix_session::storage::SessionStore;
use actix_web::{web, App, HttpServer};
use auth_actix::prelude::*;
use auth_actix::{endpoints::AuthEndpoints, LoginThrottle};
use auth_actix::{RedisRevocation, RevocationStore, SessionStoreErrors, SqlRevocation};

use users::{DemoUsers, User};

/// The revocation store, and the login throttle: its failure counts shared through Redis when
/// the store is Redis (every instance enforces one limit), else kept in this process.
async fn revocation_store(
    r: &config::Revocation,
) -> Result<(Arc<dyn RevocationStore>, LoginThrottle), String> {
    Ok(match r {
        config::Revocation::Memory => (Arc::new(InMemoryRevocation::new()), LoginThrottle::new()),
        config::Revocation::Redis(url) => {
            let store = RedisRevocation::new(url)
                .map_err(|e| format!("AUTH_REVOCATION: {e}"))?
                .prefix("showcase")
                .start();
            let throttle = LoginThrottle::new().shared(store.login_counters());
            (Arc::new(store), throttle)
        }
        config::Revocation::Sql(url) => (
            Arc::new(
                SqlRevocation::connect(url)
                    .await
                    .map_err(|e| format!("AUTH_REVOCATION: {e}"))?,
            ),
            LoginThrottle::new(),
        ),
    })
}

struct Banner<'a> {
    bind: std::net::SocketAddr,
    random_secret: bool,
    demo_key: Option<&'a str>,
}

fn print_banner(settings: &Banner<'_>, auth: &AuthConfig, users: &[User]) {
    let base = format!("http://{}", settings.bind);
    println!("showcase listening on {base}");
    // Credentials are printed only in the development mode: a random secret that dies with
    // this process. With AUTH_JWT_SECRET set, stdout may be collected: nothing live goes there.
    let development = settings.random_secret;
    if development {
        println!("development mode: AUTH_JWT_SECRET is not set, so a random secret is used (tokens die with this process); the tokens and the demo key below are live credentials for this process");
    } else {
        println!("AUTH_JWT_SECRET is set: no token or key is printed; log in with POST {base}/auth/token");
    }
    println!("\nTry:");
    println!("  curl -i {base}/public");
    println!("  curl -i {base}/me                      # 401: no credentials");
    for u in users.iter().filter(|_| development) {
        match auth_actix::test::token_for(auth, u) {
            Ok(t) => {
                println!("\n  # {} ({}):", u.username, u.roles.join(", "));
                println!("  curl -i {base}/me -H 'Authorization: Bearer {t}'");
                println!("  curl -i {base}/staff -H 'Authorization: Bearer {t}'");
                println!(
                    "  curl -i -X POST {base}/articles -H 'Authorization: Bearer {t}' -H 'Content-Type: application/json' -d '{{\"title\":\"hi\"}}'"
                );
            }
            Err(e) => println!("  (could not mint a token for {}: {e})", u.username),
        }
    }
    if !users.is_empty() {
        println!(
            "\n  # in a browser: {base}/ (a login form, who am I, create an article, log out)"
        );
        println!("\n  # log in (alice-demo-password, bob-demo-password), refresh, log out:");
        println!(
            "  curl -i -X POST {base}/auth/token -H 'Content-Type: application/json' -d '{{\"username\":\"alice\",\"password\":\"alice-demo-password\"}}'"
        );
        println!("  curl -i -X POST {base}/auth/refresh -H 'Content-Type: application/json' -d '{{\"refresh_token\":\"<refresh_token>\"}}'");
        println!("  curl -i -X POST {base}/auth/logout -H 'Authorization: Bearer <access_token>'");
        println!("  curl -i {base}/auth/me -H 'Authorization: Bearer <access_token>'");
    }
    if let Some(key) = settings.demo_key.filter(|_| development) {
        println!("\n  # the demo API key (articles.read):");
        println!("  curl -i {base}/articles -H 'X-API-Key: {key}'");
        println!("  curl -i {base}/key-only -H 'X-API-Key: {key}'");
    }
    println!();
}

/// Serves the gRPC service on `addr`, on a runtime of its own (actix-web's workers are
/// single-threaded; tonic's are not), with the HTTP app's configuration and store. A bad
/// method table or an address in use stops the start-up, naming the cause.
fn serve_grpc(addr: std::net::SocketAddr, auth: AuthConfig) -> std::io::Result<()> {
    let layer = examples::grpc::layer(auth).map_err(std::io::Error::other)?;
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("grpc")
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("grpc".into())
        .spawn(move || {
            runtime.block_on(async move {
                let incoming = match tokio::net::TcpListener::from_std(listener) {
                    Ok(l) => tonic::transport::server::TcpIncoming::from(l),
                    Err(e) => return tracing::error!("gRPC listener: {e}"),
                };
                let served = tonic::transport::Server::builder()
                    .layer(layer)
                    .add_service(examples::grpc::ShowcaseService::server())
                    .serve_with_incoming(incoming)
                    .await;
                if let Err(e) = served {
                    tracing::error!("the gRPC server stopped: {e}");
                }
            })
        })?;
    println!("showcase gRPC listening on {addr} (proto/showcase.proto)");
    Ok(())
}

/// What every worker's app is built from.
#[derive(Clone)]
struct Web {
    auth: AuthConfig,
    endpoints: AuthEndpoints<DemoUsers>,
    sessions: Arc<sessions::Settings>,
    /// The OpenAPI document, as served at `/openapi.json`.
    openapi: web::Data<String>,
    /// How long verifiers may cache the published keys.
    keys_max_age: std::time::Duration,
}

/// Serves the HTTP app on `bind`, with sessions kept in the store `store` makes.
async fn serve<S, F>(bind: std::net::SocketAddr, web: Web, store: F) -> std::io::Result<()>
where
    S: SessionStore + 'static,
    F: Fn() -> S + Clone + Send + 'static,
{
    HttpServer::new(move || {
        App::new()
            .wrap(web.sessions.middleware(store()))
            // The session store down (Redis): 503 and Retry-After, not actix-session's 500.
            .wrap(SessionStoreErrors)
            .app_data(web.auth.clone())
            .app_data(web.openapi.clone())
            // Bodies refused before a handler runs answer in the library's error shape.
            .app_data(auth_actix::json_config(web::JsonConfig::default()))
            .configure(routes::register)
            .service(web.endpoints.scope("/auth"))
            .service(auth_actix::endpoints::well_known("/auth", web.keys_max_age))
    })
    .bind(bind)?
    .run()
    .await
}

/// Stops the start-up on a configuration mistake, naming it.
fn configuration_error(e: impl std::fmt::Display) -> ! {
    eprintln!("showcase: configuration error: {e}\nRun `showcase --help` for the variables.");
    std::process::exit(2);
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    if std::env::args().skip(1).any(|a| a == "--help" || a == "-h") {
        print!("{}", config::HELP);
        return Ok(());
    }
    // actix-session logs every refused session cookie at WARN, unbounded (300 bogus cookies,
    // 300 lines); the library logs refused requests itself, at most 20 lines a second. So its
    // warnings are left out unless RUST_LOG names actix_session.
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    let mut filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if !std::env::var("RUST_LOG").is_ok_and(|v| v.contains("actix_session")) {
        if let Ok(quiet) = "actix_session=error".parse() {
            filter = filter.add_directive(quiet);
        }
    }
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let settings = config::from_env().unwrap_or_else(|e| configuration_error(e));
    let config::Settings {
        bind,
        grpc_bind,
        jwt,
        random_secret,
        api_keys,
        demo_key,
        demo_users,
        revocation,
        key_dir,
    } = settings;
    let ring = key_dir
        .as_ref()
        .map(keys::load)
        .transpose()
        .unwrap_or_else(|e| configuration_error(e));
    let jwt = match &ring {
        Some(ring) => jwt.key_ring(ring.clone()),
        None => jwt,
    };
    let session_settings = sessions::from_env(bind).unwrap_or_else(|e| configuration_error(e));
    let (store, throttle) = revocation_store(&revocation)
        .await
        .unwrap_or_else(|e| configuration_error(e));
    let users = DemoUsers::new(demo_users).unwrap_or_else(|e| {
        eprintln!("showcase: could not hash the demo passwords: {e}");
        std::process::exit(2);
    });
    // The session store first: a Redis that cannot be reached stops the start-up, naming it,
    // before anything says the server is listening.
    let redis_sessions = match &session_settings.store {
        sessions::Store::Cookie => None,
        sessions::Store::Redis(url) => Some(
            sessions::redis_store(url)
                .await
                .unwrap_or_else(|e| configuration_error(e)),
        ),
    };
    let auth = AuthConfig::builder()
        // Every refresh checks the user as it is now (deactivated, deleted, new password).
        .jwt(jwt.users(users.clone()))
        .api_keys(api_keys)
        .sessions(session_settings.backend(users.clone()))
        .csrf(session_settings.csrf())
        .default_backends(["jwt", "api_key", "session"])
        .roles(
            RoleMap::new()
                .grant("editor", ["articles.*", "reports.view"])
                .grant("viewer", ["articles.read"])
                .grant("analyst", ["reports.*"]),
        )
        .revocation_arc(store)
        .build()
        .unwrap_or_else(|e| configuration_error(e));
    // Verifiers see a new key within one reload and one cache period.
    let keys_max_age = key_dir
        .as_ref()
        .map_or(auth_actix::endpoints::DEFAULT_MAX_AGE, |d| d.reload);
    if let (Some(dir), Some(ring), Some(jwt)) = (key_dir, ring, auth.jwt()) {
        // A retired key verifies as long as a token it signed can live (and a minute more).
        let retention = jwt.refresh_ttl().max(jwt.access_ttl()) + 60;
        keys::spawn_reloader(dir, ring, retention);
    }
    if let Some(addr) = grpc_bind {
        serve_grpc(addr, auth.clone())?;
    }
    print_banner(
        &Banner {
            bind,
            random_secret,
            demo_key: demo_key.as_deref(),
        },
        &auth,
        users.all(),
    );
    if session_settings.random_key {
        println!("AUTH_SESSION_KEY is not set: a random key signs the session cookies (sessions end with this process)");
    }
    let openapi = serde_json::to_string(&routes::openapi(&auth, sessions::COOKIE))
        .unwrap_or_else(|e| configuration_error(format!("the OpenAPI document: {e}")));
    let web = Web {
        openapi: web::Data::new(openapi),
        auth,
        endpoints: AuthEndpoints::new(users).throttle(throttle),
        // Verifiers see a new key within one reload and one cache period.
        keys_max_age,
        sessions: Arc::new(session_settings),
    };
    match redis_sessions {
        None => serve(bind, web.clone(), sessions::cookie_store).await,
        Some(store) => serve(bind, web.clone(), move || store.clone()).await,
    }
}
