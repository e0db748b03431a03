//! What the showcase's binaries and the workspace's tests share: the showcase's gRPC service.

pub mod grpc;
