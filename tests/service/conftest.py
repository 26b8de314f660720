from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The default service with one worker process, shared by the tests that do not change its settings."""
    pytest.importorskip("fastapi", reason="the service needs the serve extra: pip install 'unspin[serve]'")
    from .serving import Server

    srv = Server(tmp_path_factory.mktemp("serve"), "--workers", "1", "--max-concurrency", "64")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    from .serving import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
