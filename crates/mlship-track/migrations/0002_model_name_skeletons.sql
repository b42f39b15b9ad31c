-- The UTS #39 confusable skeleton of each model's name (after NFKC and
-- lower-casing), so registering a name that reads like an existing one
-- ("xssmodеl" with a Cyrillic е next to "xssmodel") is found with one indexed
-- lookup and refused. Not UNIQUE: a store may already hold such a pair from
-- before this migration. Rows registered before it are filled in by the next
-- registration of a new model, inside its write transaction.
ALTER TABLE registered_models ADD COLUMN skeleton TEXT;
CREATE INDEX registered_models_by_skeleton ON registered_models (skeleton);
