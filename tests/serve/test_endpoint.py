"""opml's own endpoint over real HTTP on 127.0.0.1: MLflow's formats and client, metadata, health
and OpenAPI (the /score contract every target shares is in test_score_contract.py)."""


import pytest
import requests

from opml_core.scoring.payloads import csv_body, invocations_body, score_body
from tests.serve.conftest import bank_row

ROWS = [bank_row(), bank_row(age=70, job="retired", poutcome="success")]


def post(info, keys, path, body, content_type="application/json", key="primary", **headers):
    base = info.scoring_uri.rsplit("/", 1)[0]
    if key:
        headers["Authorization"] = f"Bearer {getattr(keys, key) if key in ('primary', 'secondary') else key}"
    return requests.post(base + path, data=body, headers={"Content-Type": content_type, **headers},
                         timeout=10)


def assert_scored(response, rows=2):
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["model"] == "opml-model" and document["version"] == "1"
    assert len(document["request_id"]) == 32
    assert len(document["predictions"]) == rows
    for prediction in document["predictions"]:
        assert prediction["label"] in ("yes", "no") and 0.0 <= prediction["probability"] <= 1.0
    return document


@pytest.mark.parametrize("format", ["dataframe_split", "dataframe_records", "instances", "inputs"])
def test_mlflow_json_formats_are_scored(endpoint, format):
    assert_scored(post(*endpoint, "/invocations", invocations_body(ROWS, format)))


def test_mlflow_csv_is_scored(endpoint):
    assert_scored(post(*endpoint, "/invocations", csv_body(ROWS), "text/csv"))


def test_every_format_gives_the_same_probabilities(endpoint):
    a = post(*endpoint, "/score", score_body(ROWS)).json()["predictions"]
    b = post(*endpoint, "/invocations", csv_body(ROWS), "text/csv").json()["predictions"]
    assert a == b


def test_metadata_describes_the_model_and_needs_the_key(target, endpoint):
    info = endpoint[0]
    keys = target.keys(info.name)
    base = info.scoring_uri.rsplit("/", 1)[0]
    assert requests.get(f"{base}/metadata", timeout=5).status_code == 401
    meta = requests.get(f"{base}/metadata", headers={"Authorization": f"Bearer {keys.primary}"},
                        timeout=5).json()
    assert meta["classes"] == {"positive": "yes", "negative": "no"}
    assert {c["display"] for c in meta["inputs"]} >= {"age", "emp.var.rate"}
    assert "roc_auc" in meta["training_metrics"]


def test_health_answers_without_a_key_but_the_docs_need_it(endpoint):
    info, keys = endpoint
    base = info.scoring_uri.rsplit("/", 1)[0]
    assert requests.get(f"{base}/health", timeout=5).json()["status"] == "ready"
    for path in ("/openapi.json", "/docs"):
        assert requests.get(f"{base}{path}", timeout=5).status_code == 401
    paths = requests.get(f"{base}/openapi.json", timeout=5,
                         headers={"Authorization": f"Bearer {keys.primary}"}).json()["paths"]
    assert {"/score", "/invocations", "/health", "/metadata"} <= set(paths)


def test_the_openapi_document_describes_bodies_and_every_refusal(endpoint):
    info, keys = endpoint
    base = info.scoring_uri.rsplit("/", 1)[0]
    paths = requests.get(f"{base}/openapi.json", timeout=5,
                         headers={"Authorization": f"Bearer {keys.primary}"}).json()["paths"]
    score = paths["/score"]["post"]
    assert {"200", "400", "401", "413", "503"} <= set(score["responses"])
    row = score["requestBody"]["content"]["application/json"]["schema"]["oneOf"][0]
    assert "emp.var.rate" in row["properties"]["data"]["items"]["properties"]
    assert "text/csv" in paths["/invocations"]["post"]["requestBody"]["content"]


def test_mlflows_own_scoring_client_works_against_an_open_deployment(target):
    import pandas as pd
    from mlflow.pyfunc.scoring_server.client import ScoringServerClient

    info = target.deploy("bank-open", "opml-model", "1", auth=False)
    port = info.details["port"]
    client = ScoringServerClient("127.0.0.1", port)
    client.wait_server_ready(timeout=10)
    client.ping()
    assert client.get_version()
    frame = client.invoke(pd.DataFrame(ROWS)).get_predictions()
    assert list(frame.columns) == ["label", "probability"] and len(frame) == 2
