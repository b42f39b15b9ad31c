//! OCI images from nothing: one layer holding mlship (`/mlship`), the
//! artifact (`/model.mlship`), passwd/group entries for the non-root user and,
//! for a dynamically linked mlship (the default release build), the dynamic
//! loader and exactly the shared libraries its ELF headers name (`elf.rs`),
//! each at the path the loader looks it up at; a config whose entrypoint
//! serves the model on 0.0.0.0:5000 as uid 65532 and logs every scored row
//! to the volume `/var/log/mlship` (its folder in the layer owned by that
//! user, so Docker's volume for it is writable); labels with the model's
//! name, version, metrics and data fingerprint. A static binary (a cross-built
//! one given with `--binary`) gets no libraries.
//!
//! Reproducible to the byte: entries in a fixed order with fixed owners, modes
//! and mtimes, gzip with a zero timestamp, JSON with sorted keys, and the
//! "created" time taken from the artifact, not the clock. The same binary,
//! libraries and model always give the same manifest digest.

use crate::elf::{self, RuntimeFiles};
use crate::manifests::{LOG_DIR, NON_ROOT_ID};
use crate::ShipError;
use flate2::{Compression, GzBuilder};
use mlship_artifact::Artifact;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// The media type of the image manifest we push.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The media type of the image config blob.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
/// The media type of the one gzipped layer.
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// The labels an image carries about its model.
#[derive(Debug, Clone)]
pub struct ImageLabels {
    pairs: Vec<(String, String)>,
}

impl ImageLabels {
    /// The labels for `artifact`, whose payload sha256 is `digest`: the OCI title, version, creation time and
    /// description, then the model's name, id, task, target, and every metric of its task on the hold-out
    /// and as the cross-validation mean (`io.mlship.metrics.holdout.r2`, `….cv.accuracy`, `….holdout.prec`).
    pub fn from_artifact(artifact: &Artifact, digest: &str) -> Self {
        let metric_labels = |scope: &str, scores: &mlship_artifact::Scores| -> Vec<(String, String)> {
            scores
                .iter()
                .map(|(name, value)| {
                    let key = name.trim_end_matches('.').to_lowercase();
                    (format!("io.mlship.metrics.{scope}.{key}"), format!("{value:.6}"))
                })
                .collect()
        };
        let pairs = [
            ("org.opencontainers.image.title", artifact.name.clone()),
            ("org.opencontainers.image.version", digest.chars().take(12).collect()),
            ("org.opencontainers.image.created", artifact.created_at.clone()),
            (
                "org.opencontainers.image.description",
                format!("{} predicting {}, served by mlship", artifact.model_name, artifact.pipeline.target),
            ),
            ("io.mlship.model.name", artifact.name.clone()),
            ("io.mlship.model.version", digest.chars().take(12).collect()),
            ("io.mlship.model.sha256", digest.to_string()),
            ("io.mlship.model.id", artifact.spec.model.id().to_string()),
            ("io.mlship.model.task", artifact.pipeline.task().as_str().to_string()),
            ("io.mlship.model.target", artifact.pipeline.target.clone()),
        ];
        let tail = [
            ("io.mlship.data.sha256", artifact.data.sha256.clone()),
            ("io.mlship.data.rows", artifact.data.n_rows.to_string()),
            ("io.mlship.version", artifact.mlship_version.clone()),
        ];
        let pairs = pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .chain(metric_labels("holdout", &artifact.metrics.holdout))
            .chain(metric_labels("cv", &artifact.metrics.cv.mean))
            .chain(tail.into_iter().map(|(k, v)| (k.to_string(), v)))
            .collect();
        ImageLabels { pairs }
    }

    /// A registry version: its name and number replace the artifact's name and
    /// digest prefix, and the reference it was resolved from is kept.
    pub fn with_registry(mut self, identity: &RegistryIdentity) -> Self {
        for (key, value) in &mut self.pairs {
            match key.as_str() {
                "org.opencontainers.image.title" | "io.mlship.model.name" => *value = identity.name.clone(),
                "org.opencontainers.image.version" | "io.mlship.model.version" => *value = identity.version.to_string(),
                _ => {}
            }
        }
        self.pairs.push(("io.mlship.registry.reference".to_string(), identity.reference.clone()));
        self
    }

