-- One schema for SQLite and PostgreSQL: only types and statements both speak.
-- Times are milliseconds since the Unix epoch (BIGINT); ids are assigned by
-- the store inside its serialised write transactions.

CREATE TABLE experiments (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    canonical_name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    experiment_id BIGINT NOT NULL REFERENCES experiments (id),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('RUNNING', 'FINISHED', 'FAILED')),
    start_time BIGINT NOT NULL,
    end_time BIGINT,
    heartbeat BIGINT NOT NULL,
    host TEXT NOT NULL,
    pid BIGINT NOT NULL,
    process_start TEXT NOT NULL,
    user_name TEXT NOT NULL,
    git_commit TEXT,
    data_sha256 TEXT,
    artifact_path TEXT,
    artifact_sha256 TEXT,
    failure TEXT,
    -- The run's latest metrics, params and tags folded into text
    -- ("key US value RS …"), rewritten in the transaction that changes them,
    -- so a list of 10,000 runs reads 10,000 rows. The tables below stay the
    -- source of truth and what filters and sorts use.
    metrics_summary TEXT NOT NULL DEFAULT '',
    params_summary TEXT NOT NULL DEFAULT '',
    tags_summary TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time);
CREATE INDEX runs_by_status ON runs (status);

CREATE TABLE params (
    run_id TEXT NOT NULL REFERENCES runs (id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);

CREATE TABLE tags (
    run_id TEXT NOT NULL REFERENCES runs (id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);

-- Every point of every metric, and (like MLflow) the newest value of each
-- metric per run, which is what lists sort and filter on.
CREATE TABLE metrics (
    run_id TEXT NOT NULL REFERENCES runs (id),
    key TEXT NOT NULL,
    step BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    logged_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, key, step)
);
CREATE TABLE latest_metrics (
    run_id TEXT NOT NULL REFERENCES runs (id),
    key TEXT NOT NULL,
    step BIGINT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX latest_metrics_by_key ON latest_metrics (key, value);

CREATE TABLE run_files (
    run_id TEXT NOT NULL REFERENCES runs (id),
    path TEXT NOT NULL,
    kind TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    PRIMARY KEY (run_id, path)
);

CREATE TABLE registered_models (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    canonical_name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE model_versions (
    model_id BIGINT NOT NULL REFERENCES registered_models (id),
    version BIGINT NOT NULL,
    run_id TEXT REFERENCES runs (id),
    source TEXT NOT NULL,
    artifact_path TEXT NOT NULL,
    artifact_sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (model_id, version)
);

CREATE TABLE model_aliases (
    model_id BIGINT NOT NULL REFERENCES registered_models (id),
    alias TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (model_id, alias),
    FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version)
);

CREATE TABLE alias_history (
    model_id BIGINT NOT NULL REFERENCES registered_models (id),
    seq BIGINT NOT NULL,
    alias TEXT NOT NULL,
    from_version BIGINT,
    to_version BIGINT,
    changed_at BIGINT NOT NULL,
    changed_by TEXT NOT NULL,
    PRIMARY KEY (model_id, seq)
);
