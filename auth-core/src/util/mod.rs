//! Small helpers every layer may use: the clock, the crypto provider, random ids, the boxed
//! future of the object-safe traits.

pub(crate) mod crypto;
pub(crate) mod random;
pub(crate) mod time;

use std::future::Future;
use std::pin::Pin;

/// The future of an object-safe async trait method (custom backends, session users, shared
/// counters).
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
