//! Writes the token files the load benchmark reads: `mint DIR N` writes `DIR/<alg>.pool` with N
//! distinct tokens (one a line) and `DIR/<alg>.one` with one token, for each algorithm, and
//! `DIR/rs256-idp.one`, a token of the identity provider of `ours PORT jwks`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "target/bench-tokens".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, alg) in bench::ALGS {
        let mut pool =
            std::io::BufWriter::new(std::fs::File::create(format!("{dir}/{name}.pool")).unwrap());
        for i in 0..n {
            writeln!(pool, "{}", bench::mint(alg, i)).unwrap();
        }
        std::fs::write(format!("{dir}/{name}.one"), bench::mint(alg, n + 1)).unwrap();
    }
    std::fs::write(format!("{dir}/rs256-idp.one"), bench::mint_idp(n + 1)).unwrap();
}
