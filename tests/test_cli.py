"""The command line does what the buttons do and prints JSON; problems exit with status 2."""

import json

from opml_core.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_prepare_train_and_alias_from_the_command_line(spark, settings, capsys):
    code, out, _ = run(capsys, "prepare", "--split", "random", "--operations-share", "0.9",
                       "--skew", "age>60", "--skew-factor", "2")
    prepared = json.loads(out)
    assert code == 0 and prepared["training_table"] == "bank_train"
    assert "age > 60" in prepared["summary"]

    code, out, err = run(capsys, "train", "--table", "bank_train", "--param", "numTrees=5",
                         "--param", "maxDepth=3")
    trained = json.loads(out)
    assert code == 0 and trained["version"] == "1" and 0.5 < trained["metrics"]["roc_auc"] <= 1
    assert "Fitting Random Forest" in err

    code, out, _ = run(capsys, "models", "--set-alias", "champion", "--version", "1")
    assert code == 0 and json.loads(out)["versions"][0]["aliases"] == "champion"


def test_readable_column_names_are_accepted(spark, settings, capsys):
    code, out, _ = run(capsys, "prepare", "--features", "age,emp.var.rate,job", "--training-table",
                       "small_train", "--operations-table", "small_ops")
    assert code == 0
    from opml_core.data import read_card

    assert read_card(settings.workspace, "small_train").features == ["age", "emp_var_rate", "job"]


def test_a_problem_prints_a_json_error_and_exits_2(settings, capsys):
    code, out, err = run(capsys, "train", "--table", "missing_table")
    assert code == 2 and out == ""
    assert "has no dataset card" in json.loads(err)["error"]


def test_an_unreadable_skew_says_how_to_write_it(spark, settings, capsys):
    code, _, err = run(capsys, "prepare", "--skew", "age around 60")
    assert code == 2 and "write it like 'age>60'" in json.loads(err)["error"]


def test_a_parameter_that_is_not_a_number_is_refused_by_name(capsys):
    code = main(["train", "--table", "bank_train", "--param", "maxIter=abc"])
    error = json.loads(capsys.readouterr().err)["error"]
    assert code == 2 and "--param maxIter must be a number; got 'abc'" in error
