//! The current catalog as served: its serialized bytes (and, made on first demand, its
//! compressed forms), plus its parsed form for merges — all cached by version id.

use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use bytes::Bytes;
use depot_blobs::BlobStore;
use depot_catalog::ProductVersionCatalog;
use depot_metadata::{MetadataStore, RemoteWrites};
use depot_model::CatalogVersion;

use crate::CatalogServiceError;

/// A form the catalog is served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The bytes as accepted.
    Identity,
    /// gzip (RFC 1952): what Python `requests` asks for.
    Gzip,
    /// Zstandard (RFC 8878): about a fifth smaller than gzip on catalogs, whose
    /// checksums and ids do not compress.
    Zstd,
}

/// The zstd level: on catalogs, levels 17 and up are the ones that find the repeated
/// structure between patches; 17 does so at about half the time of 19.
const ZSTD_LEVEL: i32 = 17;

/// The gzip level, of libdeflate: on a 10 MB catalog level 10 gives 10% fewer bytes
/// than zlib's best in about a third of a second (12 saves another 0.5% in 1.5 s).
const GZIP_LEVEL: libdeflater::CompressionLvl = match libdeflater::CompressionLvl::new(10) {
    Ok(level) => level,
    Err(_) => libdeflater::CompressionLvl::best(),
};

/// The cached forms of one catalog version.
pub struct CachedCatalog {
    /// The version.
    pub version: CatalogVersion,
    /// The catalog as served.
    pub bytes: Bytes,
    gzip: OnceLock<Bytes>,
    zstd: OnceLock<Bytes>,
    parsed: Option<Arc<ProductVersionCatalog>>,
}

impl CachedCatalog {
    /// The parsed form: cached when the version was accepted by this process, else parsed
    /// now (blocking: call off the async executor).
    pub fn parsed_or_parse(
        &self,
    ) -> Result<Arc<ProductVersionCatalog>, depot_catalog::CatalogError> {
        match &self.parsed {
            Some(parsed) => Ok(Arc::clone(parsed)),
            None => depot_catalog::parse_catalog(&self.bytes).map(Arc::new),
        }
    }

    /// The catalog in `encoding`, compressed on first use (blocking then: call off the
    /// async executor; concurrent first callers wait for one compression).
    pub fn encoded(&self, encoding: Encoding) -> Bytes {
        match encoding {
            Encoding::Identity => self.bytes.clone(),
            Encoding::Gzip => self.gzip.get_or_init(|| gzip(&self.bytes)).clone(),
            Encoding::Zstd => self.zstd.get_or_init(|| zstd(&self.bytes)).clone(),
        }
    }

    /// Whether the catalog in `encoding` is at hand without compressing.
    pub fn has(&self, encoding: Encoding) -> bool {
        match encoding {
            Encoding::Identity => true,
            Encoding::Gzip => self.gzip.get().is_some(),
            Encoding::Zstd => self.zstd.get().is_some(),
        }
    }
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut compressor = libdeflater::Compressor::new(GZIP_LEVEL);
    let mut out = vec![0; compressor.gzip_compress_bound(bytes.len())];
    // The buffer has the worst case's size, so compressing cannot run out of it.
    let len = compressor.gzip_compress(bytes, &mut out).unwrap_or(0);
    out.truncate(len);
    Bytes::from(out)
}

fn zstd(bytes: &[u8]) -> Bytes {
    // Compressing from memory into memory cannot fail.
    Bytes::from(zstd::bulk::compress(bytes, ZSTD_LEVEL).unwrap_or_default())
}

/// Whether the cache may answer without asking the store which version is current.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Validation {
    /// Ask the store on every read (one small query): other processes — replicas on a
    /// shared database — may accept catalogs.
    #[default]
    EachRead,
    /// Every catalog is accepted by this process (an embedded database that one server
    /// holds), and each accept refreshes the cache: once a version is cached it is the
    /// current one until the next accept replaces it.
    LocalWrites,
    /// Other processes may accept catalogs and announce their writes (replicas on one
    /// PostgreSQL database): the store is asked again only after another process's
    /// write was announced since the last answer, or while announcements cannot be
    /// heard ([`RemoteWrites`](depot_metadata::RemoteWrites)).
    Announced,
}

