"""The Space through its HTTP API (gradio_client), against the app served on 127.0.0.1."""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from ..conftest import C_SNIPPETS

RELATIONS = ["prediction_agreement", "probability_distribution_similarity", "high_confidence_preservation",
             "calibration_alignment", "high_confidence_converse"]
THRESHOLDS = (0.05, 0.9, 0.1)


def probe(client, settings, code, *, language="c", task="defect", teacher=None, student=None, code2=""):
    return client.predict(code, code2, language, task, teacher or settings.default_teacher,
                          student or settings.default_student, 0, *THRESHOLDS, api_name="/probe")


def test_probe_returns_follow_ups_and_verdicts(client, space_settings):
    status, verdicts_html, diffs_html, result = probe(client, space_settings, C_SNIPPETS[0])
    inputs = result["inputs"]
    assert inputs[0]["transformation"] is None
    names = [i["transformation"] for i in inputs[1:]]
    # The default transformations all apply to this snippet (it has locals, statements, an if/else).
    assert {"rename_variables", "dead_code", "if_else_swap"} <= set(names)
    assert result["n_follow_ups"] == len(names) > 0
    for entry in inputs:
        assert set(entry["verdicts"]) == set(RELATIONS)
        for model in ("teacher", "student"):
            assert abs(sum(entry[model]["probs"]) - 1) < 1e-4
            assert entry[model]["prediction_name"] in result["label_names"]
        assert entry["violations"] == [r for r in RELATIONS if entry["verdicts"][r]["violated"]]
        assert entry["kl_bits"] >= 0.0
    # representation shift from the source: 0 for the source itself, per pooling and model
    assert inputs[0]["shift"]["first"] == {"teacher": 0.0, "student": 0.0}
    assert all(0.0 <= i["shift"][p][m] <= 2.0 for i in inputs for p in ("first", "mean") for m in ("teacher", "student"))
    rep = result["representations"]
    assert set(rep) == {"cka", "spearman"} and 0.0 <= rep["cka"]["mean"] <= 1.0
    assert verdicts_html.count('class="mc-shift"') == len(inputs) - 1
    agreements = sum(i["teacher"]["prediction"] == i["student"]["prediction"] for i in inputs)
    assert result["fidelity"]["top1_agreement"] == agreements and result["fidelity"]["n"] == len(inputs)
    assert result["fidelity"]["mean_kl_bits"] == pytest.approx(sum(i["kl_bits"] for i in inputs) / len(inputs),
                                                               abs=1e-5)
    for entry in inputs[1:]:
        assert entry["diff"] and entry["diff"][0].startswith("--- source")
        assert entry["code"][0] != C_SNIPPETS[0]
    # The page shows the same verdicts: one table row per input, one cell per relation.
    assert verdicts_html.count("<tr class=") == len(inputs)
    assert verdicts_html.count('data-verdict="violated"') == sum(len(i["violations"]) for i in inputs)
    assert "rename_variables" in diffs_html and "mc-add" in diffs_html
    assert "follow-up(s)" in status and "mean KL(teacher ‖ student)" in status
    assert verdicts_html.count('class="mc-kl"') == len(inputs)


def test_probe_clone_pair(client, space_settings):
    _, _, _, result = probe(client, space_settings, C_SNIPPETS[0], task="clone", code2=C_SNIPPETS[1])
    assert all(len(entry["code"]) == 2 for entry in result["inputs"])
    assert result["n_follow_ups"] > 0


@pytest.mark.parametrize("code, message", [
    ("", "empty"),
    ("   \n\t", "empty"),
    ("int f( { return ;; }}} (", "does not parse"),
    ("int f(void) { return 0; }\n" + "// padding\n" * 2500, "limit here is 20,000"),
])
def test_probe_bad_snippet_is_a_message(client, space_settings, code, message):
    with pytest.raises(AppError, match=message) as info:
        probe(client, space_settings, code)
    assert "Traceback" not in str(info.value)


def test_probe_folder_that_is_not_a_model(client, space_settings, tmp_path):
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(AppError, match="not a model folder") as info:
        probe(client, space_settings, C_SNIPPETS[1], student=str(tmp_path))
    assert "Traceback" not in str(info.value)
    with pytest.raises(AppError, match="neither a demo model"):
        probe(client, space_settings, C_SNIPPETS[1], teacher="not a hub id!")
    # The server survived: the next request works.
    assert probe(client, space_settings, C_SNIPPETS[1])[3]["inputs"]


def test_load_models(client, space_settings):
    status = client.predict(space_settings.default_teacher, space_settings.default_student, api_name="/load_models")
    assert "Ready" in status and "safe, defective" in status