    /// The labels as key and value pairs, in the order the config lists them.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.pairs.clone()
    }
}

/// A built image: its blobs and their digests.
#[derive(Debug, Clone)]
pub struct BuiltImage {
    /// The layer as an uncompressed tar, reproducible to the byte.
    pub layer_tar: Vec<u8>,
    /// The same layer gzipped, as pushed.
    pub layer_gz: Vec<u8>,
    /// The image config JSON.
    pub config: Vec<u8>,
    /// The image manifest JSON.
    pub manifest: Vec<u8>,
    /// The loader and shared libraries added, as absolute paths in the image.
    pub libraries: Vec<String>,
}

/// The OCI digest of `bytes`: `sha256:` and lower-case hex.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl BuiltImage {
    /// The manifest's digest, which names the image in a registry.
    pub fn manifest_digest(&self) -> String {
        sha256_digest(&self.manifest)
    }
    /// The config blob's digest (the image ID).
    pub fn config_digest(&self) -> String {
        sha256_digest(&self.config)
    }
    /// The compressed layer's digest, as the manifest and the registry name it.
    pub fn layer_digest(&self) -> String {
        sha256_digest(&self.layer_gz)
    }
    /// The uncompressed layer's digest, as the config's `diff_ids` list it.
    pub fn diff_id(&self) -> String {
        sha256_digest(&self.layer_tar)
    }
}

fn io_error(path: &Path, error: std::io::Error) -> ShipError {
    ShipError::File { path: path.display().to_string(), source: error }
}

fn append_file(builder: &mut tar::Builder<&mut Vec<u8>>, path: &str, mode: u32, bytes: &[u8]) -> std::io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_path(path)?;
    header.set_size(bytes.len() as u64);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    builder.append(&header, bytes)
}

fn append_dir(builder: &mut tar::Builder<&mut Vec<u8>>, path: &str) -> std::io::Result<()> {
    append_dir_owned(builder, path, 0)
}

/// A folder owned by `owner` (uid and gid), mode 755.
fn append_dir_owned(builder: &mut tar::Builder<&mut Vec<u8>>, path: &str, owner: u32) -> std::io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_path(path)?;
    header.set_size(0);
    header.set_mode(0o755);
    header.set_uid(owner.into());
    header.set_gid(owner.into());
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Directory);
    header.set_cksum();
    builder.append(&header, std::io::empty())
}

/// A layer entry: a folder, or a file with its mode and bytes.
enum Entry<'a> {
    Dir,
    /// A folder the non-root user writes to (the inference log volume).
    OwnedDir,
    File(u32, &'a [u8]),
}

/// Every file with its parent folders, keyed by path (folders end in `/`):
/// the map's order is the tar's order, and a parent sorts before its children.
fn layer_entries<'a>(files: Vec<(String, u32, &'a [u8])>) -> Result<BTreeMap<String, Entry<'a>>, ShipError> {
    let mut entries = BTreeMap::new();
    for (path, mode, bytes) in files {
        for (idx, _) in path.match_indices('/') {
            entries.insert(path[..=idx].to_string(), Entry::Dir);
        }
        if entries.insert(path.clone(), Entry::File(mode, bytes)).is_some() {
            return Err(ShipError::Invalid(format!("/{path} would be in the image twice")));
        }
    }
    if let Some(dir) = entries.keys().find(|key| key.ends_with('/') && entries.contains_key(key.trim_end_matches('/')))
    {
        return Err(ShipError::Invalid(format!(
            "/{} would be both a file and a folder in the image",
            dir.trim_end_matches('/')
        )));
    }
    Ok(entries)
}

