//! Compiles `proto/showcase.proto` with protox, a pure-Rust protobuf compiler: no `protoc`
//! binary is needed. Writes the generated code and the encoded descriptor set (which
//! `auth_tonic::AuthLayer` checks its method table against) to `OUT_DIR`.

use std::path::PathBuf;

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/showcase.proto");
    let fds = protox::compile(["showcase.proto"], ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("showcase.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_transport(true)
        .compile_fds(fds)?;
    Ok(())
}
