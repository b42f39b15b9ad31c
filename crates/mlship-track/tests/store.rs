//! The store suite, run against both backends: SQLite in a temporary folder,
//! and PostgreSQL in a fresh database per test on the server named by
//! `MLSHIP_TEST_POSTGRES` (an admin URL such as
//! `postgres://mlship:mlship@127.0.0.1:5432/postgres`). `scripts/test.sh`
//! installs and starts PostgreSQL and sets `MLSHIP_REQUIRE_POSTGRES=1`, so in
//! CI a missing server fails these tests instead of skipping them.

// Tests and benches fail by panicking with the value; clippy.toml's test
// allowances do not reach their helper functions.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use mlship_testkit::golden_artifact as golden;
use mlship_track::{MetricPoint, ModelRef, ModelSource, NewRun, RunQuery, RunStatus, Store, StoreLocation, TrackError};
use sqlx::Connection;

struct Fixture {
    store: Store,
    _dir: tempfile::TempDir,
}

async fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::parse(dir.path().join("store").to_str().unwrap(), None).unwrap();
    Fixture { store: Store::open(location).await.unwrap(), _dir: dir }
}

/// A URL for a new, empty database on the test server, or None when no server is configured.
pub async fn postgres_database() -> Option<String> {
    let admin = match std::env::var("MLSHIP_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(
                std::env::var("MLSHIP_REQUIRE_POSTGRES").is_err(),
                "MLSHIP_REQUIRE_POSTGRES is set but MLSHIP_TEST_POSTGRES is not"
            );
            eprintln!("MLSHIP_TEST_POSTGRES is not set: the PostgreSQL half of this test did not run");
            return None;
        }
    };
    let mut connection = sqlx::PgConnection::connect(&admin).await.expect("connect to MLSHIP_TEST_POSTGRES");
    let name = format!(
        "mlship_test_{}",
        hex::encode(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos().to_le_bytes()
        )
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut connection).await.unwrap();
    let base = admin.rsplit_once('/').map(|(base, _)| base).unwrap();
    Some(format!("{base}/{name}"))
}

async fn postgres() -> Option<Fixture> {
    let url = postgres_database().await?;
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::parse(&url, Some(&dir.path().join("artifacts"))).unwrap();
    Some(Fixture { store: Store::open(location).await.unwrap(), _dir: dir })
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    let fixture = super::sqlite().await;
                    super::$name(&fixture.store).await;
                }
            )*
        }
        mod postgres_backend {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    if let Some(fixture) = super::postgres().await {
                        super::$name(&fixture.store).await;
                    }
                }
            )*
        }
    };
}

on_both_backends!(
    runs_keep_params_metrics_tags_and_files,
    lists_sort_and_filter,
    registry_numbers_versions_and_records_alias_moves,
    registering_never_points_at_a_missing_or_changed_artifact,
    names_are_canonical,
    models_from_before_the_skeleton_column_are_checked_too,
    stored_paths_cannot_leave_the_artifact_folder,
    migrations_apply_once_when_stores_open_together,
);

fn new_run(experiment: &str, name: &str, params: &[(&str, &str)]) -> NewRun {
    NewRun {
        experiment: experiment.to_string(),
        name: name.to_string(),
        params: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        tags: vec![("team".into(), "pricing".into())],
        git_commit: Some("0123abcd".into()),
        data_sha256: Some("ff".repeat(32)),
    }
}

fn point(key: &str, step: i64, value: f64) -> MetricPoint {
    MetricPoint { key: key.to_string(), step, value }
}

async fn finished_run(store: &Store, experiment: &str, r2: f64, mae: f64, model: &str) -> String {
    let id = store.start_run(&new_run(experiment, &format!("{model}-{r2}"), &[("model", model)])).await.unwrap();
    store.log_metrics(&id, &[point("holdout_r2", 0, r2), point("cv_mae", 0, mae)]).await.unwrap();
    let artifact = store.save_run_file(&id, "model.mlship", "model", &std::fs::read(golden()).unwrap()).await.unwrap();
    store.finish_run(&id, Some(&artifact)).await.unwrap();
    id
}