fn layer(binary: &[u8], model: &[u8], runtime: &RuntimeFiles) -> Result<Vec<u8>, ShipError> {
    let passwd =
        format!("root:x:0:0:root:/:/sbin/nologin\nnonroot:x:{NON_ROOT_ID}:{NON_ROOT_ID}:nonroot:/:/sbin/nologin\n");
    let group = format!("root:x:0:\nnonroot:x:{NON_ROOT_ID}:\n");
    let mut files = vec![
        ("etc/group".to_string(), 0o644, group.as_bytes()),
        ("etc/passwd".to_string(), 0o644, passwd.as_bytes()),
        ("mlship".to_string(), 0o755, binary),
        ("model.mlship".to_string(), 0o644, model),
    ];
    for library in &runtime.libraries {
        files.push((library.image_path.trim_start_matches('/').to_string(), 0o755, library.bytes.as_slice()));
    }
    let mut entries = layer_entries(files)?;
    // The log volume's folder, owned by the user the server runs as: Docker
    // copies it (owner included) into the volume it creates for it.
    let log_dir = LOG_DIR.trim_start_matches('/');
    for (idx, _) in log_dir.match_indices('/') {
        entries.entry(log_dir[..=idx].to_string()).or_insert(Entry::Dir);
    }
    entries.insert(format!("{log_dir}/"), Entry::OwnedDir);
    let mut tar_bytes = Vec::new();
    let mut builder = tar::Builder::new(&mut tar_bytes);
    let written: std::io::Result<()> = entries.iter().try_for_each(|(path, entry)| match entry {
        Entry::Dir => append_dir(&mut builder, path),
        Entry::OwnedDir => append_dir_owned(&mut builder, path, NON_ROOT_ID),
        Entry::File(mode, bytes) => append_file(&mut builder, path, *mode, bytes),
    });
    written.and_then(|()| builder.finish()).map_err(|e| ShipError::Invalid(format!("cannot write the layer: {e}")))?;
    drop(builder);
    Ok(tar_bytes)
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzBuilder::new().mtime(0).operating_system(255).write(Vec::new(), Compression::default());
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// A model resolved from the registry (`insurance@production` → version 3).
#[derive(Debug, Clone)]
pub struct RegistryIdentity {
    /// The registered model's name.
    pub name: String,
    /// The version the reference resolved to.
    pub version: i64,
    /// The reference as the user gave it, e.g. `insurance@production`.
    pub reference: String,
}

/// Builds the image in memory from mlship (with what it needs to run, read
/// from its ELF headers) and a model file; the entrypoint serves on
/// 0.0.0.0:`port`.
pub fn build(binary_path: &Path, model_path: &Path, port: u16) -> Result<BuiltImage, ShipError> {
    build_with_identity(binary_path, model_path, port, None)
}

/// As `build`, labelling the image with the registry version it came from.
pub fn build_with_identity(
    binary_path: &Path,
    model_path: &Path,
    port: u16,
    identity: Option<&RegistryIdentity>,
) -> Result<BuiltImage, ShipError> {
    let (artifact, digest) = Artifact::load_with_digest(model_path)?;
    let binary = std::fs::read(binary_path).map_err(|e| io_error(binary_path, e))?;
    let runtime = elf::runtime_files(binary_path, &binary)?;
    let model = std::fs::read(model_path).map_err(|e| io_error(model_path, e))?;
    let mut labels = ImageLabels::from_artifact(&artifact, &digest);
    if let Some(identity) = identity {
        labels = labels.with_registry(identity);
    }
    let layer_tar = layer(&binary, &model, &runtime)?;
    let layer_gz = gzip(&layer_tar).map_err(|e| io_error(model_path, e))?;
    let created = artifact.created_at.clone();
    let config = config_json(&labels, port, &created, &runtime.library_path, &layer_tar);
    let config = serde_json::to_vec(&config)?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": { "mediaType": CONFIG_MEDIA_TYPE, "digest": sha256_digest(&config), "size": config.len() },
        "layers": [{ "mediaType": LAYER_MEDIA_TYPE, "digest": sha256_digest(&layer_gz), "size": layer_gz.len() }],
        "annotations": { "org.opencontainers.image.created": created },
    });
    let manifest = serde_json::to_vec(&manifest)?;
    let libraries = runtime.libraries.into_iter().map(|library| library.image_path).collect();
    Ok(BuiltImage { layer_tar, layer_gz, config, manifest, libraries })
}

