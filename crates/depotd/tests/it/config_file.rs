//! The configuration's layers: the example file documents every key with its default,
//! bad keys are named, and a flag beats its variable, which beats the file.

use std::path::Path;
use std::time::Duration;

use clap::Parser;
use depotd::cli::{Cli, Command};
use depotd::config::{Config, LogFormat, ServeFlags};

const EXAMPLE: &str = include_str!("../../../../docs/config.example.toml");
const BIN: &str = env!("CARGO_BIN_EXE_depotd");

#[test]
fn example_lists_every_key_with_its_default() {
    let parsed: Config = toml::from_str(EXAMPLE).expect("the example parses, unknown keys refused");
    assert_eq!(
        parsed,
        Config::default(),
        "the example's values are the defaults"
    );
    // Every key of the configuration, written out, is the example's key with its value:
    // a key missing from the example fails here.
    let example: toml::Value = toml::from_str(EXAMPLE).unwrap();
    let defaults = toml::Value::try_from(Config::default()).unwrap();
    assert_eq!(defaults, example);
}

#[test]
fn secrets_are_not_written_out_or_debug_printed() {
    let mut config = Config::default();
    config.depot.password = Some("hunter2-password".into());
    config.depot.download_token = Some("hunter2-token".into());
    config.database_url = Some("postgres://depot:hunter2-db@db/depot".into());
    let written = toml::to_string(&config).unwrap();
    let debug = format!("{config:?}");
    for text in [&written, &debug] {
        assert!(!text.contains("hunter2"), "{text}");
    }
    assert!(written.contains("password = \"***\""), "{written}");
}

fn load_file(dir: &Path, text: &str) -> anyhow::Result<Config> {
    let file = dir.join("depotd.toml");
    std::fs::write(&file, text).unwrap();
    Config::load(Some(&file), &ServeFlags::default())
}

#[test]
fn unknown_and_bad_keys_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let error = |text: &str| format!("{:#}", load_file(dir.path(), text).unwrap_err());
    let err = error("lisen = \"x\"");
    assert!(
        err.contains("lisen") && err.contains("depotd.toml"),
        "{err}"
    );
    let err = error("listen = \"nope\"");
    assert!(err.contains("listen"), "{err}");
    let err = error("[log]\nformat = \"xml\"");
    assert!(err.contains("xml") && err.contains("format"), "{err}");
    let err = error("[auth]\nsession_idle_seconds = \"long\"");
    assert!(err.contains("session_idle_seconds"), "{err}");
    let err = error("[auth]\nsession_max_lifetime_seconds = 0");
    assert!(err.contains("auth.session_max_lifetime_seconds"), "{err}");
    let err = error("[auth]\ntrusted_proxies = [\"10.0.0.0/33\"]");
    assert!(
        err.contains("trusted_proxies") && err.contains("10.0.0.0/33"),
        "{err}"
    );
    let err = error("[depot]\nschedule = \"every tuesday\"");
    assert!(err.contains("depot.schedule"), "{err}");
    let err = error("[tasks]\nworkers = 0");
    assert!(err.contains("tasks.workers"), "{err}");
    let err = format!(
        "{:#}",
        Config::load(
            Some(&dir.path().join("absent.toml")),
            &ServeFlags::default()
        )
        .unwrap_err()
    );
    assert!(err.contains("cannot read config file"), "{err}");
}

/// `depotd serve ARGS…` parsed as the binary does (variables set in this process are
/// not touched: DEPOTD_* ones would change what is tested).
fn serve(args: &[&str]) -> anyhow::Result<Config> {
    let cli = Cli::try_parse_from(["depotd", "serve"].iter().chain(args))?;
    assert!(matches!(cli.command, Command::Serve(_)));
    cli.command.load_config()
}

