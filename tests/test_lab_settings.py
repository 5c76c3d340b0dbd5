"""JupyterLab's settings for the course (gdcourse/lab-settings/gdcourse.json): no news, no
update checks, no extension manager, so that JupyterLab asks nothing of the network.

The file is a JupyterLab settings override, `{plugin id: {setting: default}}`, installed into
`{sys.prefix}/share/jupyter/lab/settings/overrides.d/` by a wheel (pyproject.toml's
data-files) and by `make setup` (an editable install carries no data files). JupyterLab
silently adds a setting its schema lacks, so a misspelt key or plugin would turn nothing
off: every plugin and key here is checked against the schemas of the JupyterLab installed,
and the defaults JupyterLab's own settings code derives from the file are read back. The
browser test (tests/test_browser_lab.py) checks the installed file at work.
"""

import json
import re
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
from jupyterlab.commands import get_app_dir
from jupyterlab_server.settings_utils import get_settings

from gdcourse.authoring.release import LAB_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / LAB_SETTINGS
OVERRIDES_D = "share/jupyter/lab/settings/overrides.d"
SCHEMAS = Path(get_app_dir()) / "schemas"
# What the course turns off, and why: each makes the page or the server reach the network.
EXPECTED = {
    # no "Would you like to get notified about official Jupyter news?" toast, no feed fetch
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # no listing or search of extensions on PyPI
    "@jupyterlab/extensionmanager-extension:plugin": {"enabled": False},
}


def settings():
    return json.loads(SETTINGS.read_text(encoding="utf-8"))


def schema_of(plugin: str) -> dict:
    package, _, name = plugin.partition(":")
    return json.loads((SCHEMAS / package / f"{name}.json").read_text(encoding="utf-8"))


def test_the_settings_are_json_and_say_what_the_course_turns_off():
    assert settings() == EXPECTED


@pytest.mark.parametrize("plugin", sorted(EXPECTED))
def test_each_setting_is_in_the_installed_jupyterlab_schema_and_valid(plugin):
    schema = schema_of(plugin)
    for key, value in settings()[plugin].items():
        assert key in schema["properties"], f"{plugin} has no setting {key!r}"
        jsonschema.validate(value, schema["properties"][key])
    jsonschema.validate(settings()[plugin], schema)


def test_jupyterlab_reads_them_as_its_defaults(tmp_path):
    """What jupyterlab_server makes of the file in an environment's overrides.d: the new
    defaults, with no user settings at all."""
    app_settings = tmp_path / "settings"
    (app_settings / "overrides.d").mkdir(parents=True)
    (app_settings / "overrides.d" / "gdcourse.json").write_bytes(SETTINGS.read_bytes())
    (tmp_path / "user").mkdir()
    for plugin, values in EXPECTED.items():
        found, warnings = get_settings(
            str(app_settings), str(SCHEMAS), str(tmp_path / "user"), schema_name=plugin
        )
        assert warnings == [None] and found["settings"] == {}
        defaults = {key: found["schema"]["properties"][key]["default"] for key in values}
        assert defaults == values


def test_a_wheel_and_make_setup_install_them_where_jupyterlab_reads_overrides():
    assert Path(get_app_dir()) == Path(sys.prefix, "share", "jupyter", "lab")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data_files = project["tool"]["setuptools"]["data-files"]
    assert data_files[OVERRIDES_D] == [str(LAB_SETTINGS)]
    for makefile in (ROOT / "Makefile", ROOT / "gdcourse/authoring/handout/Makefile"):
        text = makefile.read_text(encoding="utf-8")
        assert re.search(rf"^LAB_SETTINGS\s*:= {re.escape(str(LAB_SETTINGS))}$", text, re.M)
        target = rf"^LAB_OVERRIDES\s*:= \$\(VENV\)/{OVERRIDES_D}/gdcourse.json$"
        assert re.search(target, text, re.M), makefile
        assert re.search(r"^setup: .*\$\(LAB_OVERRIDES\)", text, re.M), makefile
        assert re.search(r"^lab: .*\$\(LAB_OVERRIDES\)", text, re.M), makefile
