"""IG406 passrole-to-compute: handing any role to code the caller starts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from iamgate.delegation import Violation, listing, lookup, statement_label
from iamgate.rules.base import Example
from iamgate.rules.proof_rule import ProofRule

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo
    from iamgate.delegation import Candidate, Proof
    from iamgate.model import Statement

PASSROLE_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"
# Actions that start code running with a role passed to them, and the service principal that
# receives the role (the value of iam:PassedToService in the PassRole check).
RUNS_CODE: dict[str, tuple[str, ...]] = {
    "ec2:RunInstances": ("ec2.amazonaws.com",),
    "lambda:CreateFunction": ("lambda.amazonaws.com",),
    "glue:CreateJob": ("glue.amazonaws.com",),
    "glue:CreateDevEndpoint": ("glue.amazonaws.com",),
    "cloudformation:CreateStack": ("cloudformation.amazonaws.com",),
    "ecs:RunTask": ("ecs-tasks.amazonaws.com",),
    "ecs:RegisterTaskDefinition": ("ecs-tasks.amazonaws.com",),
    "codebuild:CreateProject": ("codebuild.amazonaws.com",),
    "codebuild:StartBuild": ("codebuild.amazonaws.com",),
    "sagemaker:CreateNotebookInstance": ("sagemaker.amazonaws.com",),
    "sagemaker:CreateTrainingJob": ("sagemaker.amazonaws.com",),
    "datapipeline:CreatePipeline": ("datapipeline.amazonaws.com", "ec2.amazonaws.com"),
    "apprunner:CreateService": ("build.apprunner.amazonaws.com", "tasks.apprunner.amazonaws.com"),
    # Updates that give existing code (the caller's own, inside the prefix too) a new role take
    # the same PassRole: the function's Role (and Layers, code of the caller's),
    # https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html; an
    # instance profile for a running instance,
    # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html#permission-to-pass-iam-roles;
    # a project's serviceRole, a job's Role, a stack's RoleARN, a notebook's RoleArn, a
    # service's InstanceRoleArn (pathfinding.cloud glue-005, cloudformation-002).
    "lambda:UpdateFunctionConfiguration": ("lambda.amazonaws.com",),
    "ec2:AssociateIamInstanceProfile": ("ec2.amazonaws.com",),
    "ec2:ReplaceIamInstanceProfileAssociation": ("ec2.amazonaws.com",),
    "codebuild:UpdateProject": ("codebuild.amazonaws.com",),
    "glue:UpdateJob": ("glue.amazonaws.com",),
    "cloudformation:UpdateStack": ("cloudformation.amazonaws.com",),
    "sagemaker:UpdateNotebookInstance": ("sagemaker.amazonaws.com",),
    "apprunner:UpdateService": ("tasks.apprunner.amazonaws.com",),
    # An automation runs its runbook (aws:executeScript, aws:executeAwsApi) as the assume role
    # it is given, https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-working.html
    "ssm:StartAutomationExecution": ("ssm.amazonaws.com",),
}
PASSED_TO_SERVICE = "iam:PassedToService"


class PassRoleToCompute(ProofRule):
    id = "IG406"
    name = "passrole-to-compute"
    severity = "error"
    summary = (
        "Allows iam:PassRole on roles outside the delegation prefix together with an action "
        "that runs code with the passed role"
    )
    why = (
        "PassRole on any role plus ec2:RunInstances, lambda:CreateFunction, glue:CreateJob, "
        "cloudformation:CreateStack, ecs:RunTask, codebuild, sagemaker, datapipeline or "
        "apprunner lets the caller start code that runs as any role in the account, the "
        "administrators' included; so does an update that gives existing code a new role "
        "(a function's configuration, an instance's profile, a project, job, stack, notebook "
        "or App Runner service), even on the delegate's own resources. Scope PassRole to the "
        "delegate's own roles (and iam:PassedToService to the service that needs them)."
    )
    example = Example(
        bad='[{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}, '
        '{"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"}]',
        good='[{"Effect": "Allow", "Action": "iam:PassRole", "Resource": '
        '"arn:aws:iam::${aws:PrincipalAccount}:role/service-*"}, '
        '{"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"}]',
    )
    source = PASSROLE_DOC
    tags = ("security", "escalation", "passrole")
    element = "Resource"
    delegation_only = False

    def search(self, proof: Proof) -> list[Violation]:
        from iamgate.escalation.resource_order import proof_order

        passrole = lookup("iam:PassRole")
        if not passrole or not proof.named_by_allow(passrole[0]):
            return []
        # Names first: EC2's catalog is large, and most policies name no code runner at all.
        named = lookup(*filter(proof.names, RUNS_CODE))
        passes: dict[str, Violation | None] = {}
        # The outside roles, drawn once for every receiving service asked about.
        outsiders = proof_order(proof, passrole[0], outside_first=True, outside_only=True)

        def passed_to(runner: ActionInfo) -> Violation | None:
            for service in RUNS_CODE[runner.full]:
                if service not in passes:
                    passes[service] = _pass_any_role_to(proof, passrole[0], service, outsiders)
                if passes[service] is not None:
                    return passes[service]
            return None

        # Then PassRole: a policy that passes roles only inside the prefix (or only to other
        # services) needs no search of its runners, the costlier half.
        if all(passed_to(runner) is None for runner in named):
            return []
        runners = _search_runners(proof, named)
        for runner in runners:
            passed = passed_to(runner.action)
            if passed is None:
                continue
            allowing = tuple(s for _, s in runner.decision.statements)
            detail = f"{runner.action.full} is allowed by {statement_label(proof.policy, allowing)}"
            others = [r.action.full for r in runners if r is not runner]
            if others:
                detail += f" (as are {listing(others, 4)})"
            return [Violation(passed.action, passed.request, passed.decision, detail, allowing)]
        return []

    def consequence(self, violation: Violation, proof: Proof) -> str:
        return f"and {violation.detail}, so code the caller starts can run as that role"


def _search_runners(proof: Proof, runners: Sequence[ActionInfo]) -> list[Violation]:
    """``proof.search(runners, <any request>)``: the first allowed request of each runner
    some Allow statement names, asked over the same resources in the same order, drawn
    type by type (proof_order): a runner is usually allowed on its first candidate, and
    ec2:RunInstances has a dozen types whose lists are then never built. Asked through
    escalation.first_allowed, the proofs' loop less the contexts no Allow admits."""
    from iamgate.escalation.first_allowed import first_violation
    from iamgate.escalation.resource_order import proof_order

    found: list[Violation] = []
    for runner in runners:
        if not proof.named_by_allow(runner):
            continue
        resources = proof_order(proof, runner, outside_first=False)
        violation = first_violation(proof, runner, _any_request, resources=resources)
        if violation is not None:
            found.append(violation)
    return found


