"""The real `mlflow` client against mlship's tracking server (issue 16).

Run by scripts/test.sh with mlflow-skinny (pinned there) against `mlship ui`
on SQLite and on PostgreSQL:

    MLFLOW_TRACKING_URI=http://127.0.0.1:PORT python scripts/mlflow_client.py MLSHIP_RUN_ID

Every call the issue names, through the client's own API, each checked; bad
calls must raise the client's own MlflowException with MLflow's error code.
MLSHIP_RUN_ID is a run `mlship train` recorded in the same store: the client
must see its params, metrics and model file.
"""

import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException, RestException


def expect_error(code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except (MlflowException, RestException) as error:
        assert error.error_code == code, f"{call.__name__}: {error.error_code} != {code}: {error}"
        return str(error)
    raise AssertionError(f"{call.__name__}{args} did not fail with {code}")


def raw_error(status, code, endpoint, body):
    """POSTs `body` to MLflow's `endpoint` as the client would, expecting MLflow's error shape."""
    request = urllib.request.Request(
        f"{os.environ['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/{endpoint}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **auth_headers()},
        method="POST",
    )
    try:
        urllib.request.urlopen(request)
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read())
        assert (error.code, answer["error_code"]) == (status, code), (endpoint, error.code, answer)
        assert answer["message"], answer
        return
    raise AssertionError(f"{endpoint} accepted {str(body)[:200]}")


def auth_headers():
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}


