"""Rules of the IAM policy grammar: each owns one problem iamgate.grammar reports.

Each class documents one check (what, why, an example and the AWS page it comes from) and
names the grammar's Problem it reports; the checking code lives in iamgate/grammar/, which
runs before the policy model exists and reports typed problems, not rules.
``grammar_findings`` turns a document's problems into the rules' findings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from iamgate.grammar.problems import Problem
from iamgate.rules.base import Example, Rule

if TYPE_CHECKING:
    from iamgate.document import Document
    from iamgate.findings import Finding
    from iamgate.model import PolicyKind

_DOCS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"


class _GrammarRule(Rule):
    stage = "grammar"
    tags = ("grammar",)
    problem: ClassVar[Problem]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.kinds = cls.problem.kinds  # the grammar checks its problem in these kinds only


class UnknownElement(_GrammarRule):
    id = "IG101"
    problem = Problem.UNKNOWN_ELEMENT
    name = "unknown-element"
    summary = "An element IAM does not know (a misspelt or miscased key), with a did-you-mean."
    why = (
        "IAM element names are case-sensitive. A misspelt element is rejected at deploy "
        "time, or worse, read by a reviewer as a restriction that does not exist."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": "s3:GetObject", "Resources": "*"}',
        good='{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}',
    )
    source = _DOCS + "reference_policies_elements.html"


class EffectValue(_GrammarRule):
    id = "IG102"
    problem = Problem.EFFECT_VALUE
    name = "effect-value"
    summary = 'A statement has no Effect, or an Effect other than exactly "Allow" or "Deny".'
    why = 'IAM accepts only "Allow" and "Deny", capitalised; "allow" is rejected.'
    example = Example(bad='"Effect": "allow"', good='"Effect": "Allow"')
    source = _DOCS + "reference_policies_elements_effect.html"


class ActionElement(_GrammarRule):
    id = "IG103"
    problem = Problem.ACTION_ELEMENT
    name = "action-element"
    summary = "A statement needs exactly one of Action or NotAction: a string or a non-empty list."
    why = (
        "A statement without actions is rejected; one with both Action and NotAction is "
        "ambiguous and rejected too; an empty list grants or denies nothing."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": [], "Resource": "*"}',
        good='{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}',
    )
    source = _DOCS + "reference_policies_elements_action.html"


class ResourceElement(_GrammarRule):
    id = "IG104"
    problem = Problem.RESOURCE_ELEMENT
    name = "resource-element"
    summary = (
        "A statement needs exactly one of Resource or NotResource (required in identity "
        "policies and boundaries): a string or a non-empty list."
    )
    why = (
        "Identity policies and permissions boundaries must say which resources a "
        "statement covers; IAM rejects a statement without Resource or NotResource, "
        "or with both."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": "s3:GetObject"}',
        good='{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}',
    )
    source = _DOCS + "reference_policies_elements_resource.html"


class ConditionOperator(_GrammarRule):
    id = "IG105"
    problem = Problem.CONDITION_OPERATOR
    name = "condition-operator"
    summary = (
        "An unknown condition operator (misspelt, miscased, NullIfExists), with a did-you-mean."
    )
    why = (
        "IAM rejects an unknown operator (operator names are case-sensitive). A reviewer "
        "may read the condition as a restriction that is never applied."
    )
    example = Example(
        bad='"Condition": {"StringEqual": {"aws:username": "alice"}}',
        good='"Condition": {"StringEquals": {"aws:username": "alice"}}',
    )
    source = _DOCS + "reference_policies_elements_condition_operators.html"


class DuplicateSid(_GrammarRule):
    id = "IG106"
    problem = Problem.DUPLICATE_SID
    name = "duplicate-sid"
    summary = "Two statements in one policy have the same Sid."
    why = "In IAM the Sid value must be unique within a JSON policy; IAM rejects duplicates."
    example = Example(
        bad='[{"Sid": "Read", ...}, {"Sid": "Read", ...}]',
        good='[{"Sid": "ReadObjects", ...}, {"Sid": "ReadBuckets", ...}]',
    )
    source = _DOCS + "reference_policies_elements_sid.html"


class PolicySize(_GrammarRule):
    id = "IG107"
    problem = Problem.POLICY_SIZE
    name = "policy-size"
    summary = (
        "The policy is over the 6,144-character managed-policy limit (whitespace not counted)."
    )
    why = (
        "IAM refuses a managed policy longer than 6,144 characters, counted without "
        "whitespace; the deployment would fail halfway through an organization."
    )
    example = Example(
        bad="one policy listing 400 actions (7,000 characters without whitespace)",
        good="two policies, each under 6,144 characters without whitespace",
    )
    source = _DOCS + "reference_iam-quotas.html"


class MalformedArn(_GrammarRule):
    id = "IG108"
    problem = Problem.MALFORMED_ARN
    name = "malformed-arn"
    summary = 'A Resource or NotResource that is neither "*" nor a six-part ARN.'
    why = (
        "A resource is arn:partition:service:region:account:resource (region and "
        'account may be empty, wildcards and policy variables allowed) or "*". '
        "IAM rejects anything else."
    )
    example = Example(
        bad='"Resource": "arn:aws:s3:my-bucket"',
        good='"Resource": "arn:aws:s3:::my-bucket"',
    )
    source = _DOCS + "reference-arns.html"


class PrincipalNotAllowed(_GrammarRule):
    id = "IG109"
    problem = Problem.PRINCIPAL_NOT_ALLOWED
    name = "principal-not-allowed"
    summary = "Principal or NotPrincipal in an identity policy, a permissions boundary or an SCP."
    why = (
        "The principal of an identity policy is whoever it is attached to; IAM rejects "
        "Principal and NotPrincipal there. They belong in trust and resource policies."
    )
    example = Example(
        bad='{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}',
        good='{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}',
    )
    source = _DOCS + "reference_policies_elements_principal.html"


class InvalidVersion(_GrammarRule):
    id = "IG110"
    problem = Problem.INVALID_VERSION
    name = "invalid-version"
    summary = 'A Version other than "2012-10-17" or "2008-10-17".'
    why = "IAM knows two policy-language versions; any other value is rejected."
    example = Example(bad='"Version": "2012-10-18"', good='"Version": "2012-10-17"')
    source = _DOCS + "reference_policies_elements_version.html"


class PolicyName(_GrammarRule):
    id = "IG111"
    problem = Problem.POLICY_NAME
    name = "policy-name"
    summary = "The policy's name (its file name) is not 1-128 of A-Z a-z 0-9 + = , . @ _ -."
    why = (
        "iamgate deploys each file as a managed policy named after the file; IAM "
        "refuses names outside that character set or longer than 128 characters."
    )
    example = Example(bad="policies/read only.json", good="policies/read-only.json")
    source = _DOCS + "reference_iam-quotas.html"


class MalformedAction(_GrammarRule):
    id = "IG112"
    problem = Problem.MALFORMED_ACTION
    name = "malformed-action"
    summary = 'An action that is not "*" or service:ActionName (wildcards allowed).'
    why = (
        "An action is a service prefix and an action name joined by one colon. "
        "Anything else matches no request, so an Allow grants nothing and a Deny "
        "silently denies nothing."
    )
    example = Example(bad='"Action": "s3GetObject"', good='"Action": "s3:GetObject"')
    source = _DOCS + "reference_policies_elements_action.html"


class SidCharacters(_GrammarRule):
    id = "IG113"
    problem = Problem.SID_CHARACTERS
    name = "sid-characters"
    summary = "A Sid with characters other than ASCII letters and digits."
    why = "The IAM Sid element supports only A-Z, a-z and 0-9; IAM rejects other characters."
    example = Example(bad='"Sid": "read-only access"', good='"Sid": "ReadOnlyAccess"')
    source = _DOCS + "reference_policies_elements_sid.html"


class MissingVersion(_GrammarRule):
    id = "IG114"
    problem = Problem.MISSING_VERSION
    name = "missing-version"
    severity = "warning"
    summary = "The policy has no Version, so IAM reads it as the 2008-10-17 language."
    why = (
        "Without Version, policy variables such as ${aws:username} are literal text: "
        "a resource scoped to ${aws:username} matches nobody's resources, or the "
        "wrong ones."
    )
    example = Example(
        bad='{"Statement": [...]}', good='{"Version": "2012-10-17", "Statement": [...]}'
    )
    source = _DOCS + "reference_policies_elements_version.html"


class VariablesNeedCurrentVersion(_GrammarRule):
    id = "IG115"
    problem = Problem.VARIABLES_NEED_CURRENT_VERSION
    name = "variables-need-2012-version"
    severity = "warning"
    summary = (
        'Version "2008-10-17" with ${...} policy variables, which that version reads literally.'
    )
    why = (
        'Policy variables were introduced with "2012-10-17"; under "2008-10-17" '
        "${aws:PrincipalAccount} is the literal text, not the account."
    )
    example = Example(
        bad='"Version": "2008-10-17" ... "Resource": "arn:aws:s3:::home/${aws:username}/*"',
        good='"Version": "2012-10-17" ... "Resource": "arn:aws:s3:::home/${aws:username}/*"',
    )
    source = _DOCS + "reference_policies_variables.html"


class ElementType(_GrammarRule):
    id = "IG116"
    problem = Problem.ELEMENT_TYPE
    name = "element-type"
    summary = (
        "An element of the wrong shape: no Statement or an empty one, a statement that "
        "is not an object, a Sid, Condition or condition value of the wrong JSON type."
    )
    why = "IAM rejects a policy whose elements have the wrong JSON type."
    example = Example(
        bad='"Condition": {"StringEquals": {"aws:username": {"name": "alice"}}}',
        good='"Condition": {"StringEquals": {"aws:username": "alice"}}',
    )
    source = _DOCS + "reference_policies_grammar.html"


class PolicyCharacters(_GrammarRule):
    id = "IG117"
    problem = Problem.POLICY_CHARACTERS
    name = "policy-characters"
    summary = "A character IAM refuses: outside tab, line feed, carriage return and U+0020-U+00FF."
    why = (
        "IAM policy documents may contain only those characters. Curly quotes and "
        "non-breaking dashes pasted from documents are the usual cause."
    )
    example = Example(
        bad='"Sid": "Read\u2019s"  (a curly apostrophe, U+2019)', good='"Sid": "Reads"'
    )
    source = _DOCS + "reference_iam-quotas.html"


RULES = [
    UnknownElement,
    EffectValue,
    ActionElement,
    ResourceElement,
    ConditionOperator,
    DuplicateSid,
    PolicySize,
    MalformedArn,
    PrincipalNotAllowed,
    InvalidVersion,
    PolicyName,
    MalformedAction,
    SidCharacters,
    MissingVersion,
    VariablesNeedCurrentVersion,
    ElementType,
    PolicyCharacters,
]


def grammar_findings(doc: Document, kind: PolicyKind, name: str) -> tuple[list[Finding], bool]:
    """The grammar rules' findings on one document, in the order of their place and rule; and
    whether the model may be built from it."""
    from iamgate.grammar import check

    issues, well_formed = check(doc, kind, name)
    if not issues:
        return [], well_formed
    from iamgate.rules import rule_for

    findings = [
        rule_for(i.problem).reported(doc.display, i.line, i.column, i.message) for i in issues
    ]
    findings.sort(key=lambda f: (f.line, f.column, f.rule, f.message))
    return findings, well_formed