async fn runs_keep_params_metrics_tags_and_files(store: &Store) {
    let id = store.start_run(&new_run("insurance", "lr-123", &[("model", "lr"), ("fold", "10")])).await.unwrap();
    assert_eq!(store.run(&id).await.unwrap().run.status, RunStatus::Running);
    let folds: Vec<MetricPoint> = [0.81, 0.82, 0.83].iter().zip(1..).map(|(v, f)| point("fold_r2", f, *v)).collect();
    store.log_metrics(&id, &folds).await.unwrap();
    store.log_metrics(&id, &[point("fold_r2", 0, 0.1), point("holdout_r2", 0, 0.85)]).await.unwrap();
    let plot = store.save_run_file(&id, "plots/residuals.svg", "plot", b"<svg/>").await.unwrap();
    assert_eq!(plot.path, format!("runs/{id}/plots/residuals.svg"));
    store.finish_run(&id, None).await.unwrap();

    let detail = store.run(&id[..8]).await.unwrap();
    assert_eq!(detail.run.id, id);
    assert_eq!(detail.run.status, RunStatus::Finished);
    assert!(detail.run.end_time.unwrap() >= detail.run.start_time);
    assert_eq!(detail.run.params.get("fold"), Some("10"));
    assert_eq!(detail.run.tags.get("team"), Some("pricing"));
    assert_eq!(detail.git_commit.as_deref(), Some("0123abcd"));
    assert_eq!(detail.history["fold_r2"], vec![(0, 0.1), (1, 0.81), (2, 0.82), (3, 0.83)]);
    // The newest step wins, whatever order points arrive in.
    assert_eq!(detail.run.metrics.get("fold_r2"), Some(0.83));
    assert_eq!(detail.files.len(), 1);
    let (_, bytes) = store.run_file(&id, &plot.path).await.unwrap();
    assert_eq!(bytes, b"<svg/>");

    // A finished run is immutable.
    let late = store.log_metrics(&id, &[point("x", 0, 1.0)]).await.unwrap_err();
    assert!(late.to_string().contains("is FINISHED"), "{late}");
    let nan = store.start_run(&new_run("insurance", "nan", &[])).await.unwrap();
    assert!(store
        .log_metrics(&nan, &[point("r2", 0, f64::NAN)])
        .await
        .unwrap_err()
        .to_string()
        .contains("not a finite number"));
    // Values come back bit for bit through lists, whatever their magnitude.
    let exact = [0.1 + 0.2, 1e-300, -2.5e17, std::f64::consts::PI, 5e-324];
    let points: Vec<MetricPoint> = exact.iter().enumerate().map(|(i, v)| point(&format!("exact_{i}"), 0, *v)).collect();
    store.log_metrics(&nan, &points).await.unwrap();
    let listed =
        store.list_runs(&RunQuery { filter: Some("params.nothing != 'x' or 1".into()), ..Default::default() }).await;
    assert!(listed.is_err(), "or is refused");
    let listed = store.list_runs(&RunQuery::default()).await.unwrap();
    let row = listed.iter().find(|r| r.id == nan).unwrap();
    for (i, value) in exact.iter().enumerate() {
        assert_eq!(row.metrics.get(&format!("exact_{i}")).unwrap().to_bits(), value.to_bits(), "{value}");
    }
    let control = store.start_run(&new_run("insurance", "ctl", &[("a", "x\u{1e}y")])).await.unwrap_err();
    assert!(control.to_string().contains("control character"), "{control}");
    store.start_run(&new_run("insurance", "tabs", &[("sql", "SELECT\n\t1")])).await.unwrap();
    let twice = store.start_run(&new_run("insurance", "twice", &[("a", "1"), ("a", "2")])).await.unwrap_err();
    assert!(twice.to_string().contains("param \"a\" is given twice"), "{twice}");
    store.fail_run(&nan, "stopped by the test").await.unwrap();
    assert_eq!(store.run(&nan).await.unwrap().failure.as_deref(), Some("stopped by the test"));
    assert!(matches!(store.run("zzzz").await, Err(TrackError::Invalid(_))));
    assert!(matches!(store.run("abcdef0123").await, Err(TrackError::NotFound(_))));
}

