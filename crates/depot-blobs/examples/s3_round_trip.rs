//! Writes a file into the S3 blob store and reads it back, timing each way (for
//! `bench/s3.sh`). Usage: `s3_round_trip FILE` with `DEPOTD_TEST_S3_ENDPOINT`,
//! `DEPOTD_TEST_S3_BUCKET` and the `AWS_*` credentials set (as `scripts/s3.sh` does).
//! Prints `put_seconds get_seconds`.

use std::time::Instant;

use depot_blobs::{BlobStore, Expected, S3BlobStore, S3Config};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = std::env::args().nth(1).ok_or("usage: s3_round_trip FILE")?;
    let config = S3Config {
        bucket: std::env::var("DEPOTD_TEST_S3_BUCKET")?,
        prefix: format!("bench-{}", std::process::id()),
        endpoint: Some(std::env::var("DEPOTD_TEST_S3_ENDPOINT")?),
        region: "us-east-1".to_owned(),
        credentials: None,
        allow_http: true,
        spool_dir: std::env::temp_dir(),
        copy_limit: depot_blobs::AWS_COPY_LIMIT,
    };
    let store = S3BlobStore::new(&config)?;
    store.check_writable().await?;

    let started = Instant::now();
    let mut reader = tokio::fs::File::open(&file).await?;
    let info = store.put(&mut reader, Expected::default()).await?;
    let put = started.elapsed();

    let started = Instant::now();
    let (mut blob, size) = store.open(&info.digest).await?;
    let copied = tokio::io::copy(&mut blob, &mut tokio::io::sink()).await?;
    let get = started.elapsed();
    assert_eq!(copied, size);
    store.delete(&info.digest).await?;
    println!("{:.3} {:.3}", put.as_secs_f64(), get.as_secs_f64());
    Ok(())
}