#[test]
fn flags_override_the_file_key_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("depotd.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:9001\"\ndatabase_url = \"sqlite:/tmp/from-file.db\"\nsecret_key_file = \"/etc/depotd/secret.key\"\n\
         [tasks]\nworkers = 7\nlease_seconds = 9\n\
         [depot]\nurl = \"https://depot.example.com/\"\nschedule = \"0 30 1 * * *\"\n\
         [depot.paths]\nmanifest = \"m.json\"\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let c = serve(&["--config", file, "--listen", "127.0.0.1:9002"]).unwrap();
    assert_eq!(c.listen.port(), 9002);
    assert_eq!(c.tasks.workers, 7);
    assert_eq!(c.tasks.lease, Duration::from_secs(9));
    assert_eq!(c.secret_key_file, Some("/etc/depotd/secret.key".into()));
    assert_eq!(c.depot.schedule, "0 30 1 * * *");
    assert_eq!(c.depot.paths.manifest, "m.json");
    let c = serve(&[
        "--config",
        file,
        "--secret-key-file",
        "/run/secrets/depotd.key",
        "--task-workers",
        "2",
        "--depot-schedule",
        "",
        "--depot-url",
        "",
    ])
    .unwrap();
    assert_eq!(c.listen.port(), 9001);
    assert_eq!(c.secret_key_file, Some("/run/secrets/depotd.key".into()));
    assert_eq!((c.tasks.workers, c.tasks.lease.as_secs()), (2, 9));
    assert_eq!(c.depot.schedule, "", "an empty schedule disables syncs");
    assert_eq!(c.depot.url, None, "an empty URL clears the file's");
    assert_eq!(c.depot.paths.manifest, "m.json");
    // An empty database URL leaves the file's.
    let c = serve(&["--config", file, "--database-url", ""]).unwrap();
    assert_eq!(c.database_url(), "sqlite:/tmp/from-file.db");
    let err = serve(&["--tls-cert", "/x.pem"]).unwrap_err();
    assert!(err.to_string().contains("tls_key"), "{err}");
}

