//! The top of the engine: the configuration every adapter shares ([`config`]), the named
//! backends tried in a route's order ([`chain`]), the one call that decides a request
//! ([`decide`]), and what is logged of each decision ([`log`]).

pub mod chain;
pub mod config;
pub mod decide;
pub mod log;
