"""watch: saved searches and what is new since each last ran."""

from __future__ import annotations

import pytest


@pytest.fixture
def unit(run):
    run("init")
    run("report", "--subject", "Berlin on APT28", "--date", "2024-05-03", "--post", "Berlin",
        "--body", "Germany attributed the campaign to APT28.")
    run("report", "--subject", "Geneva on norms", "--date", "2024-05-04", "--post", "Geneva",
        "--body", "The norms debate continued; APT28 was mentioned once.")
    run("report", "--subject", "Vienna on CBMs", "--date", "2024-05-05", "--post", "Vienna",
        "--body", "Contact-point tables were updated.")
    return run


def _run(run, *args):
    return {r["name"]: r for r in run.json("watch", "run", *args)}


def test_new_since_last_run_across_two_runs(unit):
    unit("watch", "add", "apt28", "APT28")
    first = _run(unit)["apt28"]
    assert first["previous_run_at"] is None and first["total"] == 2
    assert sorted(h["id"] for h in first["new"]) == ["R1", "R2"]
    again = _run(unit)["apt28"]
    assert again["new"] == [] and again["total"] == 2
    assert again["previous_run_at"] == first["run_at"]
    unit("report", "--subject", "Brussels on APT28", "--date", "2024-05-06", "--post", "Brussels",
         "--body", "The EU declaration names APT28.")
    third = _run(unit)["apt28"]
    assert [h["id"] for h in third["new"]] == ["R4"] and third["total"] == 3
    assert third["new"][0]["post"] == "Brussels"


def test_filters_are_saved_and_applied(unit):
    unit("watch", "add", "berlin-apt28", "APT28", "--post", "berlin", "--since", "2024-01-01")
    [watch] = unit.json("watch", "list")
    assert watch == {"name": "berlin-apt28", "query": "APT28",
                     "filters": {"post": "berlin", "since": "2024-01-01"},
                     "created_at": watch["created_at"], "last_run_at": None, "seen": 0}
    assert [h["id"] for h in _run(unit, "berlin-apt28")["berlin-apt28"]["new"]] == ["R1"]
    assert unit.json("watch", "list")[0]["seen"] == 1


def test_filters_only_watch_and_kinds(unit):
    unit("watch", "add", "vienna", "--post", "Vienna")
    unit("watch", "add", "actions", "--kind", "action")
    runs = _run(unit)
    assert [h["id"] for h in runs["vienna"]["new"]] == ["R3"] and runs["actions"]["new"] == []
    unit("action", "add", "Ask Vienna for the table", "--owner", "ines")
    assert [h["id"] for h in _run(unit, "actions")["actions"]["new"]] == ["A1"]


def test_running_one_watch_leaves_the_others_untouched(unit):
    unit("watch", "add", "a", "APT28")
    unit("watch", "add", "b", "norms")
    _run(unit, "a")
    assert [w["last_run_at"] is None for w in unit.json("watch", "list")] == [False, True]
    assert len(_run(unit)["b"]["new"]) == 1


def test_exit_code_three_only_when_something_is_new(unit):
    unit("watch", "add", "apt28", "APT28")
    assert unit("watch", "run", "--exit-code", ok=False).exit_code == 3
    assert unit("watch", "run", "--exit-code").exit_code == 0
    # without --exit-code news is not an error
    unit("report", "--subject", "More APT28", "--date", "2024-06-01", "--body", "APT28 again.")
    assert unit("watch", "run").exit_code == 0


def test_table_output(unit):
    unit("watch", "add", "apt28", "APT28")
    text = unit("watch", "run").stdout
    assert text.splitlines()[0] == "apt28: 2 new (first run), 2 matches in all"
    assert "R1  2024-05-03  report  Berlin  Berlin on APT28" in text
    assert unit("watch", "run").stdout == "apt28: 0 new, 2 matches in all\n"
    listing = unit("watch", "list").stdout.splitlines()
    assert listing[0].split() == ["NAME", "QUERY", "FILTERS", "LAST", "RUN", "SEEN"]


def test_remove_forgets_what_was_seen(unit):
    unit("watch", "add", "apt28", "APT28")
    _run(unit)
    assert "Removed watch apt28." in unit("watch", "remove", "apt28").stdout
    assert unit.json("watch", "list") == []
    unit("watch", "add", "apt28", "APT28")
    assert len(_run(unit)["apt28"]["new"]) == 2


@pytest.mark.parametrize("args, message", [
    (["watch", "add", "bad name", "x"], "'bad name' cannot name a watch"),
    (["watch", "add", "q", "(APT28"], ""),
    (["watch", "add", "d", "x", "--since", "someday"], "cannot read date 'someday'"),
    (["watch", "remove", "nope"], "no watch named 'nope'"),
    (["watch", "run", "nope"], "no watch named 'nope'"),
])
def test_bad_input(unit, args, message):
    result = unit(*args, ok=False)
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert unit.json("watch", "list") == []


def test_a_name_is_saved_once(unit):
    unit("watch", "add", "apt28", "APT28")
    result = unit("watch", "add", "APT28", "other", ok=False)
    assert result.exit_code == 1 and "a watch named 'APT28' exists already" in result.stderr


def test_no_watches(unit):
    assert unit.json("watch", "run") == []
    assert "No saved searches" in unit("watch", "run").stderr