def _any_request(_: Candidate) -> bool:
    return True


def _pass_any_role_to(
    proof: Proof, passrole: ActionInfo, service: str, outsiders: Sequence[str] | None = None
) -> Violation | None:
    """An allowed PassRole of a role outside the prefix to ``service``.

    The search may be asked over ``outsiders`` alone (proof_order's outside_only list):
    ``resources(passrole, outside_first=True)`` puts every outsider first, in that order,
    and an insider is never unsafe here, so the first violation over the whole list is the
    first over its outsiders (and no insider's contexts are walked)."""
    from iamgate.escalation.first_allowed import first_violation
    from iamgate.escalation.resource_order import proof_order

    if not _may_pass_to(proof, passrole, service):
        return None
    if outsiders is None:
        outsiders = proof_order(proof, passrole, outside_first=True, outside_only=True)
    return first_violation(
        proof,
        passrole,
        lambda c: not proof.in_prefix(c.resource),
        fixed={PASSED_TO_SERVICE: (service,)},
        resources=outsiders,
    )


def _may_pass_to(proof: Proof, passrole: ActionInfo, service: str) -> bool:
    """Can an Allow statement that names PassRole apply when the role goes to ``service``?

    Every request the search above asks carries iam:PassedToService = ``service`` and
    nothing else varies that key, so a statement whose condition on the key fails for that
    value fails for every such request, whatever the resource and the other keys: conditions
    are ANDed and an operator on one key reads only that key's values. If every Allow
    statement naming PassRole fails so, nothing can allow the search's requests (the SCPs
    only take away) and the search would find nothing: a static no, before any candidate
    request is built. A policy variable may read other keys, so a statement with one may
    always apply. The Allow statements are the proof's own policy's: what it evaluates.
    """
    from iamgate.evaluator import Request
    from iamgate.evaluator.conditions import compile_condition

    key = PASSED_TO_SERVICE.lower()
    probe: Request | None = None
    # The policy's statements that name PassRole, in order: those of its signature (the
    # proof's own list, names_action over its statements, kept per action) before the SCPs'.
    named, _ = proof.signature(passrole)
    own = proof.policy.statements
    for position in sorted(named):
        if position >= len(own):
            break  # an SCP's statement: it allows nothing
        statement = own[position]
        if not statement.allows:
            continue
        if _reads_variables(statement):
            return True
        tests = [c for c in statement.conditions if c.key.lower() == key]
        if not tests:
            return True
        probe = probe or Request(
            passrole.full, "*", {**proof.base_context, PASSED_TO_SERVICE: (service,)}
        )
        if all(compile_condition(c, proof.variables).holds(probe) for c in tests):
            return True
    return False


def _reads_variables(statement: Statement) -> bool:
    texts = (*(statement.resource or ()), *(statement.not_resource or ()))
    texts += tuple(t for c in statement.conditions for t in (c.key, *c.values))
    return any("${" in text for text in texts)


RULES = [PassRoleToCompute]
