//! The documents other services verify this one's tokens with: `/.well-known/jwks.json` (the
//! public keys of the JWT backend's [`KeyRing`](auth_core::jwt::KeyRing)) and
//! `/.well-known/openid-configuration` (its issuer, where the keys are, the token endpoint), so
//! that a service configured with this one's issuer as an identity provider finds the keys by
//! discovery and follows their rotation.

use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use auth_core::jwt::JwtBackend;
use serde_json::json;

use crate::decide;
use crate::response::AuthFailure;

/// How long verifiers may cache the documents by default (`Cache-Control: max-age`).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// `/.well-known/jwks.json` and `/.well-known/openid-configuration`, for the JWT backend's key
/// ring; mount at the root (`App::new().service(well_known("/auth", DEFAULT_MAX_AGE))`).
/// `auth_path` is where [`AuthEndpoints`](super::AuthEndpoints) are mounted (for the token
/// endpoint's URL).
///
/// Both documents may be cached for `max_age`. Rotate accordingly: a new key is added as *next*
/// at least `max_age` before it becomes *current*, so that every verifier has fetched it by then.
/// Without a key ring the documents answer 404; the discovery document needs an issuer
/// (`JwtConfig::issuer`), which is also the base of the URLs it states.
///
/// ```no_run
/// use actix_web::{App, HttpServer};
/// use auth_actix::endpoints::{well_known, DEFAULT_MAX_AGE};
///
/// # async fn run(auth: auth_actix::AuthConfig) -> std::io::Result<()> {
/// HttpServer::new(move || App::new().app_data(auth.clone()).service(well_known("/auth", DEFAULT_MAX_AGE)))
///     .bind("127.0.0.1:8080")?
///     .run()
///     .await
/// # }
/// ```
pub fn well_known(auth_path: &str, max_age: Duration) -> actix_web::Scope {
    let auth_path = auth_path.trim_end_matches('/').to_owned();
    let cache = format!("public, max-age={}", max_age.as_secs());
    let jwks_cache = cache.clone();
    web::scope("/.well-known")
        .route(
            "/jwks.json",
            web::get().to(move |req: HttpRequest| {
                let cache = jwks_cache.clone();
                async move {
                    let jwt = backend(&req)?;
                    Ok::<_, AuthFailure>(match jwt.key_ring() {
                        Some(ring) => HttpResponse::Ok()
                            .insert_header(("Cache-Control", cache))
                            .json(ring.jwks()),
                        None => not_found("this server publishes no keys: it has no key ring"),
                    })
                }
            }),
        )
        .route(
            "/openid-configuration",
            web::get().to(move |req: HttpRequest| {
                let (cache, auth_path) = (cache.clone(), auth_path.clone());
                async move {
                    let jwt = backend(&req)?;
                    let (Some(ring), Some(issuer)) = (jwt.key_ring(), jwt.issuer()) else {
                        return Ok(not_found(
                            "this server publishes no keys: it has no key ring or no issuer",
                        ));
                    };
                    let base = issuer.trim_end_matches('/');
                    let algs: Vec<String> =
                        ring.algorithms().iter().map(|a| format!("{a:?}")).collect();
                    let document = json!({
                        "issuer": issuer,
                        "jwks_uri": format!("{base}/.well-known/jwks.json"),
                        "token_endpoint": format!("{base}{auth_path}/token"),
                        "grant_types_supported": ["password", "refresh_token"],
                        "response_types_supported": ["token"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": algs,
                        "token_endpoint_auth_methods_supported": ["none"],
                    });
                    Ok::<_, AuthFailure>(
                        HttpResponse::Ok()
                            .insert_header(("Cache-Control", cache))
                            .json(document),
                    )
                }
            }),
        )
}

/// The configuration's JWT backend, or a 500 naming what is missing.
fn backend(req: &HttpRequest) -> Result<std::sync::Arc<JwtBackend>, AuthFailure> {
    let cfg = decide::config(req)?;
    cfg.jwt().cloned().ok_or_else(|| {
        tracing::error!(
            "the well-known documents need a JWT backend: add .jwt(..) to the AuthConfig"
        );
        decide::failure(
            cfg,
            req,
            auth_core::AuthError::Misconfigured(
                "the token endpoints need a JWT backend: add .jwt(..) to the AuthConfig".into(),
            ),
        )
    })
}

fn not_found(detail: &str) -> HttpResponse {
    HttpResponse::NotFound().json(json!({"error": "not_found", "detail": detail}))
}
