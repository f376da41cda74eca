"""A no-op entry script for Azure's inference server: what azmlinfsrv itself costs per request.

It reads the body, as any entry script must, and answers a constant JSON document.
"""

from azureml_inference_server_http.api.aml_request import rawhttp
from azureml_inference_server_http.api.aml_response import AMLResponse

ANSWER = '{"predictions": [{"label": "no", "probability": 0.1}]}'


def init():
    pass


@rawhttp
def run(request):
    if request.method == "GET":
        return AMLResponse('{"deployment": "noop"}', 200, {"Content-Type": "application/json"})
    request.get_data()
    return AMLResponse(ANSWER, 200, {"Content-Type": "application/json"})