/// The cache of the current catalog.
#[derive(Default)]
pub struct CurrentCache {
    validation: Validation,
    entry: RwLock<Option<Arc<CachedCatalog>>>,
    /// `Announced`: the remote-writes mark before the store last named the current
    /// version, and that version's id.
    checked: Mutex<Option<(u64, i64)>>,
    /// The store's remote writes, taken at the first read (one store per cache).
    remote_writes: OnceLock<RemoteWrites>,
}

impl CurrentCache {
    /// An empty cache.
    #[must_use]
    pub fn new(validation: Validation) -> Self {
        Self {
            validation,
            entry: RwLock::default(),
            checked: Mutex::default(),
            remote_writes: OnceLock::new(),
        }
    }

    /// The current version and its cached forms: from the cache when it holds the
    /// current version, else read from the blob store.
    pub async fn get(
        &self,
        store: &dyn MetadataStore,
        blobs: &dyn BlobStore,
    ) -> Result<Option<(CatalogVersion, Arc<CachedCatalog>)>, CatalogServiceError> {
        if self.validation == Validation::LocalWrites
            && let Some(cached) = self.entry()
        {
            return Ok(Some((cached.version.clone(), cached)));
        }
        let mark = (self.validation == Validation::Announced)
            .then(|| {
                self.remote_writes
                    .get_or_init(|| store.remote_writes())
                    .mark()
            })
            .flatten();
        if let Some(cached) = mark.and_then(|m| self.unchanged_since(m)) {
            return Ok(Some((cached.version.clone(), cached)));
        }
        let Some(version) = store.current_catalog().await? else {
            return Ok(None);
        };
        let cached = if let Some(cached) = self.entry().filter(|c| c.version.id == version.id) {
            cached
        } else {
            let bytes = load(blobs, &version).await?;
            self.put(version.clone(), bytes, None)
        };
        if let Some(mark) = mark {
            *self.checked.lock().unwrap_or_else(PoisonError::into_inner) = Some((mark, version.id));
        }
        Ok(Some((version, cached)))
    }

    /// The cached entry, if the store named it current at `mark` and `mark` is still
    /// the current one (no other process's write announced since).
    fn unchanged_since(&self, mark: u64) -> Option<Arc<CachedCatalog>> {
        let checked = *self.checked.lock().unwrap_or_else(PoisonError::into_inner);
        let (at, id) = checked?;
        (at == mark)
            .then(|| self.entry())
            .flatten()
            .filter(|c| c.version.id == id)
    }

    /// The parsed form of version `id`, if cached.
    pub fn parsed(&self, id: i64) -> Option<Arc<ProductVersionCatalog>> {
        self.entry()
            .filter(|c| c.version.id == id)
            .and_then(|c| c.parsed.clone())
    }

    /// Remembers a version's content (and parsed form) just accepted or loaded. The
    /// cache keeps the newer version when a load of an older one lands after an accept.
    pub fn put(
        &self,
        version: CatalogVersion,
        bytes: Bytes,
        parsed: Option<Arc<ProductVersionCatalog>>,
    ) -> Arc<CachedCatalog> {
        let entry = Arc::new(CachedCatalog {
            version,
            bytes,
            gzip: OnceLock::new(),
            zstd: OnceLock::new(),
            parsed,
        });
        let mut slot = self.entry.write().unwrap_or_else(PoisonError::into_inner);
        if slot
            .as_ref()
            .is_none_or(|cached| cached.version.id <= entry.version.id)
        {
            *slot = Some(Arc::clone(&entry));
        }
        entry
    }