def test_compare_builds_a_leaderboard(client, two_reports):
    status, board_html, board, plots = client.predict([handle_file(str(p)) for p in two_reports], "", "overall",
                                                      api_name="/compare")
    assert "2 report(s)" in status
    rows = board["data"]
    assert len(rows) == 2 and board["headers"][:4] == ["rank", "student", "teacher", "data"]
    # named by student and data, not "report.json (2)"
    assert {r[4] for r in rows} == {"student on data.jsonl", "teacher on data.jsonl"}
    assert board_html.count('class="mc-group"') == 1 and "student on data.jsonl" in board_html
    # The teacher against itself never violates anything: it ranks first, with 0% everywhere.
    assert rows[0][1] == "teacher" and rows[0][7] == "0.0%"
    assert rows[1][1] == "student"
    assert all("%" in cell and "[" in cell for cell in rows[1][8:12])  # rate [CI] (k/n)
    # the KD literature's fidelity measures close the row: the teacher agrees with itself with KL 0
    assert board["headers"][-3:] == ["top-1 agreement", "mean KL (bits)", "mean |ΔP|"]
    assert rows[0][-3].startswith("100.0%") and rows[0][-2].startswith("0.0000") and rows[0][-1] == "0.0000"
    assert "[" in rows[1][-2]  # KL with its 95% CI
    assert float(rows[1][-1]) >= 0.0
    assert len(plots) == 2  # a heatmap redrawn per uploaded report.json


def test_compare_from_folder_with_plots(client, two_reports):
    folder = two_reports[0].parent.parent
    status, _, board, plots = client.predict([], str(folder), "follow_ups", api_name="/compare")
    assert len(board["data"]) == 2
    assert len(plots) == 4  # both reports' own heatmap and confidence scatter


def test_compare_rejects_what_is_not_a_report(client, tmp_path, two_reports):
    bad = tmp_path / "other.json"
    bad.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(AppError, match="not a MetaCompress report"):
        client.predict([handle_file(str(bad))], "", "overall", api_name="/compare")
    with pytest.raises(AppError, match="upload one or more"):
        client.predict([], "", "overall", api_name="/compare")
    # A bad file next to good ones is skipped with a note, not fatal.
    status, _, board, _ = client.predict([handle_file(str(bad)), handle_file(str(two_reports[0]))], "", "overall",
                                         api_name="/compare")
    assert len(board["data"]) == 1 and "Skipped" in status


def test_run_returns_a_downloadable_report(client, space_settings, small_dataset, two_reports):
    status, zip_path, board_html, board, plots = client.predict(
        handle_file(str(small_dataset)), "defect", "", ["rename_variables", "dead_code"], 4, 0, False,
        space_settings.default_teacher, space_settings.default_student, *THRESHOLDS, api_name="/run")
    assert "Done" in status
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        report = json.loads(zf.read("metacompress-report/report.json"))
        texts = {n: zf.read(n).decode("utf-8", errors="replace") for n in names}
    assert {"metacompress-report/report.md", "metacompress-report/violation_heatmap.png"} <= set(names)
    # The zip is handed to visitors: models and data by the names they gave, no path of the server.
    teacher, student = Path(space_settings.default_teacher), Path(space_settings.default_student)
    assert report["models"]["teacher"]["name_or_path"] == teacher.name
    assert report["models"]["student"]["name"] == student.name and report["data"]["path"] == small_dataset.name
    server_paths = [str(space_settings.work_dir), str(space_settings.models_dir), str(teacher.parent),
                    str(small_dataset.parent), tempfile.gettempdir() + "/", str(Path.home()) + "/"]
    for name, text in texts.items():
        for path in server_paths:
            assert path not in text, f"{path} in {name}"
    assert report["data"]["n_sources"] == 4
    assert set(report["settings"]["transforms"]) == {"rename_variables", "dead_code"}
    assert len(board["data"]) == 1 and len(plots) == 2
    # The zip goes straight back into Compare, next to another report.
    status, board_html, board, _ = client.predict([handle_file(zip_path), handle_file(str(two_reports[1]))], "",
                                                  "overall", api_name="/compare")
    assert len(board["data"]) == 2
    # the Run used 4 of the 8 rows: other data, so the two are not ranked against each other
    assert {r[0] for r in board["data"]} == {1} and board_html.count('class="mc-group"') == 2
    assert "not ranked against each other" in status


def test_run_bad_input_is_a_message(client, space_settings, tmp_path):
    args = ("defect", "", ["rename_variables"], 4, 0, False)
    with pytest.raises(AppError, match="not a model folder"):
        client.predict(None, *args, space_settings.default_teacher, str(tmp_path), *THRESHOLDS, api_name="/run")
    bad = tmp_path / "data.jsonl"
    bad.write_text(json.dumps({"id": 1, "source": "int f(void) { return 0; }"}) + "\n")
    with pytest.raises(AppError, match="missing column") as info:
        client.predict(handle_file(str(bad)), *args, space_settings.default_teacher, space_settings.default_student,
                       *THRESHOLDS, api_name="/run")
    assert "Traceback" not in str(info.value)