async fn lists_sort_and_filter(store: &Store) {
    let a = finished_run(store, "insurance", 0.80, 3100.0, "lr").await;
    let b = finished_run(store, "insurance", 0.86, 2900.0, "ridge").await;
    let c = finished_run(store, "insurance", 0.83, 2800.0, "lr").await;
    let other = finished_run(store, "diamonds", 0.99, 10.0, "lr").await;
    let ids = |runs: Vec<mlship_track::RunRow>| runs.into_iter().map(|r| r.id).collect::<Vec<_>>();

    let query = |experiment: Option<&str>, sort: Option<&str>, filter: Option<&str>| RunQuery {
        experiment: experiment.map(str::to_string),
        sort: sort.map(str::to_string),
        filter: filter.map(str::to_string),
        limit: None,
        ..RunQuery::default()
    };
    assert_eq!(
        ids(store.list_runs(&query(Some("insurance"), Some("holdout_r2"), None)).await.unwrap()),
        [b.clone(), c.clone(), a.clone()]
    );
    assert_eq!(
        ids(store.list_runs(&query(Some("insurance"), Some("cv_mae"), None)).await.unwrap()),
        [c.clone(), b.clone(), a.clone()]
    );
    assert_eq!(
        ids(store.list_runs(&query(Some("insurance"), Some("metrics.cv_mae DESC"), None)).await.unwrap()),
        [a.clone(), b.clone(), c.clone()]
    );
    assert_eq!(
        ids(store
            .list_runs(&query(
                Some("INSURANCE"),
                Some("holdout_r2"),
                Some("params.model = 'lr' and metrics.cv_mae < 3000")
            ))
            .await
            .unwrap()),
        vec![c.clone()]
    );
    assert_eq!(
        ids(store.list_runs(&query(None, Some("holdout_r2"), Some("holdout_r2 >= 0.83"))).await.unwrap()),
        [other.clone(), b.clone(), c.clone()]
    );
    assert_eq!(
        store.list_runs(&query(None, None, Some("status = 'finished' and tags.team LIKE 'pri%'"))).await.unwrap().len(),
        4
    );
    assert_eq!(store.list_runs(&query(None, None, Some("params.model ILIKE 'RID%'"))).await.unwrap().len(), 1);
    let limited =
        store.list_runs(&RunQuery { limit: Some(2), ..query(None, Some("-holdout_r2"), None) }).await.unwrap();
    assert_eq!(ids(limited), [other.clone(), b.clone()]);
    let listed = store.list_runs(&query(Some("insurance"), None, None)).await.unwrap();
    assert_eq!(listed[0].metrics.get("holdout_r2"), Some(0.83), "newest first by default, with its metrics");
    assert_eq!(listed[0].params.get("model"), Some("lr"));

    let missing = store.list_runs(&query(Some("nope"), None, None)).await.unwrap_err();
    assert!(missing.to_string().contains("no experiment named \"nope\""), "{missing}");
    let bad = store.list_runs(&query(None, None, Some("metrics.r2 >> 1"))).await.unwrap_err();
    assert!(matches!(bad, TrackError::InvalidFilter { .. }), "{bad}");
    // A filter 1,000 conditions deep is the caller's mistake, said clearly, never the store's error.
    let deep = vec!["metrics.cv_mae > 1"; 1000].join(" and ");
    let bad = store.list_runs(&query(None, None, Some(&deep))).await.unwrap_err();
    assert!(matches!(bad, TrackError::InvalidFilter { .. }) && bad.is_client_error(), "{bad}");
    assert!(bad.to_string().contains("at most 50 conditions"), "{bad}");
    // An unknown sort key is an error listing the keys there are, not an unsorted list.
    for unknown in ["holdout_r3", "params.modle", "tags.teem DESC"] {
        let bad = store.list_runs(&query(None, Some(unknown), None)).await.unwrap_err();
        let message = bad.to_string();
        assert!(matches!(bad, TrackError::InvalidFilter { .. }), "{unknown}: {bad}");
        assert!(message.contains("unknown sort key"), "{message}");
        for known in ["attributes.start_time", "metrics.holdout_r2", "metrics.cv_mae", "params.model", "tags.team"] {
            assert!(message.contains(known), "{unknown}: {message}");
        }
    }
    assert_eq!(store.list_runs(&query(None, Some("params.model"), None)).await.unwrap().len(), 4);
    let experiments = store.experiments().await.unwrap();
    assert_eq!(
        experiments.iter().map(|e| (e.name.as_str(), e.n_runs)).collect::<Vec<_>>(),
        [("insurance", 3), ("diamonds", 1)]
    );
}

