"""``metacompress card``: add the behavioural-fidelity section to a model card (and push it)."""

from __future__ import annotations

NAME = "card"


def add_parser(subparsers):
    p = subparsers.add_parser(NAME, help="add the behavioural-fidelity section to a model card (and push it)",
                              description="Updates README.md in place: the MetaCompress section between HTML comment "
                                          "markers (replaced on later runs), SVG badges, and model-index results.")
    p.add_argument("--report", required=True, help="report folder written by 'metacompress evaluate'")
    p.add_argument("--card", default="README.md", help="model card to update (created when absent)")
    p.add_argument("--report-url", default=None, help="link to the full report (default: relative path)")
    p.add_argument("--model-name", default=None,
                   help="model-index name (default: the card's, else the student's)")
    p.add_argument("--push", default=None, metavar="REPO_ID", help="upload card and badges to this model repository")
    p.add_argument("--create-pr", action="store_true", help="with --push: open a pull request")
    return p


def run(args) -> int:
    from ..hub.cards import update_card

    result = update_card(args.report, args.card, report_url=args.report_url, model_name=args.model_name)
    where = result.badges[0].parent if result.badges else "-"
    print(f"updated {result.card} ({len(result.badges)} badges in {where})")
    if args.push:
        from ..hub.push import push_card

        pushed = push_card(result.card, args.push, create_pr=args.create_pr)
        print(f"pushed {', '.join(pushed.files)} to {pushed.repo_id}: {pushed.pr_url or pushed.commit_url}")
    return 0
