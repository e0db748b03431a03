//! Who a request is: the application's user ([`user::AuthUser`]), the identity an
//! authentication yields ([`context::AuthContext`]) and the permissions and roles it holds.

pub mod context;
pub mod derive;
pub mod permissions;
pub mod user;
