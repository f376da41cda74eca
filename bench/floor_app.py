"""The floor for bench/scoring.py: a FastAPI endpoint that parses the body and returns a constant.

It costs what HTTP, uvicorn and JSON parsing cost here, and nothing else.
Run: python bench/floor_app.py PORT
"""

import sys

import orjson
import uvicorn
from fastapi import FastAPI, Request, Response

app = FastAPI()
ANSWER = orjson.dumps({"predictions": [{"label": "no", "probability": 0.5}]})


@app.post("/score")
async def score(request: Request) -> Response:
    orjson.loads(await request.body())
    return Response(ANSWER, media_type="application/json")


@app.get("/health")
async def health() -> dict:
    return {"status": "ready"}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools",
                access_log=False, log_level="warning")
