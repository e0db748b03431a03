//! What the showcase's binaries and the workspace's tests share: the showcase's gRPC service.

pub mod grpc;

/// The README's examples, compiled and run as doc tests here, where both adapters and the
/// showcase's gRPC service are in reach.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