async fn registry_numbers_versions_and_records_alias_moves(store: &Store) {
    let first = finished_run(store, "insurance", 0.8, 3000.0, "lr").await;
    let second = finished_run(store, "insurance", 0.9, 2000.0, "lr").await;
    let v1 = store.register("Insurance", &ModelSource::Run(first[..10].to_string()), Some("production")).await.unwrap();
    assert_eq!((v1.version, v1.model.as_str()), (1, "Insurance"));
    let v2 = store.register("insurance", &ModelSource::Run(second.clone()), Some("staging")).await.unwrap();
    assert_eq!(v2.version, 2);
    let v3 = store.register("INSURANCE", &ModelSource::File(golden()), None).await.unwrap();
    assert_eq!(v3.version, 3);
    assert!(v3.artifact_path.starts_with("objects/"));

    let production = ModelRef::parse("insurance@production").unwrap();
    assert_eq!(store.resolve(&production).await.unwrap().version, 1);
    assert!(store.set_alias("insurance", "production", 2).await.unwrap());
    assert!(!store.set_alias("insurance", "production", 2).await.unwrap(), "same target: no move recorded");
    assert_eq!(store.resolve(&production).await.unwrap().version, 2);
    assert_eq!(store.resolve(&ModelRef::parse("insurance/latest").unwrap()).await.unwrap().version, 3);
    assert_eq!(
        store.resolve(&ModelRef::parse("Insurance/1").unwrap()).await.unwrap().run_id.as_deref(),
        Some(first.as_str())
    );
    let bytes = store.version_bytes(&store.resolve(&production).await.unwrap()).unwrap();
    assert_eq!(bytes, std::fs::read(golden()).unwrap());

    store.delete_alias("insurance", "staging").await.unwrap();
    assert!(matches!(store.delete_alias("insurance", "staging").await, Err(TrackError::NotFound(_))));
    assert!(matches!(store.set_alias("insurance", "production", 9).await, Err(TrackError::NotFound(_))));
    assert!(matches!(
        store.resolve(&ModelRef::parse("insurance@staging").unwrap()).await,
        Err(TrackError::NotFound(_))
    ));
    assert!(matches!(store.model("unknown").await, Err(TrackError::NotFound(_))));

    let detail = store.model("insurance").await.unwrap();
    assert_eq!(detail.versions.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(detail.versions[1].aliases, ["production"]);
    let moves: Vec<(&str, Option<i64>, Option<i64>)> =
        detail.history.iter().map(|e| (e.alias.as_str(), e.from_version, e.to_version)).collect();
    assert_eq!(
        moves,
        [
            ("production", None, Some(1)),
            ("staging", None, Some(2)),
            ("production", Some(1), Some(2)),
            ("staging", Some(2), None)
        ]
    );
    assert!(detail.history.iter().all(|e| !e.changed_by.is_empty() && e.changed_at > 0));

    // A caller's identity (the UI's token name), not the OS user, when one is given.
    let v4 = store.register_by("insurance", &ModelSource::File(golden()), Some("canary"), "token:alice").await.unwrap();
    assert_eq!(v4.created_by, "token:alice");
    assert!(store.set_alias_by("insurance", "canary", 3, "token:bob").await.unwrap());
    store.delete_alias_by("insurance", "canary", "token:carol").await.unwrap();
    let detail = store.model("insurance").await.unwrap();
    let last: Vec<(&str, Option<i64>, Option<i64>, &str)> = detail.history[4..]
        .iter()
        .map(|e| (e.alias.as_str(), e.from_version, e.to_version, e.changed_by.as_str()))
        .collect();
    assert_eq!(
        last,
        [
            ("canary", None, Some(4), "token:alice"),
            ("canary", Some(4), Some(3), "token:bob"),
            ("canary", Some(3), None, "token:carol")
        ]
    );
    let models = store.models().await.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!((models[0].latest_version, models[0].aliases.clone()), (Some(4), vec![("production".to_string(), 2)]));
}

async fn registering_never_points_at_a_missing_or_changed_artifact(store: &Store) {
    let running = store.start_run(&new_run("insurance", "unfinished", &[])).await.unwrap();
    let error = store.register("m", &ModelSource::Run(running), None).await.unwrap_err();
    assert!(error.to_string().contains("has no saved model (RUNNING)"), "{error}");

    let tampered = finished_run(store, "insurance", 0.8, 1.0, "lr").await;
    let detail = store.run(&tampered).await.unwrap();
    let path = store.artifacts().resolve(detail.artifact_path.as_deref().unwrap()).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let error = store.register("m", &ModelSource::Run(tampered.clone()), None).await.unwrap_err();
    assert!(matches!(error, TrackError::Integrity { .. }), "{error}");

    let gone = finished_run(store, "insurance", 0.8, 1.0, "lr").await;
    let detail = store.run(&gone).await.unwrap();
    std::fs::remove_file(store.artifacts().resolve(detail.artifact_path.as_deref().unwrap()).unwrap()).unwrap();
    assert!(store.register("m", &ModelSource::Run(gone), None).await.is_err());

    let dir = tempfile::tempdir().unwrap();
    let not_a_model = dir.path().join("notes.mlship");
    std::fs::write(&not_a_model, "hello").unwrap();
    assert!(store.register("m", &ModelSource::File(not_a_model), None).await.is_err());
    assert!(store.register("m", &ModelSource::File(dir.path().join("missing.mlship")), None).await.is_err());
    // None of the failures created the model.
    assert!(matches!(store.model("m").await, Err(TrackError::NotFound(_))));
}

async fn names_are_canonical(store: &Store) {
    let a = store.experiment_id("Caf\u{e9} Prices").await.unwrap();
    let b = store.experiment_id("cafe\u{301} prices").await.unwrap();
    let c = store.experiment_id("ＣＡＦÉ PRICES").await.unwrap();
    assert_eq!((a, a), (b, c));
    assert_eq!(store.experiments().await.unwrap().len(), 1);
    for bad in ["caf%C3%A9", "a/b", "..", "x\\y"] {
        assert!(matches!(store.experiment_id(bad).await, Err(TrackError::InvalidName { .. })), "{bad}");
        assert!(matches!(
            store.register(bad, &ModelSource::File(golden()), None).await,
            Err(TrackError::InvalidName { .. })
        ));
    }
    store.register("Ünïcode", &ModelSource::File(golden()), None).await.unwrap();
    assert_eq!(store.register("u\u{308}ni\u{308}code", &ModelSource::File(golden()), None).await.unwrap().version, 2);

    // Names that read alike but differ (UTS #39 skeleton) are refused, naming the existing model.
    store.register("xssmodel", &ModelSource::File(golden()), None).await.unwrap();
    store.register("insurance", &ModelSource::File(golden()), None).await.unwrap();
    for (lookalike, existing) in
        [("xssmod\u{435}l", "xssmodel"), ("\u{130}nsurance", "insurance"), ("XSSMOD\u{415}L", "xssmodel")]
    {
        match store.register(lookalike, &ModelSource::File(golden()), None).await {
            Err(TrackError::ConfusableName { existing: found, .. }) => assert_eq!(found, existing, "{lookalike}"),
            other => panic!("{lookalike}: {other:?}"),
        }
    }
    // The same name (canonically) is a new version, not a lookalike.
    assert_eq!(store.register("XSSModel", &ModelSource::File(golden()), None).await.unwrap().version, 2);
    assert_eq!(store.models().await.unwrap().len(), 3);
}

/// A store whose models were registered before migration 2 (no skeleton yet)
/// still refuses a lookalike: the next registration fills the skeletons in.
async fn models_from_before_the_skeleton_column_are_checked_too(store: &Store) {
    store.register("xssmodel", &ModelSource::File(golden()), None).await.unwrap();
    let mut connection = sqlx::AnyConnection::connect(&store.location.url).await.unwrap();
    sqlx::query("UPDATE registered_models SET skeleton = NULL").execute(&mut connection).await.unwrap();
    let refused = store.register("xssmod\u{435}l", &ModelSource::File(golden()), None).await.unwrap_err();
    assert!(matches!(refused, TrackError::ConfusableName { .. }), "{refused}");
    assert!(refused.to_string().contains("\"xssmodel\""), "{refused}");
    let filled: Vec<Option<String>> =
        sqlx::query_scalar("SELECT skeleton FROM registered_models").fetch_all(&mut connection).await.unwrap();
    assert_eq!(filled, [Some("xssrnodel".to_string())]);
}

/// The corpus of item 6: whatever a stored row says, reading goes nowhere
/// outside the artifact folder.
pub const ESCAPES: &[&str] = &[
    "../outside.mlship",
    "runs/../../outside.mlship",
    "..\\outside.mlship",
    "runs\\..\\..\\outside.mlship",
    "/etc/passwd",
    "\\\\server\\share\\x",
    "C:\\Windows\\win.ini",
    "C:/Windows/win.ini",
    "%2e%2e/outside.mlship",
    "%2e%2e%2foutside.mlship",
    "%252e%252e%252foutside.mlship",
    "..%2foutside.mlship",
    "..%5coutside.mlship",
    "runs/./x",
    "runs//x",
    "",
    "link/outside.mlship",
    "runs/\u{0}x",
    ".hidden/x",
];

async fn stored_paths_cannot_leave_the_artifact_folder(store: &Store) {
    let root = store.artifacts().dir().to_path_buf();
    let outside = root.parent().unwrap().join("outside.mlship");
    std::fs::write(&outside, std::fs::read(golden()).unwrap()).unwrap();
    std::os::unix::fs::symlink(root.parent().unwrap(), root.join("link")).unwrap();
    for path in ESCAPES {
        assert!(store.artifacts().resolve(path).is_err(), "{path:?} was accepted");
    }
    // Rows edited to point outside: registering and serving refuse them.
    let id = finished_run(store, "insurance", 0.8, 1.0, "lr").await;
    let sha = mlship_track::paths::sha256_hex(&std::fs::read(&outside).unwrap());
    let mut pool = sqlx::AnyConnection::connect(&store.location.url).await.unwrap();
    // PostgreSQL text cannot hold NUL, so that one cannot be stored at all.
    for path in ESCAPES.iter().filter(|p| !p.contains('\0')) {
        sqlx::query("UPDATE runs SET artifact_path = $1, artifact_sha256 = $2 WHERE id = $3")
            .bind(*path)
            .bind(&sha)
            .bind(&id)
            .execute(&mut pool)
            .await
            .unwrap();
        let error = store.register("escape", &ModelSource::Run(id.clone()), None).await.unwrap_err();
        assert!(matches!(error, TrackError::UnsafePath { .. }), "{path:?}: {error}");
        sqlx::query("INSERT INTO run_files (run_id, path, kind, sha256, size) VALUES ($1, $2, 'x', $3, 1)")
            .bind(&id)
            .bind(*path)
            .bind(&sha)
            .execute(&mut pool)
            .await
            .unwrap();
        assert!(matches!(store.run_file(&id, path).await, Err(TrackError::UnsafePath { .. })), "{path:?}");
    }
}

/// Every migration's version, once each: what a store opened any number of times at once must hold.
fn every_migration() -> Vec<i64> {
    mlship_track::migrate::MIGRATIONS.iter().map(|m| m.version).collect()
}

/// Opens `location` from eight tasks at once and returns the migrations the store then holds.
async fn open_eight_at_once(location: &StoreLocation) -> Vec<i64> {
    let opens: Vec<_> = (0..8)
        .map(|_| {
            let location = location.clone();
            tokio::spawn(async move { Store::open(location).await.map(|_| ()) })
        })
        .collect();
    for open in opens {
        open.await.unwrap().unwrap();
    }
    let mut connection = sqlx::AnyConnection::connect(&location.url).await.unwrap();
    sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(&mut connection)
        .await
        .unwrap()
}

async fn migrations_apply_once_when_stores_open_together(store: &Store) {
    assert_eq!(open_eight_at_once(&store.location).await, every_migration());
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}

/// A fresh SQLite store opened by eight tasks at once: the schema is created once, in WAL mode.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_sqlite_store_opened_eight_times_at_once_is_migrated_once() {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::parse(dir.path().join("fresh").to_str().unwrap(), None).unwrap();
    assert_eq!(open_eight_at_once(&location).await, every_migration());
    let mut connection = sqlx::AnyConnection::connect(&location.url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut connection).await.unwrap();
    assert_eq!(mode, "wal");
}

/// The same on a fresh PostgreSQL database.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_postgres_store_opened_eight_times_at_once_is_migrated_once() {
    let Some(url) = postgres_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::parse(&url, Some(&dir.path().join("artifacts"))).unwrap();
    assert_eq!(open_eight_at_once(&location).await, every_migration());
}
