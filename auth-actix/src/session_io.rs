//! The actix-session side of the `session` backend: the login record is read from the request's
//! [`Session`](actix_session::Session) before the backend chain runs, touched after a request it
//! authenticated (idle timeout), and purged when the backend ended it. The backend itself
//! (timeouts, logout, user and auth hash checks) is auth-core's
//! [`SessionBackend`](auth_core::session::SessionBackend).

use actix_session::{Session, SessionExt};
use actix_web::HttpRequest;
use auth_core::adapter::{SessionRecord, SessionView};

/// The session key the login record is kept under.
pub(crate) const KEY: &str = "auth";

/// The login record of `req`'s session, if it holds one. A record that does not parse (written
/// by another version, or not by this library) is removed and treated as absent.
pub(crate) fn read(req: &HttpRequest) -> Option<SessionView> {
    let session = req.get_session();
    match session.get::<SessionRecord>(KEY) {
        Ok(record) => record.map(SessionView::new),
        Err(_) => {
            session.remove(KEY);
            None
        }
    }
}

/// After the chain ran: purges a session the backend ended, and records the use of one that
/// authenticated the request (at most once a second).
pub(crate) fn settle(req: &HttpRequest, view: &SessionView, authenticated: bool) {
    let session = req.get_session();
    if view.ended() {
        session.purge();
    } else if authenticated && view.record().stale() {
        store(&session, &view.record().touched());
    }
}

/// Writes `record` into `session`. A record always serializes; should the session refuse it,
/// the user is simply not logged in, which the log says.
pub(crate) fn store(session: &Session, record: &SessionRecord) {
    if let Err(e) = session.insert(KEY, record) {
        tracing::error!(error = %e, "the login record could not be written to the session");
    }
}
