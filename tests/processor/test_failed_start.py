"""A service whose start fails part-way stops what it started and disposes its engine."""
import asyncio
import json

import pytest

from processor.app.container import Processor
from processor.app.factory import create_app
from tests.conftest import processor_settings


async def test_a_start_that_fails_after_migrating_disposes_the_engine(make_db_url, db_backend, tmp_path, monkeypatch):
    built: list[Processor] = []
    build = Processor.build
    monkeypatch.setattr(Processor, "build",
                        classmethod(lambda cls, settings: built.append(build(settings)) or built[-1]))
    bad_sellers = tmp_path / "sellers.json"
    bad_sellers.write_text(json.dumps([{"seller_id": "S-1"}]))  # read after the migrations, and refused
    app = create_app(processor_settings(make_db_url("processor"), sellers_file=bad_sellers))

    with pytest.raises(ValueError, match="validation error"):
        async with app.router.lifespan_context(app):
            pass

    engine = built[0].engine
    assert engine.pool.checkedin() == 0 and engine.pool.checkedout() == 0, engine.pool.status()  # disposed
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
