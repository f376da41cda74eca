"""CLI commands for monitoring: collect, labels, monitor (with an alerting exit code)."""

from __future__ import annotations

from pathlib import Path

from opml_core.cli.common import stderr
from opml_core.errors import OpmlError

ALERT_EXIT = 3


def add_commands(commands) -> None:
    c = commands.add_parser("collect", help="add new usage to model_requests and model_inputs")
    c.set_defaults(run=_collect)

    lab = commands.add_parser("labels", help="add actual outcomes for a deployment's requests")
    lab.add_argument("--deployment", required=True)
    lab.add_argument("--reveal", action="store_true",
                     help="take outcomes from the operations table simulated traffic came from")
    lab.add_argument("--file", help="CSV with a key column and an outcome column")
    lab.add_argument("--key", default="request_id", help="key column (default request_id)")
    lab.add_argument("--outcome", help="outcome column")
    lab.set_defaults(run=_labels)

    m = commands.add_parser("monitor", help="usage, performance and drift of a deployment; exits "
                                             f"{ALERT_EXIT} when an alert threshold is crossed")
    m.add_argument("--deployment", required=True)
    m.add_argument("--window", default="auto", help="auto, 1h, 1d, 7d or 30d")
    m.add_argument("--classifier", action="store_true", help="also run the drift classifier")
    m.add_argument("--threshold", action="append", default=[], metavar="METHOD=WARN,ALERT",
                   help="override a drift method's thresholds, e.g. psi=0.1,0.2")
    m.add_argument("--out", help="write the report as one HTML file")
    m.add_argument("--collect", action="store_true", help="collect new usage first")
    m.add_argument("--webhook", help="post the cards to this Teams or Slack incoming webhook when "
                                     "a threshold is crossed (default: the hook saved on the "
                                     "Monitor page, if any)")
    m.add_argument("--notify-on", choices=["warn", "alert"], default="alert",
                   help="the level that posts to the webhook (default alert)")
    m.set_defaults(run=_monitor)


def _collect(args) -> dict:
    from opml_core.config import load_settings
    from opml_core.spark import get_spark
    from opml_core.usage import collect_usage

    settings = load_settings()
    return vars(collect_usage(get_spark(settings), settings, progress=stderr))


def _labels(args) -> dict:
    from opml_core.config import load_settings
    from opml_core.monitor.context import model_context, usage_frames, latest_version
    from opml_core.monitor.labels import add_labels_file, reveal_outcomes
    from opml_core.spark import get_spark

    settings = load_settings()
    spark = get_spark(settings)
    if args.reveal:
        return vars(reveal_outcomes(spark, settings, args.deployment))
    if not args.file or not args.outcome:
        raise OpmlError("Give --reveal, or --file with --outcome (and --key if not request_id).")
    frames = usage_frames(spark, settings, args.deployment)
    if frames is None or frames[1] is None:
        raise OpmlError(f"{args.deployment} has no collected rows yet; run collect first.")
    card = model_context(settings, *latest_version(frames[1])).card
    path = Path(args.file)
    if not path.is_file():
        raise OpmlError(f"There is no file {path}.")
    return vars(add_labels_file(spark, settings, args.deployment, path.read_bytes(), path.name,
                                args.key, args.outcome, (card.positive_class, card.negative_class)))


def _monitor(args) -> dict:
    from opml_core.config import load_settings
    from opml_core.monitor.export import monitor_html
    from opml_core.monitor.report import run_monitor
    from opml_core.spark import get_spark
    from opml_core.usage import collect_usage

    settings = load_settings()
    spark = get_spark(settings)
    if args.collect:
        collect_usage(spark, settings, progress=stderr)
    report = run_monitor(spark, settings, args.deployment, args.window, _thresholds(args.threshold),
                         args.classifier, progress=stderr)
    if report is None:
        return {"deployment": args.deployment, "message": "No usage collected yet.", "cards": []}
    if args.out:
        Path(args.out).write_text(monitor_html(report), "utf-8")
    webhook = _notify(settings, report, args)
    drift = report.drift
    status = drift.feature_status() if drift else {}
    ranking = drift.ranking() if drift else []
    return {"deployment": report.deployment, "window": report.window, "worst": report.worst,
            "cards": [_card(c) for c in report.cards], "notes": report.notes,
            "problems": report.problems,
            "drift": [{"feature": v.feature, "drift_score": _round(v.value),
                       "psi": _round(drift.value(v.feature, "psi").value),
                       "status": status.get(v.feature, v.status)} for v in ranking],
            "report": args.out, "webhook": webhook,
            "_exit_code": ALERT_EXIT if report.worst == "alert" else 0}


def _notify(settings, report, args) -> dict | None:
    """Post the cards to the webhook; a hook that fails is reported, the report still printed."""
    from opml_core.monitor.alerts import post_cards, saved_webhook

    url = args.webhook or saved_webhook(settings.workspace, report.deployment)
    if not url:
        return None
    try:
        done = post_cards(url, report, args.notify_on)
    except OpmlError as exc:
        stderr(str(exc))
        return {"sent": False, "reason": str(exc)}
    return {"sent": done.sent, "reason": done.reason}


def _card(card) -> dict:
    return {"title": card.title, "level": card.level, "sentence": card.sentence,
            "items": [{"group": i.group, "feature": i.feature, "text": i.text} for i in card.items]}


def _round(value: float):
    return None if value != value else round(value, 4)


def _thresholds(items: list[str]) -> dict:
    thresholds = {}
    for item in items:
        key, _, values = item.partition("=")
        try:
            warn, alert = (float(v) for v in values.split(","))
        except ValueError:
            raise OpmlError(f"Cannot read --threshold {item!r}; write it like psi=0.1,0.25.") from None
        thresholds[key.strip()] = (warn, alert)
    return thresholds
