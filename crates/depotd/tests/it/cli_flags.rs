//! Every flag and variable name, per subcommand: `serve` takes every configuration flag,
//! the other commands only the ones they use.

use clap::{CommandFactory, Parser};
use depotd::cli::Cli;

/// `(flag, variable)` of every option of `depotd <path…>`, sorted.
fn options(path: &[&str]) -> Vec<(String, Option<String>)> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut cmd = &cmd;
    for name in path {
        cmd = cmd.find_subcommand(name).unwrap();
    }
    let mut options: Vec<_> = cmd
        .get_arguments()
        .filter_map(|a| {
            let long = a.get_long()?;
            let env = a.get_env().map(|e| e.to_string_lossy().into_owned());
            Some((long.to_owned(), env))
        })
        .filter(|(long, _)| long != "help" && long != "version")
        .collect();
    options.sort();
    options
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    let mut v: Vec<_> = expected
        .iter()
        .map(|(l, e)| ((*l).to_owned(), (!e.is_empty()).then(|| (*e).to_owned())))
        .collect();
    v.sort();
    v
}

const CONFIG_FLAGS: [(&str, &str); 10] = [
    ("config", "DEPOTD_CONFIG"),
    ("data-dir", "DEPOTD_DATA_DIR"),
    ("database-url", "DEPOTD_DATABASE_URL"),
    ("blob-store", "DEPOTD_BLOB_STORE"),
    ("s3-endpoint", "DEPOTD_S3_ENDPOINT"),
    ("s3-region", "DEPOTD_S3_REGION"),
    ("s3-credentials-file", "DEPOTD_S3_CREDENTIALS_FILE"),
    ("s3-allow-http", "DEPOTD_S3_ALLOW_HTTP"),
    ("log-level", "DEPOTD_LOG_LEVEL"),
    ("log-format", "DEPOTD_LOG_FORMAT"),
];

#[test]
fn serve_takes_every_configuration_flag_under_its_old_name() {
    let mut expected = CONFIG_FLAGS.to_vec();
    expected.extend([
        ("listen", "DEPOTD_LISTEN"),
        ("plain-http", "DEPOTD_PLAIN_HTTP"),
        ("public-url", "DEPOTD_PUBLIC_URL"),
        ("tls-cert", "DEPOTD_TLS_CERT"),
        ("tls-key", "DEPOTD_TLS_KEY"),
        ("secret-key-file", "DEPOTD_SECRET_KEY_FILE"),
        ("shutdown-grace-seconds", "DEPOTD_SHUTDOWN_GRACE_SECONDS"),
        ("max-body-bytes", "DEPOTD_MAX_BODY_BYTES"),
        ("session-idle-seconds", "DEPOTD_SESSION_IDLE_SECONDS"),
        ("refresh-idle-seconds", "DEPOTD_REFRESH_IDLE_SECONDS"),
        ("session-cache-seconds", "DEPOTD_SESSION_CACHE_SECONDS"),
        (
            "session-max-lifetime-seconds",
            "DEPOTD_SESSION_MAX_LIFETIME_SECONDS",
        ),
        (
            "refresh-max-lifetime-seconds",
            "DEPOTD_REFRESH_MAX_LIFETIME_SECONDS",
        ),
        ("max-concurrent-hashes", "DEPOTD_MAX_CONCURRENT_HASHES"),
        ("max-queued-hashes", "DEPOTD_MAX_QUEUED_HASHES"),
        ("trusted-proxy", "DEPOTD_TRUSTED_PROXIES"),
        ("task-workers", "DEPOTD_TASK_WORKERS"),
        ("task-retention-hours", "DEPOTD_TASK_RETENTION_HOURS"),
        ("task-lease-seconds", "DEPOTD_TASK_LEASE_SECONDS"),
        ("import-dir", "DEPOTD_IMPORT_DIR"),
        ("catalog-trust", "DEPOTD_CATALOG_TRUST"),
        ("max-catalog-bytes", "DEPOTD_MAX_CATALOG_BYTES"),
        ("depot-url", "DEPOTD_DEPOT_URL"),
        ("depot-offline", "DEPOTD_DEPOT_OFFLINE"),
        ("depot-username", "DEPOTD_DEPOT_USERNAME"),
        ("depot-password", "DEPOTD_DEPOT_PASSWORD"),
        ("depot-download-token", "DEPOTD_DEPOT_DOWNLOAD_TOKEN"),
        ("depot-schedule", "DEPOTD_DEPOT_SCHEDULE"),
        ("downstream-user", "DEPOTD_DOWNSTREAM_USER"),
        ("downstream-anonymous", "DEPOTD_DOWNSTREAM_ANONYMOUS"),
        (
            "http-header-read-timeout-seconds",
            "DEPOTD_HTTP_HEADER_READ_TIMEOUT_SECONDS",
        ),
        (
            "http-idle-timeout-seconds",
            "DEPOTD_HTTP_IDLE_TIMEOUT_SECONDS",
        ),
        (
            "http-body-min-rate-bytes",
            "DEPOTD_HTTP_BODY_MIN_RATE_BYTES",
        ),
        (
            "http-body-rate-window-seconds",
            "DEPOTD_HTTP_BODY_RATE_WINDOW_SECONDS",
        ),
        (
            "http-send-timeout-seconds",
            "DEPOTD_HTTP_SEND_TIMEOUT_SECONDS",
        ),
        ("http-max-connections", "DEPOTD_HTTP_MAX_CONNECTIONS"),
        ("http-max-h2-streams", "DEPOTD_HTTP_MAX_H2_STREAMS"),
    ]);
    assert_eq!(options(&["serve"]), pairs(&expected));
}

