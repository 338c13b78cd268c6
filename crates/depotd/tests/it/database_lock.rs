//! One SQLite database serves one server: a second server on the same file, from
//! another data dir, is refused until the first is gone.

use depotd::app::App;
use depotd::config::Config;
use depotd::data_dir::DataDir;

async fn open(database: &str, data_dir: &DataDir) -> anyhow::Result<App> {
    let config = Config {
        data_dir: data_dir.path().to_path_buf(),
        database_url: Some(database.into()),
        ..Config::default()
    };
    App::open(config, data_dir, Vec::new()).await
}

#[tokio::test]
async fn a_second_server_on_one_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("shared.db").display());
    let (one, two) = (
        DataDir::open(&dir.path().join("one")).unwrap(),
        DataDir::open(&dir.path().join("two")).unwrap(),
    );
    let first = open(&database, &one).await.unwrap();
    let err = format!("{:#}", open(&database, &two).await.err().unwrap());
    assert!(
        err.contains("shared.db") && err.contains("in use by another depotd server"),
        "{err}"
    );
    let clone = first.clone();
    drop(first);
    assert!(
        open(&database, &two).await.is_err(),
        "a clone still holds it"
    );
    drop(clone);
    open(&database, &two).await.unwrap();
    // In-memory databases are private to their server: nothing to lock.
    open("sqlite::memory:", &one).await.unwrap();
    open("sqlite::memory:", &two).await.unwrap();
}