def main():
    mlship_run = sys.argv[1] if len(sys.argv) > 1 else None
    client = MlflowClient()
    suffix = str(int(time.time() * 1000))

    # set_experiment: get-by-name (missing), then create.
    experiment = mlflow.set_experiment(f"client-{suffix}")
    assert experiment.name == f"client-{suffix}" and experiment.lifecycle_stage == "active"
    same = mlflow.set_experiment(f"client-{suffix}")
    assert same.experiment_id == experiment.experiment_id
    expect_error("RESOURCE_ALREADY_EXISTS", client.create_experiment, f"client-{suffix}")
    expect_error("INVALID_PARAMETER_VALUE", client.create_experiment, f"x-{suffix}", artifact_location="/etc")
    expect_error("INVALID_PARAMETER_VALUE", client.create_experiment, f"y-{suffix}", artifact_location="file:///../../x")
    assert client.get_experiment_by_name(f"missing-{suffix}") is None
    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_experiment, "987654321")

    # A run: params, metrics with steps and timestamps, tags, a batch, artifacts.
    with mlflow.start_run(run_name="first") as run:
        run_id = run.info.run_id
        assert run.info.artifact_uri.startswith("mlflow-artifacts:/"), run.info.artifact_uri
        mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"l1_ratio": "0.1", "solver": "cd"})
        mlflow.log_metric("rmse", 3.0, step=0, timestamp=1_700_000_000_000)
        mlflow.log_metric("rmse", 2.5, step=1)
        mlflow.log_metrics({"r2": 0.81, "mae": 1.9})
        mlflow.set_tag("team", "pricing")
        mlflow.set_tags({"stage": "dev", "owner": "ana"})
        client.log_batch(
            run_id,
            metrics=[Metric("loss", 1.0 / (i + 1), int(time.time() * 1000), i) for i in range(100)],
            params=[Param(f"p{i}", str(i)) for i in range(50)],
            tags=[RunTag("batch", "yes")],
        )
        mlflow.log_text("hello from the client", "notes/hello.txt")
        mlflow.log_dict({"a": 1, "b": [1, 2]}, "config.json")
        with tempfile.TemporaryDirectory() as folder:
            for name in ("one.txt", "two.txt"):
                with open(os.path.join(folder, name), "w") as f:
                    f.write(name * 100)
            mlflow.log_artifact(os.path.join(folder, "one.txt"))
            mlflow.log_artifacts(folder, artifact_path="many")
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            figure, axis = plt.subplots()
            axis.plot([1, 2, 3])
            mlflow.log_figure(figure, "plots/line.png")
            has_figure = True
        except ImportError:
            # log_figure needs matplotlib, which mlflow-skinny does not bring.
            has_figure = False
        # Limits and immutability, as MLflow's own server refuses them.
        expect_error("INVALID_PARAMETER_VALUE", mlflow.log_param, "alpha", 0.7)
        # The client splits big batches itself, so the server's limits are checked with raw requests.
        too_many = [{"key": "m", "value": 1.0, "timestamp": 0, "step": i} for i in range(1001)]
        raw_error(400, "INVALID_PARAMETER_VALUE", "runs/log-batch", {"run_id": run_id, "metrics": too_many})
        params = [{"key": f"q{i}", "value": "v"} for i in range(101)]
        raw_error(400, "INVALID_PARAMETER_VALUE", "runs/log-batch", {"run_id": run_id, "params": params})
        raw_error(400, "INVALID_PARAMETER_VALUE", "runs/log-metric", {"run_id": run_id, "key": "m", "value": "x"})
        raw_error(404, "RESOURCE_DOES_NOT_EXIST", "runs/log-metric", {"run_id": "f" * 32, "key": "m", "value": 1})
        expect_error("INVALID_PARAMETER_VALUE", mlflow.set_tag, "long", "x" * 10_000)

    # get_run sees everything; end_run finished it.
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED", got.info.status
    assert got.info.run_name == "first"
    assert got.data.params["alpha"] == "0.5" and got.data.params["p49"] == "49"
    assert got.data.metrics["rmse"] == 2.5 and got.data.metrics["r2"] == 0.81
    assert got.data.tags["team"] == "pricing" and got.data.tags["batch"] == "yes"
    history = client.get_metric_history(run_id, "rmse")
    assert [(m.step, m.value) for m in history] == [(0, 3.0), (1, 2.5)], history
    assert history[0].timestamp == 1_700_000_000_000
    assert len(client.get_metric_history(run_id, "loss")) == 100

    # Artifacts: list (root and folders) and download through the proxy.
    names = sorted(f.path for f in client.list_artifacts(run_id))
    expected = ["config.json", "many", "notes", "one.txt"] + (["plots"] if has_figure else [])
    assert names == sorted(expected), names
    assert sorted(f.path for f in client.list_artifacts(run_id, "many")) == ["many/one.txt", "many/two.txt"]
    with tempfile.TemporaryDirectory() as folder:
        local = client.download_artifacts(run_id, "notes/hello.txt", folder)
        assert open(local).read() == "hello from the client"
        whole = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="many", dst_path=folder)
        assert sorted(os.listdir(whole)) == ["one.txt", "two.txt"]
    assert mlflow.artifacts.load_dict(f"{got.info.artifact_uri}/config.json") == {"a": 1, "b": [1, 2]}

    # More runs to search: filter strings, order_by, max_results, page tokens.
    for i in range(5):
        with mlflow.start_run(run_name=f"search-{i}"):
            mlflow.log_param("i", i)
            mlflow.log_metric("score", i / 10)
    found = mlflow.search_runs(
        experiment_ids=[experiment.experiment_id], filter_string="metrics.score > 0.15", order_by=["metrics.score DESC"],
        output_format="list",
    )
    assert [r.data.metrics["score"] for r in found] == [0.4, 0.3, 0.2], found
    page = client.search_runs([experiment.experiment_id], order_by=["metrics.score ASC"], max_results=2)
    assert len(page) == 2 and page.token, page
    rest = client.search_runs([experiment.experiment_id], order_by=["metrics.score ASC"], max_results=2, page_token=page.token)
    assert [r.data.metrics["score"] for r in rest] == [0.2, 0.3]
    by_name = client.search_runs([experiment.experiment_id], filter_string="attributes.run_name = 'search-3'")
    assert [r.info.run_name for r in by_name] == ["search-3"]
    expect_error("INVALID_PARAMETER_VALUE", client.search_runs, [experiment.experiment_id], filter_string="metrics.score >>> 1")
    experiments = client.search_experiments(filter_string=f"name = 'client-{suffix}'")
    assert [e.experiment_id for e in experiments] == [experiment.experiment_id]
    assert any(e.name == f"client-{suffix}" for e in client.search_experiments(filter_string="name LIKE 'client-%'"))

    # delete_run / restore_run.
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    assert run_id not in [r.info.run_id for r in client.search_runs([experiment.experiment_id])]
    assert run_id in [r.info.run_id for r in client.search_runs([experiment.experiment_id], run_view_type=ViewType.DELETED_ONLY)]
    expect_error("INVALID_PARAMETER_VALUE", client.log_param, run_id, "late", "1")
    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_run, "0" * 32)
    expect_error("INVALID_PARAMETER_VALUE", client.get_run, "../../etc/passwd")

    # The model registry.
    model = f"client-model-{suffix}"
    client.create_registered_model(model)
    expect_error("RESOURCE_ALREADY_EXISTS", client.create_registered_model, model)
    version = client.create_model_version(model, f"runs:/{run_id}/many", run_id=run_id)
    assert version.version == "1" and version.status == "READY", version
    client.set_registered_model_alias(model, "champion", version.version)
    champion = client.get_model_version_by_alias(model, "champion")
    assert champion.version == "1" and champion.run_id == run_id and "champion" in champion.aliases
    assert [v.version for v in client.search_model_versions(f"name = '{model}'")] == ["1"]
    assert [v.name for v in client.search_model_versions(f"run_id = '{run_id}'")] == [model]
    for bad in ("/etc/passwd", "file:///etc/passwd", "http://evil.example/model", f"runs:/{run_id}/../../../etc"):
        expect_error("INVALID_PARAMETER_VALUE", client.create_model_version, model, bad, run_id=run_id)
    expect_error("RESOURCE_DOES_NOT_EXIST", client.create_model_version, model, f"runs:/{run_id}/nothing-here", run_id=run_id)
    expect_error("RESOURCE_DOES_NOT_EXIST", client.get_model_version_by_alias, model, "nobody")

    # A run mlship itself recorded, seen through the client.
    if mlship_run:
        theirs = client.get_run(mlship_run)
        assert theirs.info.status == "FINISHED", theirs.info
        assert any(k.startswith("holdout_") for k in theirs.data.metrics), theirs.data.metrics
        assert theirs.data.params, "an mlship run shows its params"
        files = [f.path for f in client.list_artifacts(mlship_run)]
        assert "model.mlship" in files, files
        with tempfile.TemporaryDirectory() as folder:
            model_file = client.download_artifacts(mlship_run, "model.mlship", folder)
            assert open(model_file, "rb").read().startswith(b'{"format":"mlship-artifact"'), "the model file came back whole"
        version = client.create_model_version(model, f"runs:/{mlship_run}/model.mlship", run_id=mlship_run)
        client.set_registered_model_alias(model, "served", version.version)
        print(json.dumps({"mlship_model": model, "served_version": version.version}))

    print(f"mlflow {mlflow.__version__}: every call answered as the client expects")


if __name__ == "__main__":
    main()
