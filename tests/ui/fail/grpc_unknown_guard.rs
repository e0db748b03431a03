use auth_tonic::{guard, AuthConfig, AuthLayer, JwtConfig};

fn main() {
    let auth = AuthConfig::builder()
        .jwt(JwtConfig::hs256("an example secret that is 32+ bytes long"))
        .build()
        .unwrap();
    let _ = AuthLayer::builder(auth)
        .methods(["/shop.v1.Orders/Cancel"])
        .method("/shop.v1.Orders/Cancel", guard!(has_permision("orders.cancel")))
        .build();
}
