-- What MLflow's tracking protocol needs beyond mlship's own records:
-- deleted (and restorable) runs and experiments, experiment tags, and the
-- client's own times. A run created through the protocol records no host or
-- pid (host ''), so `fail_dead_runs` leaves it to its client.
ALTER TABLE runs ADD COLUMN lifecycle_stage TEXT NOT NULL DEFAULT 'active';
ALTER TABLE runs ADD COLUMN deleted_time BIGINT;
ALTER TABLE experiments ADD COLUMN lifecycle_stage TEXT NOT NULL DEFAULT 'active';
ALTER TABLE experiments ADD COLUMN last_update_time BIGINT;
CREATE TABLE experiment_tags (
    experiment_id BIGINT NOT NULL REFERENCES experiments (id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (experiment_id, key)
);
CREATE INDEX runs_by_lifecycle ON runs (lifecycle_stage, experiment_id);