/// The image config. `Env` appears only when a library came from an
/// `ld.so.conf` folder (the image has no `ld.so.cache` to point there).
fn config_json(labels: &ImageLabels, port: u16, created: &str, library_path: &[String], layer_tar: &[u8]) -> Value {
    let label_map: serde_json::Map<String, Value> =
        labels.pairs().into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    let mut config = json!({
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {
            "User": format!("{NON_ROOT_ID}:{NON_ROOT_ID}"),
            "Entrypoint": ["/mlship"],
            "Cmd": ["serve", "--model", "/model.mlship", "--host", "0.0.0.0", "--port", port.to_string(), "--log-inferences", LOG_DIR],
            "ExposedPorts": { format!("{port}/tcp"): {} },
            // Inference logs go to a volume: Docker gives each container one
            // unless the user mounts their own.
            "Volumes": { LOG_DIR: {} },
            "WorkingDir": "/",
            "Labels": label_map,
        },
        "rootfs": { "type": "layers", "diff_ids": [sha256_digest(layer_tar)] },
        "history": [{ "created": created, "created_by": format!("mlship image build (mlship {})", env!("CARGO_PKG_VERSION")) }],
    });
    if !library_path.is_empty() {
        config["config"]["Env"] = json!([format!("LD_LIBRARY_PATH={}", library_path.join(":"))]);
    }
    config
}

fn write_blob(dir: &Path, bytes: &[u8]) -> Result<(), ShipError> {
    let hex = hex::encode(Sha256::digest(bytes));
    let path = dir.join("blobs").join("sha256").join(hex);
    std::fs::write(&path, bytes).map_err(|e| io_error(&path, e))
}

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/…`),
/// as skopeo, crane and `docker load` (25+) read it. `index.json` is written
/// last, so an interrupted write is never a valid layout.
pub fn write_oci_layout(image: &BuiltImage, dir: &Path, tag: &str) -> Result<(), ShipError> {
    let blobs = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blobs).map_err(|e| io_error(&blobs, e))?;
    write_blob(dir, &image.layer_gz)?;
    write_blob(dir, &image.config)?;
    write_blob(dir, &image.manifest)?;
    let layout = dir.join("oci-layout");
    std::fs::write(&layout, br#"{"imageLayoutVersion":"1.0.0"}"#).map_err(|e| io_error(&layout, e))?;
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": MANIFEST_MEDIA_TYPE,
            "digest": image.manifest_digest(),
            "size": image.manifest.len(),
            "annotations": { "org.opencontainers.image.ref.name": tag, "io.containerd.image.name": tag }
        }]
    });
    let index_path = dir.join("index.json");
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap_or_default()).map_err(|e| io_error(&index_path, e))
}

/// A `docker save`-style archive for `docker load`, written to a temporary
/// file beside `path` and renamed into place.
pub fn write_docker_archive(image: &BuiltImage, path: &Path, tag: &str) -> Result<(), ShipError> {
    let config_hex = hex::encode(Sha256::digest(&image.config));
    let layer_hex = hex::encode(Sha256::digest(&image.layer_tar));
    let manifest = json!([{
        "Config": format!("{config_hex}.json"),
        "RepoTags": [tag],
        "Layers": [format!("{layer_hex}/layer.tar")],
    }]);
    let mut archive = Vec::new();
    {
        let mut builder = tar::Builder::new(&mut archive);
        let result = (|| {
            append_file(&mut builder, &format!("{config_hex}.json"), 0o644, &image.config)?;
            append_dir(&mut builder, &format!("{layer_hex}/"))?;
            append_file(&mut builder, &format!("{layer_hex}/layer.tar"), 0o644, &image.layer_tar)?;
            append_file(&mut builder, "manifest.json", 0o644, &serde_json::to_vec(&manifest).unwrap_or_default())?;
            builder.finish()
        })();
        result.map_err(|e| io_error(path, e))?;
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut temporary = tempfile::NamedTempFile::new_in(dir).map_err(|e| io_error(path, e))?;
    temporary.write_all(&archive).map_err(|e| io_error(path, e))?;
    mlship_artifact::make_readable(temporary.as_file()).map_err(|e| io_error(path, e))?;
    temporary.persist(path).map_err(|e| io_error(path, e.error))?;
    Ok(())
}
