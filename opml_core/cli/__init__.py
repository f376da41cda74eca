"""``python -m opml_core``: the app's actions for scripts and pipelines, printing JSON.

``build`` commands (prepare, train, models, tables) are defined here; ``serving`` adds deploy,
deployments, score and simulate.

Each command calls the same core function as the matching button. Problems print
``{"error": "..."}`` on stderr and exit with status 2; success prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from opml_core.cli import monitoring, serving
from opml_core.cli.common import split_list, stderr
from opml_core.errors import OpmlError

SKEW = re.compile(r"^\s*([^<>=!]+?)\s*(>=|<=|==|!=|>|<)\s*(.+?)\s*$")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 1
    try:
        result = args.run(args)
    except OpmlError as exc:
        details = {"details": exc.details} if exc.details else {}
        print(json.dumps({"error": str(exc), **details}), file=sys.stderr)
        return 2
    code = result.pop("_exit_code", 0) if isinstance(result, dict) else 0
    print(json.dumps(result, indent=2, default=str))
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m opml_core",
        description="opml from the command line: prepare data, train, deploy, score. Prints JSON.")
    commands = parser.add_subparsers(title="commands")

    p = commands.add_parser("prepare", help="load, split and save a training and an operations table")
    p.add_argument("--source", default="bundled",
                   help="'bundled', a CSV/Parquet path, or table:NAME (default: bundled)")
    p.add_argument("--delimiter", help="CSV delimiter (default: sniffed)")
    p.add_argument("--target", help="column to predict (default: the bundled data's y)")
    p.add_argument("--positive", help="the positive class (default: the bundled data's yes)")
    p.add_argument("--features", help="comma-separated feature columns (default: all others)")
    p.add_argument("--drop", default=None, help="comma-separated columns to leave out")
    p.add_argument("--split", choices=["temporal", "random"], default="temporal")
    p.add_argument("--operations-share", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--order-by", help="date or number column ordering a temporal split")
    p.add_argument("--skew", help="segment to over-represent in operations, e.g. 'age>60'")
    p.add_argument("--skew-factor", type=float, default=3.0)
    p.add_argument("--training-table", default=None)
    p.add_argument("--operations-table", default=None)
    p.add_argument("--replace", action="store_true", help="replace tables of the same name")
    p.set_defaults(run=_prepare)

    t = commands.add_parser("train", help="train, evaluate, log and register a model")
    t.add_argument("--table", required=True)
    t.add_argument("--model", default="random_forest",
                   choices=["random_forest", "gbt", "logistic_regression"])
    t.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="estimator knob, e.g. numTrees=50 (repeatable)")
    t.add_argument("--features", help="comma-separated subset of the table's features")
    t.add_argument("--test-share", type=float, default=0.2)
    t.add_argument("--seed", type=int, default=42)
    t.add_argument("--cv-folds", type=int, default=0)
    t.add_argument("--name", help="registered model name (default: OPML_MODEL_NAME)")
    t.set_defaults(run=_train)

    m = commands.add_parser("models", help="list a registered model's versions; set aliases")
    m.add_argument("--name", help="registered model name (default: OPML_MODEL_NAME)")
    m.add_argument("--set-alias", metavar="ALIAS", help="point ALIAS at --version")
    m.add_argument("--remove-alias", metavar="ALIAS")
    m.add_argument("--version")
    m.set_defaults(run=_models)

    tables = commands.add_parser("tables", help="list the workspace's tables")
    tables.set_defaults(run=_tables)
    serving.add_commands(commands)
    monitoring.add_commands(commands)
    return parser


def _prepare(args) -> dict:
    from opml_core import data
    from opml_core.config import load_settings
    from opml_core.spark import get_spark

    settings = load_settings()
    spark = get_spark(settings)
    loaded = _load(spark, settings, args)
    by_name = {readable: safe for safe, readable in loaded.display_names.items()}
    resolve = lambda name: by_name.get(name, name)  # noqa: E731 - readable or safe names
    bundled = loaded.bundled
    target = resolve(args.target or (bundled.target if bundled else loaded.columns[-1]))
    positive = args.positive or (bundled.positive_class if bundled else None)
    if positive is None:
        raise OpmlError("Say which value of the target is the positive class with --positive.")
    dropped = {resolve(c) for c in split_list(args.drop)} if args.drop is not None else \
        set(bundled.excluded_by_default if bundled else ())
    features = [resolve(c) for c in split_list(args.features)] if args.features else \
        [c for c in loaded.columns if c != target and c not in dropped]
    skew = _skew(args, resolve)
    base = loaded.suggested_name
    spec = data.PrepareSpec(
        target=target, positive_class=positive, features=features,
        training_table=args.training_table or f"{base}_train",
        operations_table=args.operations_table or f"{base}_ops",
        split=data.SplitSpec(args.split, args.operations_share, args.seed,
                             resolve(args.order_by) if args.order_by else None),
        skew=skew, replace=args.replace)
    result = data.prepare_tables(spark, settings.workspace, loaded, spec)
    return {"training_table": result.training.table, "training_rows": result.training.rows,
            "operations_table": result.operations.table,
            "operations_rows": result.operations.rows, "summary": result.summary}


def _load(spark, settings, args):
    from opml_core import data

    if args.source == "bundled":
        return data.load_bundled(spark, workspace=settings.workspace)
    if args.source.startswith("table:"):
        return data.load_table(spark, settings.workspace, args.source.removeprefix("table:"))
    path = Path(args.source)
    if not path.is_file():
        raise OpmlError(f"There is no file {path}; give a CSV/Parquet path, 'bundled' or table:NAME.")
    staged = data.stage_upload(settings.workspace, path.name, path.read_bytes(),
                               settings.max_upload_mb, args.delimiter)
    return data.load_staged(spark, staged, settings.workspace)


def _skew(args, resolve):
    from opml_core.data import SkewSpec

    if not args.skew:
        return None
    match = SKEW.match(args.skew)
    if not match:
        raise OpmlError(f"Cannot read --skew {args.skew!r}; write it like 'age>60' or 'job==student'.")
    column, operator, value = match.groups()
    return SkewSpec(resolve(column), operator, value.strip("'\""), args.skew_factor)


def _train(args) -> dict:
    from opml_core.config import load_settings
    from opml_core.spark import get_spark
    from opml_core.train import TrainSpec, train_and_log

    settings = load_settings()
    params = {}
    for item in args.param:
        name, _, value = item.partition("=")
        if not value:
            raise OpmlError(f"Cannot read --param {item!r}; write it like numTrees=50.")
        try:
            params[name.strip()] = float(value)
        except ValueError:
            raise OpmlError(f"--param {name.strip()} must be a number; got {value!r}. Write it "
                            "like maxIter=20.") from None
    spec = TrainSpec(args.table, args.model, params,
                     split_list(args.features) if args.features else None,
                     args.test_share, args.seed, args.cv_folds, args.name)
    result = train_and_log(get_spark(settings), settings, spec, progress=stderr)
    return {"run_id": result.run_id, "model": result.model_name, "version": result.version,
            "model_uri": result.model_uri, "estimator": result.estimator,
            "metrics": result.evaluation.headline(0.5), "timings_s": result.timings}


def _models(args) -> dict | list:
    from opml_core.config import load_settings
    from opml_core.registry import list_versions, remove_alias, set_alias, version_summary

    settings = load_settings()
    name = args.name or settings.model_name
    if args.set_alias:
        if not args.version:
            raise OpmlError("Say which version the alias points at with --version.")
        set_alias(settings, name, args.version, args.set_alias)
    if args.remove_alias:
        remove_alias(settings, name, args.remove_alias)
    return {"model": name, "versions": [version_summary(v) for v in list_versions(settings, name)]}


def _tables(args) -> list:
    from opml_core.config import load_settings
    from opml_core.data import list_tables

    return [info.__dict__ for info in list_tables(load_settings().workspace)]
