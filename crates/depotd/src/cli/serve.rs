//! `depotd serve`.

use anyhow::Context;

use crate::app::App;
use crate::config::Config;
use crate::data_dir::DataDir;
use crate::server;

/// Environment variable holding the administrator's first password.
pub const ADMIN_PASSWORD_ENV: &str = "DEPOTD_ADMIN_PASSWORD";

/// Opens the data dir, prepares stores and serves until a signal.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let data_dir = DataDir::open(&config.data_dir)?;
    let app = App::open(config, &data_dir, Vec::new()).await?;
    let password = std::env::var(ADMIN_PASSWORD_ENV)
        .ok()
        .filter(|p| !p.is_empty());
    if let Some(generated) = app
        .bootstrap_admin(password)
        .await
        .context("cannot create the built-in administrator")?
    {
        // Printed once, on the first start, to the console only (never to the log).
        println!(
            "Generated password for {}: {}\nIt is shown only now; change it with `depotd user passwd {}`.",
            depot_auth::ADMIN_USER,
            generated.expose(),
            depot_auth::ADMIN_USER
        );
    }
    app.start().await?;
    server::run(app, data_dir.path()).await
}