#[test]
fn blob_store_keys_layer_and_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("depotd.toml");
    std::fs::write(
        &file,
        "blob_store = \"s3://from-file/p\"\n[s3]\nendpoint = \"http://127.0.0.1:9000\"\nregion = \"r1\"\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let c = serve(&["--config", file]).unwrap();
    assert_eq!(
        c.blob_store().unwrap(),
        depotd::config::BlobStoreChoice::S3 {
            bucket: "from-file".to_owned(),
            prefix: "p".to_owned()
        }
    );
    assert_eq!(c.s3.region, "r1");
    let c = serve(&[
        "--config",
        file,
        "--s3-region",
        "r2",
        "--blob-store",
        "s3://flag",
    ])
    .unwrap();
    assert_eq!(
        (c.s3.region.as_str(), c.blob_store.as_deref()),
        ("r2", Some("s3://flag"))
    );
    assert_eq!(c.s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    let err = serve(&["--blob-store", "/var/blobs"]).unwrap_err();
    assert!(err.to_string().contains("s3://BUCKET/PREFIX"), "{err}");
    let err = serve(&["--s3-endpoint", "http://s3.example.com"]).unwrap_err();
    assert!(err.to_string().contains("allow_http"), "{err}");
    serve(&["--s3-endpoint", "http://s3.example.com", "--s3-allow-http"]).unwrap();
}

#[test]
fn every_serve_flag_sets_its_key() {
    let c = serve(&[
        "--data-dir=/d",
        "--database-url=postgres://u@h/db",
        "--log-level=debug",
        "--log-format=json",
        "--listen=0.0.0.0:1",
        "--plain-http",
        "--shutdown-grace-seconds=2",
        "--max-body-bytes=3",
        "--session-idle-seconds=4",
        "--refresh-idle-seconds=5",
        "--session-cache-seconds=6",
        "--session-max-lifetime-seconds=11",
        "--refresh-max-lifetime-seconds=12",
        "--max-concurrent-hashes=13",
        "--max-queued-hashes=14",
        "--trusted-proxy=10.0.0.0/8,::1",
        "--task-workers=7",
        "--task-retention-hours=8",
        "--task-lease-seconds=9",
        "--import-dir=/i",
        "--catalog-trust=/t1,/t2",
        "--max-catalog-bytes=10",
        "--depot-url=https://u/",
        "--depot-offline=true",
        "--depot-username=n",
        "--depot-password=p",
        "--depot-download-token=t",
        "--depot-schedule=0 0 1 * * *",
        "--downstream-user=r",
        "--downstream-anonymous=true",
        "--blob-store=s3://bucket/site-a",
        "--s3-endpoint=https://minio.example.com:9000",
        "--s3-region=eu-west-1",
        "--s3-credentials-file=/etc/depotd/s3.toml",
        "--s3-allow-http",
    ])
    .unwrap();
    let mut want = Config {
        listen: "0.0.0.0:1".parse().unwrap(),
        data_dir: "/d".into(),
        database_url: Some("postgres://u@h/db".into()),
        plain_http: true,
        shutdown_grace: Duration::from_secs(2),
        max_body_bytes: 3,
        ..Config::default()
    };
    want.log.level = "debug".to_owned();
    want.log.format = LogFormat::Json;
    want.auth.session_idle = Duration::from_secs(4);
    want.auth.refresh_idle = Duration::from_secs(5);
    want.auth.session_cache = Duration::from_secs(6);
    want.auth.session_max_lifetime = Duration::from_secs(11);
    want.auth.refresh_max_lifetime = Duration::from_secs(12);
    want.auth.max_concurrent_hashes = 13;
    want.auth.max_queued_hashes = 14;
    want.auth.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()];
    want.tasks.workers = 7;
    want.tasks.retention = Duration::from_hours(8);
    want.tasks.lease = Duration::from_secs(9);
    want.catalog.import_dir = Some("/i".into());
    want.catalog.trust = vec!["/t1".into(), "/t2".into()];
    want.catalog.max_file_bytes = 10;
    want.depot.url = Some("https://u/".to_owned());
    want.depot.offline = true;
    want.depot.username = Some("n".to_owned());
    want.depot.password = Some("p".into());
    want.depot.download_token = Some("t".into());
    want.depot.schedule = "0 0 1 * * *".to_owned();
    want.downstream.user = Some("r".to_owned());
    want.downstream.anonymous = true;
    want.blob_store = Some("s3://bucket/site-a".to_owned());
    want.s3.endpoint = Some("https://minio.example.com:9000".to_owned());
    want.s3.region = "eu-west-1".to_owned();
    want.s3.credentials_file = Some("/etc/depotd/s3.toml".into());
    want.s3.allow_http = true;
    assert_eq!(c, want);
    let c = serve(&[
        "--tls-cert=/c.pem",
        "--tls-key=/k.pem",
        "--secret-key-file=/s",
    ])
    .unwrap();
    assert_eq!(c.tls_cert, Some("/c.pem".into()));
    assert_eq!(c.tls_key, Some("/k.pem".into()));
    assert_eq!(c.secret_key_file, Some("/s".into()));
}

/// The real binary, so that its environment is ours to set: a flag beats its variable,
/// which beats the file, for a key in a section (`depot.schedule`); a bad schedule
/// stops `serve` before it opens anything, naming the one that won.
#[test]
fn flag_beats_variable_beats_file_in_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("depotd.toml");
    std::fs::write(&file, "[depot]\nschedule = \"from-file\"\n").unwrap();
    let run = |env: Option<&str>, flag: Option<&str>| {
        let mut c = std::process::Command::new(BIN);
        c.arg("serve")
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env_remove("DEPOTD_DEPOT_SCHEDULE")
            .env("DEPOTD_CONFIG", &file);
        if let Some(env) = env {
            c.env("DEPOTD_DEPOT_SCHEDULE", env);
        }
        if let Some(flag) = flag {
            c.arg("--depot-schedule").arg(flag);
        }
        let out = c.output().unwrap();
        assert!(!out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let err = run(None, None);
    assert!(err.contains("\"from-file\""), "{err}");
    let err = run(Some("from-env"), None);
    assert!(err.contains("\"from-env\""), "{err}");
    let err = run(Some("from-env"), Some("from-flag"));
    assert!(err.contains("\"from-flag\""), "{err}");
    assert!(
        !dir.path().join("data").exists(),
        "nothing was opened before the configuration was valid"
    );
}
