"""`iamgate simulate`: would AWS allow this request? Offline, with the deciding statements.

    iamgate simulate --policy policies/DelegatePermissions.json \\
        --boundary boundaries/S3AccessBoundary.json \\
        --action iam:CreateRole --resource arn:aws:iam::111122223333:role/service-x \\
        --context aws:PrincipalAccount=111122223333 \\
        --context iam:PermissionsBoundary=arn:aws:iam::111122223333:policy/S3AccessBoundary

Exit status: 0 whatever the decision (the decision is the output, not a failure); 2 for a usage
error or a policy file that cannot be read or breaks the IAM grammar (one located message).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iamgate.evaluator import Decision, Request
    from iamgate.model import Policy, PolicyKind

EPILOG = (
    "A key given twice in --context is multivalued; a key not given is absent from the request "
    "(so ${aws:PrincipalAccount} in a policy matches nothing unless you give it). Each --scp is "
    "one level of the OU path from the root, and every level must allow; several SCPs attached "
    "at one level are given comma-separated. Each --rcp is one RCP level the same way, for the "
    "resource's account; AWS's RCPFullAWSAccess is on every RCP level (it cannot be detached). "
    "Exit status: 0 for any decision, 2 for a usage "
    "error or a policy that does not load."
)


class UsageError(Exception):
    """A bad argument or an unloadable file: one message, exit status 2."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.add_argument(
        "--policy", action="append", required=True, metavar="FILE",
        help="an identity-based policy attached to the principal (repeatable)",
    )  # fmt: skip
    parser.add_argument("--boundary", metavar="FILE", help="the principal's permissions boundary")
    parser.add_argument(
        "--scp", action="append", default=[], metavar="FILE[,FILE...]",
        help="the SCPs of one OU level, root first (repeatable; comma-separate SCPs of one level)",
    )  # fmt: skip
    parser.add_argument(
        "--rcp", action="append", default=[], metavar="FILE[,FILE...]",
        help="the RCPs of one level above the resource's account, root first (repeatable; "
        "comma-separate RCPs of one level; RCPFullAWSAccess is implied on each)",
    )  # fmt: skip
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--account", metavar="ID",
        help="make the request from this account, under the SCPs on its OU path in the "
        "repository (organization.ous in iamgate.yaml, scps/), on a resource under the RCPs "
        "of the resource's account (rcps/); instead of --scp and --rcp",
    )  # fmt: skip
    where.add_argument(
        "--ou", metavar="PATH",
        help="make the request from an account in this OU (e.g. Workloads/Dev), under the SCPs "
        "on its path in the repository; instead of --scp",
    )  # fmt: skip
    parser.add_argument("--action", required=True, help="the action, e.g. iam:CreateRole")
    parser.add_argument("--resource", required=True, metavar="ARN", help="the resource ARN, or *")
    parser.add_argument(
        "--context", action="append", default=[], metavar="KEY=VALUE",
        help="a condition key in the request (repeatable; a key given twice is multivalued)",
    )  # fmt: skip
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    from iamgate.evaluator import Request, evaluate

    try:
        request = Request(_action(args.action), args.resource, parse_context(args.context))
        identity = [load_policy(path, "identity") for path in args.policy]
        boundary = load_policy(args.boundary, "boundary") if args.boundary else None
        scps = [[load_policy(path, "scp") for path in _level(level)] for level in args.scp]
        placed = args.account is not None or args.ou is not None
        if placed and (args.scp or args.rcp):
            option = "--account" if args.account is not None else "--ou"
            raise UsageError(
                f"give {option} or --scp/--rcp, not both: {option} reads the SCPs and RCPs"
            )
        rcps = [rcp_level(level) for level in args.rcp]
        if placed:
            scps, rcps, request = placed_scps(request, account=args.account, ou=args.ou)
    except UsageError as exc:
        print(f"iamgate simulate: error: {exc}", file=sys.stderr)
        return 2
    from iamgate.commands.simulate_checks import request_warnings

    # Evaluated all the same (AWS would too), but a typo must not pass for a decision.
    for warning in request_warnings(request.action, request.resource):
        print(f"iamgate simulate: warning: {warning}", file=sys.stderr)
    decision = evaluate(request, identity, boundary, scps, rcps)
    every = [*identity, *([boundary] if boundary else []), *(p for level in scps for p in level)]
    every += [p for level in rcps for p in level]
    notes = unresolved_variables(every, request) + levels_without_allow(scps)
    notes += rcp_notes(rcps, request)
    if args.format == "json":
        print(json.dumps(as_json(decision, request, notes), indent=2))
    else:
        from iamgate.colour import enabled

        print(as_text(decision, colour=enabled(sys.stdout, getattr(args, "color", "auto"))))
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    return 0


def placed_scps(
    request: Request, *, account: str | None = None, ou: str | None = None
) -> tuple[list[list[Policy]], list[list[Policy]], Request]:
    """The SCP levels above ``account`` or ``ou`` from the repository, the RCP levels above the
    account that owns the resource (aws:ResourceAccount, else the ARN's account, else
    ``account``), and the request made from there (an account's id becomes
    aws:PrincipalAccount unless --context gives one)."""
    from iamgate.config import ConfigError, load_config
    from iamgate.evaluator import Request
    from iamgate.evaluator.rcp_scope import resource_account
    from iamgate.organization import account_placement, placement

    try:
        config = load_config()
        where = placement(config, account=account, ou=ou)
        levels = where.scps
        owner = resource_account(request, account)
        # An owner iamgate.yaml does not place gets the root's RCPs.
        rcps = where.rcps if owner in (None, account) else account_placement(config, owner).rcps
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if account is not None and request.lookup("aws:principalaccount") is None:
        context = {**request.context, "aws:PrincipalAccount": (account,)}
        request = Request(request.action, request.resource, context)
    return levels, rcps, request


