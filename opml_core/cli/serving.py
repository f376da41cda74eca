"""CLI commands for serving: deploy, deployments, score, simulate."""

from __future__ import annotations

from pathlib import Path

from opml_core.cli.common import stderr
from opml_core.errors import OpmlError


def add_commands(commands) -> None:
    d = commands.add_parser("deploy", help="deploy a version, or update/stop/start/delete a deployment")
    d.add_argument("--name", required=True, help="deployment name, e.g. bank-champion")
    d.add_argument("--model", help="registered model (default: OPML_MODEL_NAME)")
    d.add_argument("--version", help="version number or alias to deploy (e.g. champion)")
    d.add_argument("--target", default="local",
                   help="local, azureml-local, azureml-online, azureml-kubernetes, aci or aks")
    d.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                   help="a target's option, e.g. cpu_cores=1 or compute=aks-prod (repeatable)")
    d.add_argument("--no-auth", action="store_true", help="accept requests without a key")
    action = d.add_mutually_exclusive_group()
    action.add_argument("--update", metavar="VERSION", help="switch to another version or alias")
    action.add_argument("--stop", action="store_true")
    action.add_argument("--start", action="store_true")
    action.add_argument("--delete", action="store_true")
    d.set_defaults(run=_deploy)

    ls = commands.add_parser("deployments", help="list deployments with status and URL")
    ls.add_argument("--show-keys", action="store_true", help="print the keys (default: masked)")
    ls.set_defaults(run=_deployments)

    k = commands.add_parser("keys", help="show or regenerate a deployment's keys")
    k.add_argument("--name", required=True, help="deployment name")
    k.add_argument("--regenerate", choices=["primary", "secondary"],
                   help="replace this key; the other keeps working while clients move")
    k.set_defaults(run=_keys)

    sc = commands.add_parser("score", help="score a CSV through an endpoint")
    sc.add_argument("--endpoint", help="scoring URL, e.g. http://127.0.0.1:5101/score")
    sc.add_argument("--deployment", help="a local deployment's name instead of --endpoint/--key")
    sc.add_argument("--key", help="endpoint key (or set OPML_KEY)")
    sc.add_argument("--input", required=True, help="CSV file with the model's inputs")
    sc.add_argument("--batch-size", type=int, default=500)
    sc.set_defaults(run=_score)

    az = commands.add_parser("azure", help="the Azure ML connection: check it, or use a config.json")
    az.add_argument("--config", metavar="FILE", help="a workspace config.json to keep and use")
    az.set_defaults(run=_azure)

    sim = commands.add_parser("simulate", help="replay operations rows as traffic over a period")
    sim.add_argument("--deployment", required=True)
    sim.add_argument("--table", help="rows to send (default: the model's operations table)")
    sim.add_argument("--days", type=int, default=30)
    sim.add_argument("--per-day", type=int, default=40)
    sim.add_argument("--rows", default="1-5", help="rows per request, e.g. 1-5")
    sim.add_argument("--start", help="first simulated day, YYYY-MM-DD (default: DAYS ago)")
    sim.add_argument("--order", choices=["in-order", "sampled"], default="in-order",
                     help="replay rows in stored (time) order, or sampled across the whole table")
    sim.set_defaults(run=_simulate)


def _deploy(args) -> dict:
    from opml_core.cli.common import split_pairs
    from opml_core.config import load_settings
    from opml_core.deploy import get_target

    settings = load_settings()
    target = get_target(args.target, settings)
    if args.option and (args.delete or args.stop or args.start or args.update):
        raise OpmlError("--option applies to a new deployment only.")
    if args.delete:
        target.delete(args.name)
        return {"deleted": args.name}
    if args.stop:
        info = target.stop(args.name)
    elif args.start:
        info = target.start(args.name)
    elif args.update:
        info = target.update(args.name, args.update, progress=stderr)
    else:
        if not args.version:
            raise OpmlError("Say which version or alias to deploy with --version.")
        info = target.deploy(args.name, args.model or settings.model_name, args.version,
                             auth=not args.no_auth, options=split_pairs(args.option, "--option"),
                             progress=stderr)
    return _deployment_json(info, target, show_keys=False)


def _azure(args) -> dict:
    from opml_core.azure.connection import check_connection, describe, save_config
    from opml_core.config import load_settings

    settings = load_settings()
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise OpmlError(f"There is no file {path}.")
        save_config(settings, path.read_bytes())
    info = check_connection(settings)
    return {"connected": describe(settings), "workspace": info.name, "location": info.location,
            "signed_in_as": info.credential}


