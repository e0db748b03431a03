//! The session endpoints of [`AuthEndpoints`]: browser login, logout and logout everywhere, on
//! actix-session's `Session` and auth-core's session backend.

use std::sync::Arc;

use actix_session::SessionExt;
use actix_web::{web, HttpRequest, HttpResponse};
use auth_core::adapter::Rule;
use auth_core::session::SessionBackend;
use auth_core::{AuthConfig, AuthError, Policy};

use super::table::SESSION_LOGIN;
use super::{identity, AuthEndpoints, CredentialsVerifier, Login};
use crate::csrf::{self, Csrf};
use crate::decide::{self, BackendList};
use crate::response::AuthFailure;
use crate::session_io;

/// The session backend of the app's configuration; `None` (the routes answer 404) without one.
fn sessions_of(
    req: &HttpRequest,
) -> Result<Option<(AuthConfig, Arc<SessionBackend>)>, AuthFailure> {
    let cfg = decide::config(req)?;
    Ok(cfg
        .backends()
        .sessions()
        .map(|(_, backend)| (cfg.clone(), backend.clone())))
}

/// The session the request is authenticated with: the CSRF rules apply (it comes from a
/// cookie), and a session that ended is refused (401).
async fn current(req: &HttpRequest) -> Result<(), AuthFailure> {
    static SESSION: &[&str] = &["session"];
    decide::admit(
        req,
        "session",
        &BackendList::Route(SESSION),
        Rule::Guard(&Policy::Authenticated),
    )
    .await
    .map(drop)
}

impl<V: CredentialsVerifier> AuthEndpoints<V> {
    /// `POST {path}/session` (login) and `DELETE {path}/session` (logout).
    pub(super) fn session_login_resource(&self) -> actix_web::Resource {
        let login = self.clone();
        web::resource(SESSION_LOGIN.path)
            // A login body: the refusals say what a login takes.
            .app_data(super::body::login_json())
            .route(web::post().to(
                move |req: HttpRequest, body: web::Either<web::Json<Login>, web::Form<Login>>| {
                    let this = login.clone();
                    async move { this.session_login(req, body.into_inner()).await }
                },
            ))
            .route(web::delete().to(logout))
    }

    async fn session_login(
        &self,
        req: HttpRequest,
        login: Login,
    ) -> Result<HttpResponse, AuthFailure> {
        let Some((cfg, backend)) = sessions_of(&req)? else {
            return Ok(HttpResponse::NotFound().finish());
        };
        // A cross-site page must not log the browser into an account of its choosing.
        Csrf::of(&cfg)
            .check_origin(&req)
            .map_err(|why| decide::failure(&cfg, &req, AuthError::Forbidden(why.into())))?;
        let user = self.log_in(&req, &cfg, &login).await?;
        let record = backend.start(&user).map_err(|e| {
            decide::failure(&cfg, &req, AuthError::Unavailable(e.to_string().into()))
        })?;
        let session = req.get_session();
        // A new session id at login: an id planted before login (fixation) is worth nothing.
        session.renew();
        session_io::store(&session, &record);
        tracing::info!(path = req.path(), outcome = "session_login", user = %record.uid);
        let ctx = auth_core::AuthContext::from_user(&user, Some(cfg.roles()));
        let mut res = HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(identity(&ctx, "session"));
        csrf::issue_cookie(&cfg, &mut res, &record.sid);
        Ok(res)
    }
}

/// `DELETE {path}/session`: the session is purged and its id refused until its deadline, so
/// that a copy of the cookie kept by the client (a cookie-only store) is worth nothing.
async fn logout(req: HttpRequest) -> Result<HttpResponse, AuthFailure> {
    end(req, false).await
}

/// `POST {path}/session/logout-all`: every session and token of the user ends.
pub(super) async fn logout_all(req: HttpRequest) -> Result<HttpResponse, AuthFailure> {
    end(req, true).await
}

/// Ends the request's session (or, `everywhere`, every session and token of its user).
pub(super) async fn end(req: HttpRequest, everywhere: bool) -> Result<HttpResponse, AuthFailure> {
    let Some((cfg, backend)) = sessions_of(&req)? else {
        return Ok(HttpResponse::NotFound().finish());
    };
    current(&req).await?;
    let Some(view) = session_io::read(&req) else {
        return Err(decide::failure(
            &cfg,
            &req,
            AuthError::Unauthenticated(auth_core::Reason::MissingCredentials),
        ));
    };
    let record = view.record();
    let ended = if everywhere {
        match backend.end_all(&record.uid).await {
            // The user's tokens end too, their stamp kept as long as a token can live.
            Ok(()) => match cfg.jwt() {
                Some(jwt) => jwt.logout_all(&record.uid).await,
                None => Ok(()),
            },
            Err(e) => Err(e),
        }
    } else {
        backend.end(record).await
    };
    ended.map_err(|e| decide::failure(&cfg, &req, e))?;
    req.get_session().purge();
    let mut res = HttpResponse::NoContent().finish();
    csrf::clear_cookie(&cfg, &mut res);
    Ok(res)
}
