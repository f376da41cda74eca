"""Azure's errors in plain words, recognised however the SDK wraps them."""

import pytest
import requests

from opml_core.azure.errors import explain


class ProjectSystemException(Exception):
    """Named like azureml-core's: it raises this one for a 404 and for a 403 alike."""

    def __init__(self, message):
        super().__init__("ProjectSystemException:\n\tMessage: (wrapped)")
        self.message = message


@pytest.mark.parametrize("error,expected", [
    (ValueError("Unable to get authority configuration for https://login.microsoftonline.com/nope"),
     "the tenant was not found"),
    (Exception("Authentication failed: AADSTS700016: Application with identifier 'x' was not found"),
     "the application (client id) is not in that tenant"),
    (Exception("AADSTS7000222: The provided client secret keys are expired."), "has expired"),
    (Exception("DefaultAzureCredential failed to retrieve a token from the included credentials."),
     "no credential was found on this machine"),
    (ProjectSystemException('{"error": {"code": "AuthorizationFailed"}, "status_code": 403}'),
     "lacks a role"),
    (ProjectSystemException("Workspace not found."), "could not find the workspace"),
    (Exception("ComputeTargetNotFound: Compute Target with name aks1 not found"), "AKS compute target"),
    (requests.ConnectionError("HTTPSConnectionPool(host='management.azure.com'): Max retries exceeded"),
     "could not be reached from this machine"),
    (Exception("(QuotaExceeded) Not enough quota for Standard_DS3_v2 in westeurope.\nmore text"),
     "Azure ML refused to create the service: (QuotaExceeded) Not enough quota"),
])
def test_each_cause_gets_its_plain_message_and_keeps_azures_text(error, expected):
    explained = explain(error, "create the service")
    assert expected in str(explained)
    assert type(error).__name__ in explained.details
    assert getattr(error, "message", str(error)).splitlines()[0] in explained.details
