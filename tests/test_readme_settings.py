"""README's configuration table names every setting either service reads."""
from pathlib import Path

from processor.app.config import ProcessorSettings
from requestor.app.config import RequestorSettings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme():
    names = {name.upper() for cls in (ProcessorSettings, RequestorSettings) for name in cls.model_fields}
    missing = sorted(n for n in names if f"`{n}`" not in README)
    assert not missing, f"add to README's configuration table: {missing}"