#[test]
fn other_commands_take_only_the_flags_they_use() {
    for path in [
        &["user", "add"][..],
        &["user", "passwd"],
        &["user", "role"],
        &["user", "list"],
        &["user", "rm"],
        &["blobs", "gc"],
        &["catalog", "sign"],
        &["catalog", "history"],
    ] {
        let mut expected = CONFIG_FLAGS.to_vec();
        match path {
            ["user", "add"] => expected.push(("role", "")),
            ["blobs", "gc"] => expected.push(("now", "")),
            ["catalog", "sign"] => {
                expected.extend([("key", ""), ("cert", ""), ("digest", ""), ("out", "")]);
            }
            _ => {}
        }
        assert_eq!(options(path), pairs(&expected), "depotd {path:?}");
    }
    let mut expected = CONFIG_FLAGS.to_vec();
    expected.extend([("signature", ""), ("catalog-trust", "DEPOTD_CATALOG_TRUST")]);
    assert_eq!(options(&["catalog", "verify"]), pairs(&expected));
}

#[test]
fn user_add_help_lists_only_its_flags() {
    let mut cmd = Cli::command();
    let help = cmd
        .try_get_matches_from_mut(["depotd", "user", "add", "--help"])
        .unwrap_err()
        .render()
        .to_string();
    for present in ["--data-dir", "--database-url", "--config", "--role"] {
        assert!(help.contains(present), "{present} missing:\n{help}");
    }
    for absent in [
        "--listen",
        "--tls-cert",
        "--depot-schedule",
        "--task-workers",
    ] {
        assert!(!help.contains(absent), "{absent} listed:\n{help}");
    }
}

#[test]
fn flags_may_follow_the_subcommand_or_precede_it() {
    for args in [
        &["depotd", "user", "list", "--data-dir", "/d"][..],
        &["depotd", "user", "--data-dir", "/d", "list"],
        &["depotd", "blobs", "gc", "--now", "--data-dir", "/d"],
        &[
            "depotd",
            "catalog",
            "sign",
            "f",
            "--key",
            "k",
            "--data-dir",
            "/d",
        ],
    ] {
        let cli = Cli::try_parse_from(args).unwrap();
        assert_eq!(
            cli.command.load_config().unwrap().data_dir,
            std::path::PathBuf::from("/d"),
            "{args:?}"
        );
    }
    let err =
        Cli::try_parse_from(["depotd", "user", "list", "--listen", "127.0.0.1:1"]).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
}
