"""The package works installed from a wheel, not only from the source tree: the migrations in
schema/ must travel inside it."""

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True)
    (path,) = out.glob("cablemgr-*.whl")
    return path


def test_wheel_carries_the_migrations(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "cablemgr/schema/0001_initial.sql" in names
    assert "cablemgr/schema/0002_builtin_parties.sql" in names


def test_installed_wheel_runs_init_log_list(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   capture_output=True)
    env = {**os.environ, "CABLEMGR_DB": str(tmp_path / "w" / "unit.db")}
    env.pop("PYTHONPATH", None)
    cablemgr = env_dir / "bin" / "cablemgr"

    def call(*args, stdin=None):
        # run outside the source tree so the installed package, not ./cablemgr, is imported
        return subprocess.run([str(cablemgr), *args], input=stdin, capture_output=True,
                              text=True, env=env, cwd=tmp_path, check=True).stdout

    assert call("init").strip() == env["CABLEMGR_DB"]
    assert call("log", "--title", "Wheel check", "--date", "2024-01-02",
                stdin="notes\n").strip() == "R1"
    assert "Wheel check" in call("list")
    module = subprocess.run([str(python), "-m", "cablemgr", "--version"], capture_output=True,
                            text=True, env=env, cwd=tmp_path, check=True).stdout
    assert "cablemgr" in module
