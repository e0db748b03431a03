//! How refusals become gRPC statuses.

use auth_core::AuthError;
use tonic::Status;

/// The status a refused call is answered with.
///
/// | refusal | status | message |
/// |---|---|---|
/// | no or bad credentials | `UNAUTHENTICATED` | the reason: "token expired", "invalid signature", ... |
/// | a guard refused the identity | `PERMISSION_DENIED` | the failed guard: `forbidden: has_permission("a.b") failed` |
/// | a store or key source is unreachable | `UNAVAILABLE` | fail closed; the cause goes to the log only |
/// | a request that cannot be done as sent | `INVALID_ARGUMENT` | what to send instead |
/// | a custom guard found no such object | `NOT_FOUND` | the guard's text |
/// | misconfiguration (unknown backend) | `INTERNAL` | the cause goes to the log only |
///
/// No message ever holds the credential.
pub fn status_of(error: &AuthError) -> Status {
    match error {
        AuthError::Unauthenticated(reason) => Status::unauthenticated(reason.to_string()),
        AuthError::Forbidden(_) => Status::permission_denied(error.to_string()),
        AuthError::Unavailable(_) => Status::unavailable(
            "authentication is unavailable (a store cannot be reached); retry later",
        ),
        AuthError::TooManyAttempts(_) => Status::resource_exhausted(error.to_string()),
        AuthError::BadRequest(why) => Status::invalid_argument(why.to_string()),
        AuthError::NotFound(what) => Status::not_found(what.to_string()),
        _ => Status::internal("authentication is misconfigured on the server; see its log"),
    }
}
