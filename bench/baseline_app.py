"""The baseline every HTTP benchmark is compared with: a bare Flask JSON endpoint, served the same way."""
from __future__ import annotations

import uuid

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/echo")
def echo():
    body = request.get_json()
    return jsonify({"id": str(uuid.uuid4()), "received": len(body)}), 201


@app.get("/healthz")
def health():
    return {"status": "ok"}