def rcp_level(text: str) -> list[Policy]:
    """One --rcp level: AWS's RCPFullAWSAccess (never detached) and the files given."""
    from iamgate.organization import rcp_full_aws_access

    return [rcp_full_aws_access(), *(load_policy(path, "rcp") for path in _level(text, "--rcp"))]


def rcp_notes(rcps: list[list[Policy]], request: Request) -> list[str]:
    """What a reader of an RCP simulation must know: RCPs skip other services and the
    management account's resources
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html)."""
    from iamgate.evaluator.rcp_scope import rcp_covers

    if not rcps:
        return []
    if not rcp_covers(request.action):
        service = request.action.partition(":")[0]
        return [f"RCPs do not apply to {service} requests (not a service RCPs support)"]
    return ["RCPs do not restrict resources in the management account: there no RCP applies"]


def _action(text: str) -> str:
    service, colon, name = text.strip().partition(":")
    if not (colon and service and name):
        raise UsageError(f"--action {text!r} is not SERVICE:ACTION (e.g. iam:CreateRole)")
    return text.strip()


def _level(text: str, flag: str = "--scp") -> list[str]:
    paths = [part.strip() for part in text.split(",")]
    if not all(paths):
        raise UsageError(f"{flag} {text!r} has an empty file name")
    return paths


def parse_context(items: list[str]) -> dict[str, tuple[str, ...]]:
    """KEY=VALUE pairs; a key given again (in any letter case) adds a value."""
    context: dict[str, tuple[str, ...]] = {}
    spelling: dict[str, str] = {}
    for item in items:
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or not key:
            raise UsageError(f"--context {item!r} is not KEY=VALUE")
        name = spelling.setdefault(key.lower(), key)
        context[name] = (*context.get(name, ()), value)
    return context


def load_policy(path_text: str, kind: PolicyKind) -> Policy:
    """Load, check against the grammar and model one file; UsageError with its location if not.
    A Principal where IAM refuses one (IG109) is refused too: evaluating such a policy would
    answer for a policy AWS cannot hold."""
    from iamgate.organization import read_policy
    from iamgate.rules.grammar_rules import PrincipalNotAllowed as Refused

    return read_policy(
        Path(path_text), path_text, kind, UsageError, refuse={Refused.problem: Refused.id}
    )


def _statement_rows(decision: Decision) -> list[dict[str, Any]]:
    return [
        {
            "file": policy.file,
            "line": policy.line_of(statement.path),
            "sid": statement.sid,
            "effect": statement.effect,
            "policy": policy.name,
        }
        for policy, statement in decision.statements
    ]


def as_json(decision: Decision, request: Request, notes: list[str]) -> dict[str, Any]:
    from iamgate.reports import tool_versions

    return {
        "tool": tool_versions(),  # as in lint's json: a decision depends on both versions
        "decision": decision.decision,
        "statements": _statement_rows(decision),
        "reason": decision.reason,
        "request": request.to_dict(),
        "notes": notes,
    }


DECISION_STYLES = {"allowed": "green", "implicit_deny": "yellow", "explicit_deny": "bold-red"}


def as_text(decision: Decision, colour: bool = False) -> str:
    from iamgate.colour import paint

    word = paint(decision.decision, DECISION_STYLES.get(decision.decision, "bold"), colour)
    lines = [f"{word}: {decision.reason}"]
    for row, (_, statement) in zip(_statement_rows(decision), decision.statements, strict=True):
        name = f"Sid {row['sid']}" if row["sid"] else f"statement #{statement.index + 1}"
        lines.append(f"  {row['effect']:<5} {row['file']}:{row['line']}  {name}")
    return "\n".join(lines)


def levels_without_allow(scps: list[list[Policy]]) -> list[str]:
    """SCP levels that cannot allow anything: AWS needs an Allow at every level, so a level
    given only deny-list SCPs denies every request (FullAWSAccess is usually attached too)."""
    return [
        f"SCP level {number} has no Allow statement, so it allows nothing (no FullAWSAccess?)"
        for number, level in enumerate(scps, start=1)
        if not any(statement.allows for policy in level for statement in policy.statements)
    ]


_VARIABLE_TEXT = re.compile(r"\$\{\s*([^},'\s][^},']*?)\s*[,}]")


def unresolved_variables(policies: list[Policy], request: Request) -> list[str]:
    """Policy variables the request gives no single value for: patterns using them match nothing,
    which is the likeliest surprise in a simulation (e.g. ${aws:PrincipalAccount} not given)."""
    seen: dict[str, str] = {}
    for policy in policies:
        if policy.version != "2012-10-17":
            continue
        for statement in policy.statements:
            texts = [*(statement.resource or ()), *(statement.not_resource or ())]
            texts += [value for condition in statement.conditions for value in condition.values]
            for text in texts:
                for match in _VARIABLE_TEXT.finditer(text):
                    name = match.group(1)
                    default = text[match.end() - 1] == ","
                    if ":" in name and not default:
                        seen.setdefault(name.lower(), name)
    notes = []
    for key, name in seen.items():
        values = request.lookup(key)
        if values is None:
            notes.append(f"${{{name}}} has no value in --context; patterns using it match nothing")
        elif len(values) > 1:
            notes.append(f"${{{name}}} has several values; a multivalued key is no policy variable")
    return notes
