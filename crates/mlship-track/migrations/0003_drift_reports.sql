-- Every `mlship monitor` report, against the model version it watched: the
-- data set's verdict in columns (what the drift-over-time chart reads) and
-- the whole report as JSON (what its page renders).
CREATE TABLE drift_reports (
    id BIGINT PRIMARY KEY,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    model_digest TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    current_source TEXT NOT NULL,
    number_of_rows BIGINT NOT NULL,
    number_of_columns BIGINT NOT NULL,
    number_of_drifted_columns BIGINT NOT NULL,
    share_of_drifted_columns DOUBLE PRECISION NOT NULL,
    dataset_drift BIGINT NOT NULL,
    prediction_drift_score DOUBLE PRECISION,
    report TEXT NOT NULL
);
CREATE INDEX drift_reports_by_model ON drift_reports (model_name, created_at);