    fn entry(&self) -> Option<Arc<CachedCatalog>> {
        self.entry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Reads a version's content blob.
pub async fn load(
    blobs: &dyn BlobStore,
    version: &CatalogVersion,
) -> Result<Bytes, CatalogServiceError> {
    // The record says how large the content is: more would be a damaged store.
    Ok(Bytes::from(
        blobs
            .read_all(&version.content_digest, version.content_size)
            .await?,
    ))
}

/// Shared handle.
pub type SharedCache = Arc<CurrentCache>;

#[cfg(test)]
mod tests {
    use depot_blobs::{Expected, FsBlobStore};
    use depot_model::{CatalogChange, Sha256Digest, TaskId};

    use super::*;

    struct Parts {
        store: Arc<dyn MetadataStore>,
        blobs: FsBlobStore,
        _dir: tempfile::TempDir,
    }

    async fn parts() -> Parts {
        let dir = tempfile::tempdir().unwrap();
        Parts {
            store: Arc::new(
                depot_metadata::SqliteStore::connect("sqlite::memory:")
                    .await
                    .unwrap(),
            ),
            blobs: FsBlobStore::open(dir.path()).await.unwrap(),
            _dir: dir,
        }
    }

    /// Stores `content` and makes it current, bypassing any cache (as another
    /// replica would).
    async fn accept(p: &Parts, sequence: i64, content: &[u8]) -> (CatalogVersion, Bytes) {
        let info = p
            .blobs
            .put(&mut &content[..], Expected::default())
            .await
            .unwrap();
        let previous = p.store.current_catalog().await.unwrap().map(|c| c.id);
        let version = CatalogVersion {
            id: 0,
            sequence_number: sequence,
            content_digest: info.digest,
            content_size: content.len() as u64,
            file_digest: info.digest,
            change: CatalogChange::Replace,
            accepted_by: "test".into(),
            accepted_at: depot_model::now(),
            task_id: TaskId::new(),
        };
        let stored = p
            .store
            .accept_catalog(&version, previous)
            .await
            .unwrap()
            .unwrap();
        (stored, Bytes::copy_from_slice(content))
    }

    async fn served(cache: &CurrentCache, p: &Parts) -> Option<Bytes> {
        let got = cache.get(p.store.as_ref(), &p.blobs).await.unwrap();
        got.map(|(version, cached)| {
            assert_eq!(version.id, cached.version.id);
            cached.bytes.clone()
        })
    }

    #[tokio::test]
    async fn each_read_sees_versions_accepted_elsewhere() {
        let p = parts().await;
        let cache = CurrentCache::new(Validation::EachRead);
        assert_eq!(served(&cache, &p).await, None);
        accept(&p, 1, b"{\"one\":1}").await;
        assert_eq!(served(&cache, &p).await.unwrap(), &b"{\"one\":1}"[..]);
        accept(&p, 2, b"{\"two\":2}").await;
        assert_eq!(served(&cache, &p).await.unwrap(), &b"{\"two\":2}"[..]);
    }

    #[tokio::test]
    async fn announced_serves_the_checked_version_until_another_process_writes() {
        let p = parts().await;
        let cache = CurrentCache::new(Validation::Announced);
        assert_eq!(served(&cache, &p).await, None);
        let (_, one) = accept(&p, 1, b"{\"one\":1}").await;
        // Nothing was cached yet: the store is asked.
        assert_eq!(served(&cache, &p).await.unwrap(), one);
        // SQLite announces nothing: a write behind the cache's back is not seen...
        let (v2, two) = accept(&p, 2, b"{\"two\":2}").await;
        assert_eq!(served(&cache, &p).await.unwrap(), one);
        // ...but this process's own accept is.
        cache.put(v2, two.clone(), None);
        assert_eq!(served(&cache, &p).await.unwrap(), two);
    }

    /// Two replicas on one PostgreSQL schema (skipped without `DEPOTD_TEST_POSTGRES_URL`):
    /// a catalog accepted through one is served by the other's cache once announced.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn announced_follows_catalogs_accepted_by_another_replica() {
        let Some(url) = std::env::var("DEPOTD_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            assert!(
                std::env::var("DEPOTD_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "DEPOTD_REQUIRE_POSTGRES=1 but DEPOTD_TEST_POSTGRES_URL is not set"
            );
            return;
        };
        let schema = format!(
            "catalog_cache_{}",
            TaskId::new().to_string().replace('-', "")
        );
        let open = || depot_metadata::PostgresStore::connect_in_schema(&url, &schema);
        let (writer, reader) = (open().await.unwrap(), open().await.unwrap());
        // One blob directory: blobs are not what this test is about.
        let dir = tempfile::tempdir().unwrap();
        let blobs = dir.path().to_path_buf();
        let p = Parts {
            store: Arc::new(writer),
            blobs: FsBlobStore::open(&blobs).await.unwrap(),
            _dir: dir,
        };
        let reader = Parts {
            store: Arc::new(reader),
            blobs: FsBlobStore::open(&blobs).await.unwrap(),
            _dir: tempfile::tempdir().unwrap(),
        };
        let cache = CurrentCache::new(Validation::Announced);
        let (_, one) = accept(&p, 1, b"{\"one\":1}").await;
        assert_eq!(served(&cache, &reader).await.unwrap(), one);
        let (_, two) = accept(&p, 2, b"{\"two\":2}").await;
        let start = std::time::Instant::now();
        while served(&cache, &reader).await.unwrap() != two {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(5),
                "the accept through the other replica was not seen"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        drop((p, reader));
        depot_metadata::PostgresStore::drop_schema(
            &url,
            &schema,
            std::time::Duration::from_secs(10),
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn local_writes_serve_the_cached_version_until_an_accept_replaces_it() {
        let p = parts().await;
        let cache = CurrentCache::new(Validation::LocalWrites);
        assert_eq!(served(&cache, &p).await, None);
        let (v1, one) = accept(&p, 1, b"{\"one\":1}").await;
        assert_eq!(
            served(&cache, &p).await.unwrap(),
            one,
            "loaded on first read"
        );
        // Written behind the cache's back: not asked for, so not seen.
        let (v2, two) = accept(&p, 2, b"{\"two\":2}").await;
        assert_eq!(served(&cache, &p).await.unwrap(), one);
        // An accept by this process refreshes it.
        cache.put(v2, two.clone(), None);
        assert_eq!(served(&cache, &p).await.unwrap(), two);
        // A load of an older version landing late does not go back.
        cache.put(v1, one, None);
        assert_eq!(served(&cache, &p).await.unwrap(), two);
    }

    #[test]
    fn every_encoding_decodes_to_the_bytes() {
        let bytes = Bytes::from(format!("{{\"patches\":[{}]}}", "\"9.0.0.0\",".repeat(500)));
        let cached = CachedCatalog {
            version: CatalogVersion {
                id: 1,
                sequence_number: 1,
                content_digest: Sha256Digest::compute(&bytes),
                content_size: bytes.len() as u64,
                file_digest: Sha256Digest::compute(&bytes),
                change: CatalogChange::Replace,
                accepted_by: String::new(),
                accepted_at: depot_model::now(),
                task_id: TaskId::new(),
            },
            bytes: bytes.clone(),
            gzip: OnceLock::new(),
            zstd: OnceLock::new(),
            parsed: None,
        };
        assert!(!cached.has(Encoding::Zstd) && !cached.has(Encoding::Gzip));
        assert_eq!(cached.encoded(Encoding::Identity), bytes);
        let z = cached.encoded(Encoding::Zstd);
        assert!(z.len() < bytes.len() / 10);
        assert_eq!(zstd::decode_all(&z[..]).unwrap(), bytes);
        let g = cached.encoded(Encoding::Gzip);
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&g[..]), &mut plain).unwrap();
        assert_eq!(plain, bytes);
        assert!(cached.has(Encoding::Zstd) && cached.has(Encoding::Gzip));
    }
}
