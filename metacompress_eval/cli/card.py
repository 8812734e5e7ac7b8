"""``metacompress card``: add the behavioural-fidelity section to a model card (and push it)."""

from __future__ import annotations

import sys

from ..errors import MetaCompressError

NAME = "card"


def add_parser(subparsers):
    from ..hub.push import DEFAULT_REPORT_DIR

    p = subparsers.add_parser(NAME, help="add the behavioural-fidelity section to a model card (and push it)",
                              description="Updates README.md in place: the MetaCompress section between HTML comment "
                                          "markers (replaced on later runs), SVG badges, and model-index results "
                                          "(only for data with a Hub dataset id: the report's Hub dataset, or "
                                          "--dataset-id).")
    p.add_argument("--report", required=True, help="report folder written by 'metacompress evaluate'")
    p.add_argument("--card", default="README.md", help="model card to update (created when absent)")
    p.add_argument("--report-url", default=None,
                   help="link to the full report: an http(s) URL, or a path relative to the card naming a file "
                        "that is published with it (with --push: one the push uploads); other schemes "
                        "(javascript:, file:, ...) and absolute or '..' paths are refused (default: the uploaded "
                        "report with --upload-report, else the relative path from the card to the report folder)")
    p.add_argument("--model-name", default=None,
                   help="model-index name (default: the card's, else the student's)")
    p.add_argument("--dataset-id", default=None,
                   help="Hub dataset id the results are on (model-index dataset.type), e.g. the follow-up dataset "
                        "pushed with 'metacompress dataset --push' (default: the report's data when it is a Hub "
                        "dataset; local data gets no model-index results)")
    p.add_argument("--dataset-name", default=None, help="pretty dataset name (default: the id, or the file name)")
    p.add_argument("--dataset-config", default=None, help="configuration of --dataset-id (model-index dataset.config)")
    p.add_argument("--dataset-split", default=None,
                   help="split of --dataset-id (default: the report's split or --where split=...)")
    p.add_argument("--push", default=None, metavar="REPO_ID", help="upload card and badges to this model repository")
    p.add_argument("--upload-report", nargs="?", const=DEFAULT_REPORT_DIR, default=None, metavar="DIR",
                   help=f"with --push: upload the report folder too, into DIR of the repository (default: "
                        f"{DEFAULT_REPORT_DIR}/), and link the card to it; models and data are named there by Hub "
                        "id or folder name, never by a local path")
    p.add_argument("--create-pr", action="store_true", help="with --push: open a pull request")
    return p


def run(args) -> int:
    from ..hub.cards import update_card

    if args.upload_report is not None and not args.push:
        raise MetaCompressError("--upload-report needs --push REPO_ID (it uploads into that repository)")
    report_link = None
    if args.upload_report is not None and args.report_url is None:
        report_link = f"{args.upload_report.strip('/')}/report.md".lstrip("/")
    uploaded = None
    if args.push:  # what the push will upload, known before the card is written: where its links may point
        from ..hub.push import uploaded_paths

        uploaded = uploaded_paths(args.card, args.report,
                                  args.upload_report)
    result = update_card(args.report, args.card, report_url=args.report_url, model_name=args.model_name,
                         report_link=report_link, dataset_id=args.dataset_id, dataset_name=args.dataset_name,
                         dataset_config=args.dataset_config, dataset_split=args.dataset_split, uploaded=uploaded)
    where = result.badges[0].parent if result.badges else "-"
    print(f"updated {result.card} ({len(result.badges)} badges in {where})")
    if result.dataset is not None and result.dataset.id is None:
        print("  model-index: no results written: the data is not a Hub dataset (give --dataset-id for one that "
              "is, e.g. the follow-ups pushed with 'metacompress dataset --push')")
    if args.push:
        from ..hub.push import push_card

        pushed = push_card(result.card, args.push, create_pr=args.create_pr,
                           report_dir=args.report if args.upload_report is not None else None,
                           report_path_in_repo=args.upload_report or "")
        print(f"pushed {len(pushed.files)} files to {pushed.repo_id}: {pushed.pr_url or pushed.commit_url}")
        warning = result.dead_link_warning(set(pushed.files))
    else:
        warning = result.dead_link_warning()
    if warning:
        print(f"metacompress: warning: {warning}", file=sys.stderr)
    return 0
