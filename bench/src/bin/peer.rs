//! The peer server, hand-rolled the way many apps do it today: actix-web-httpauth's bearer
//! middleware, `jsonwebtoken::decode` in the validator, actix-web-grants for the permission
//! check. `peer PORT` (one worker); same routes as `ours`, public twins included (no API-key
//! route).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use actix_web::dev::ServiceRequest;
use actix_web::{get, web, App, Error, HttpServer};
use actix_web_grants::authorities::AttachAuthorities;
use actix_web_httpauth::extractors::bearer::BearerAuth;
use actix_web_httpauth::middleware::HttpAuthentication;
use jsonwebtoken::{DecodingKey, Validation};

struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

async fn validator(
    req: ServiceRequest,
    credentials: BearerAuth,
) -> Result<ServiceRequest, (Error, ServiceRequest)> {
    let Some(v) = req.app_data::<web::Data<Arc<Verifier>>>().cloned() else {
        return Err((
            actix_web::error::ErrorInternalServerError("no verifier"),
            req,
        ));
    };
    match jsonwebtoken::decode::<bench::Claims>(credentials.token(), &v.key, &v.validation) {
        Ok(data) => {
            req.attach(data.claims.permissions);
            Ok(req)
        }
        Err(_) => Err((actix_web::error::ErrorUnauthorized("invalid token"), req)),
    }
}

#[get("/public")]
async fn public() -> &'static str {
    "ok"
}

/// The public twin registered before each protected scope, as in `ours`.
async fn twin() -> &'static str {
    "ok"
}

#[get("")]
#[actix_web_grants::protect("articles.read")]
async fn protected() -> &'static str {
    "ok"
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(18102);
    let verifiers: Vec<(&'static str, Arc<Verifier>)> = bench::ALGS
        .iter()
        .map(|(name, alg)| {
            let mut validation = Validation::new(*alg);
            validation.validate_aud = false;
            (
                *name,
                Arc::new(Verifier {
                    key: bench::decoding_key(*alg),
                    validation,
                }),
            )
        })
        .collect();
    HttpServer::new(move || {
        let mut app = App::new().service(public);
        for (name, v) in &verifiers {
            app = app.service(web::resource(format!("/public/{name}")).get(twin));
            app = app.service(
                web::scope(&format!("/{name}"))
                    .app_data(web::Data::new(v.clone()))
                    .wrap(HttpAuthentication::bearer(validator))
                    .service(protected),
            );
        }
        app
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
