"""What the browser tests of the page share: one real server and one Chromium per test module."""

import pytest
from page_helpers import STATIC, chromium, serve


@pytest.fixture(scope="module")
def server():
    from chainrule.playground.server import create_app

    with serve(create_app(static_dir=STATIC)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b