def _deployments(args) -> list:
    from opml_core.config import load_settings
    from opml_core.deploy import all_deployments, get_target

    settings = load_settings()
    return [_deployment_json(info, get_target(info.target, settings), args.show_keys)
            for info in all_deployments(settings)]


def _deployment_json(info, target, show_keys: bool) -> dict:
    from opml_core.serve.keys import mask

    keys = target.keys(info.name)
    shown = (lambda k: k) if show_keys else mask
    return {"name": info.name, "status": info.status, "model": info.model_name,
            "version": info.version, "scoring_uri": info.scoring_uri, "engine": info.engine,
            "note": info.note, "auth_required": keys.required,
            "keys": {"primary": shown(keys.primary), "secondary": shown(keys.secondary)}
            if keys.required else None}


def _endpoint(args, settings) -> tuple[str, str | None]:
    import os

    from opml_core.deploy import all_deployments, get_target

    if args.deployment:
        info = next((d for d in all_deployments(settings) if d.name == args.deployment), None)
        if info is None:
            raise OpmlError(f"There is no deployment named {args.deployment!r}.")
        keys = get_target(info.target, settings).keys(info.name)
        return info.scoring_uri, keys.primary if keys.required else None
    if not args.endpoint:
        raise OpmlError("Give --endpoint URL (with --key) or --deployment NAME.")
    return args.endpoint, args.key or os.environ.get("OPML_KEY")


def _score(args) -> dict:
    from opml_core.client import EndpointClient
    from opml_core.config import load_settings
    from opml_core.predict import csv_batches, endpoint_sender, score_batches

    url, key = _endpoint(args, load_settings())
    path = Path(args.input)
    if not path.is_file():
        raise OpmlError(f"There is no file {path}.")
    result = score_batches(endpoint_sender(EndpointClient(url, key)),
                           csv_batches(path.read_bytes(), args.batch_size))
    failed = result.rows - result.scored
    return {"rows": result.rows, "scored": result.scored, "seconds": round(result.seconds, 3),
            "failures": result.failures, "warnings": result.warnings, "predictions": result.results,
            "_exit_code": 1 if failed else 0}  # a script sees that rows failed


def _keys(args) -> dict:
    from opml_core.config import load_settings
    from opml_core.deploy import all_deployments, get_target

    settings = load_settings()
    info = next((d for d in all_deployments(settings) if d.name == args.name), None)
    if info is None:
        raise OpmlError(f"There is no deployment named {args.name!r}; "
                        "'python -m opml_core deployments' lists them.")
    target = get_target(info.target, settings)
    if args.regenerate:
        target.regenerate_key(info.name, args.regenerate)
    keys = target.keys(info.name)
    return {"name": info.name, "auth_required": keys.required, "regenerated": args.regenerate,
            "primary": keys.primary, "secondary": keys.secondary}


def _simulate(args) -> dict:
    from datetime import datetime, timezone

    from opml_core.client import EndpointClient
    from opml_core.config import load_settings
    from opml_core.deploy import all_deployments, get_target
    from opml_core.predict import SimulationSpec, endpoint_sender, simulate_traffic

    settings = load_settings()
    info = next((d for d in all_deployments(settings) if d.name == args.deployment), None)
    if info is None:
        raise OpmlError(f"There is no deployment named {args.deployment!r}.")
    target = get_target(info.target, settings)
    meta, keys = target.model_info(info.name), target.keys(info.name)
    low, _, high = args.rows.partition("-")
    try:
        start = datetime.fromisoformat(args.start).replace(tzinfo=timezone.utc) if args.start else None
        spec = SimulationSpec(args.days, args.per_day, int(low), int(high or low), start,
                              order=args.order.replace("-", " "))
    except ValueError as exc:
        raise OpmlError(f"Cannot read --rows or --start ({exc}); write --rows 1-5 --start 2026-01-01.") from exc
    table = args.table or meta.operations_table
    if not table:
        raise OpmlError("This model has no operations table; give one with --table.")
    send = endpoint_sender(EndpointClient(info.scoring_uri, keys.primary if keys.required else None))
    result = simulate_traffic(send, settings.workspace, info.name, table, meta.inputs, spec)
    return vars(result)
