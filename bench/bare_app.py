"""The ceiling of this stack: a bare Flask JSON endpoint, served by the same gunicorn."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/json")
def hello():
    return jsonify(status="ok", items=[])
