"""A real S3-compatible server (moto's server mode on 127.0.0.1), the two stores, and
helpers to send files."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import pytest

from tests.servers import free_port

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# The smallest valid PNG (1x1, one transparent pixel), byte for byte.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 and a free port, for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, monkeypatch) -> tuple[str, str]:
    """A new, empty bucket on the S3 server; returns (endpoint, bucket)."""
    import boto3

    for name, value in S3_ENV.items():
        monkeypatch.setenv(name, value)
    bucket = f"pirights-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket=bucket)
    return s3_server, bucket


@pytest.fixture(params=["file", "s3"])
def backend(request, app_overrides, tmp_path) -> str:
    """Each test using it runs once with a folder store and once with the S3 server."""
    if request.param == "s3":
        endpoint, bucket = request.getfixturevalue("s3_bucket")
        app_overrides["files"] = {"url": f"s3://{bucket}/pirights", "s3_endpoint_url": endpoint}
    else:
        app_overrides["files"] = {"url": (tmp_path / "store").as_uri()}
    return request.param


@pytest.fixture
def store(app):
    """The app's store."""
    from pirights.files.service import EXTENSION

    return app.extensions[EXTENSION]


def stored_keys(app, store) -> list[str]:
    """Every object in the store, temporary and published."""
    with app.app_context():
        return sorted(k for prefix in ("tmp/", "blobs/") for k, _ in store.list(prefix))


@pytest.fixture
def requester(submit):
    """A submitted request: (reference, headers carrying its tracking token)."""
    answer = submit()
    return answer["reference"], {"X-Tracking-Token": answer["tracking_token"]}


def upload(client, url, content: bytes, name: str = "shot.png", headers=None, **fields):
    """POST one file (and fields) as multipart/form-data."""
    data = {"file": (io.BytesIO(content), name), **fields}
    return client.post(url, data=data, headers=headers or {}, content_type="multipart/form-data")
