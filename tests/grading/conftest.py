"""Every grading test gets its own configuration folder, so none reads or writes the real
instructor's grading secret (`gdcourse grade` creates one there on first use)."""

import pytest


@pytest.fixture(autouse=True)
def own_config_folder(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return folder
