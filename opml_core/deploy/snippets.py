"""Ready-to-paste client code for a deployment: curl and Python ``requests``."""

from __future__ import annotations

import json

from opml_core.deploy.base import DeploymentInfo
from opml_core.scoring.inputs import InputSchema


def example_record(inputs: InputSchema) -> dict:
    """A plausible row: the most common category and the training median for numbers."""
    row = {}
    for column in inputs.columns:
        if column.levels:
            row[column.display] = column.levels[0]
        elif column.imputed is not None:
            row[column.display] = column.imputed
        else:
            row[column.display] = column.minimum if column.minimum is not None else 0
    return row


def curl_snippet(info: DeploymentInfo, inputs: InputSchema) -> str:
    body = json.dumps({"data": [example_record(inputs)]})
    auth = ' \\\n  -H "Authorization: Bearer $OPML_KEY"' if info.auth_required else ""
    return (f"curl -s -X POST {info.scoring_uri}{auth} \\\n"
            f"  -H 'Content-Type: application/json' \\\n  -d '{body}'")


def python_snippet(info: DeploymentInfo, inputs: InputSchema) -> str:
    row = json.dumps(example_record(inputs), indent=4)
    headers = '{"Authorization": f"Bearer {os.environ[\'OPML_KEY\']}"}' if info.auth_required else "{}"
    return (f"import os\nimport requests\n\nrow = {row}\n"
            f"response = requests.post(\n    \"{info.scoring_uri}\",\n    headers={headers},\n"
            f"    json={{\"data\": [row]}},\n    timeout=30,\n)\nresponse.raise_for_status()\n"
            "print(response.json()[\"predictions\"])  # [{'label': …, 'probability': …}]")
