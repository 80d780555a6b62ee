"""Rules of the IAM policy grammar; iamgate.grammar produces their findings.

Each class documents one check (what, why, an example and the AWS page it
comes from); the checking code lives in iamgate/grammar/, which runs before
the policy model exists.
"""

from __future__ import annotations

from iamgate.rules.base import Example, Rule

_DOCS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
_ALL_KINDS = ("identity", "boundary", "scp", "rcp")
_MANAGED = ("identity", "boundary")


class _GrammarRule(Rule):
    stage = "grammar"
    kinds = _ALL_KINDS
    tags = ("grammar",)


class UnknownElement(_GrammarRule):
    id = "IG101"
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
    name = "effect-value"
    summary = 'A statement has no Effect, or an Effect other than exactly "Allow" or "Deny".'
    why = 'IAM accepts only "Allow" and "Deny", capitalised; "allow" is rejected.'
    example = Example(bad='"Effect": "allow"', good='"Effect": "Allow"')
    source = _DOCS + "reference_policies_elements_effect.html"


class ActionElement(_GrammarRule):
    id = "IG103"
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
    kinds = _MANAGED


class MalformedArn(_GrammarRule):
    id = "IG108"
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
    name = "invalid-version"
    summary = 'A Version other than "2012-10-17" or "2008-10-17".'
    why = "IAM knows two policy-language versions; any other value is rejected."
    example = Example(bad='"Version": "2012-10-18"', good='"Version": "2012-10-17"')
    source = _DOCS + "reference_policies_elements_version.html"


class PolicyName(_GrammarRule):
    id = "IG111"
    name = "policy-name"
    summary = "The policy's name (its file name) is not 1-128 of A-Z a-z 0-9 + = , . @ _ -."
    why = (
        "iamgate deploys each file as a managed policy named after the file; IAM "
        "refuses names outside that character set or longer than 128 characters."
    )
    example = Example(bad="policies/read only.json", good="policies/read-only.json")
    source = _DOCS + "reference_iam-quotas.html"
    kinds = _MANAGED


class MalformedAction(_GrammarRule):
    id = "IG112"
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
    name = "sid-characters"
    summary = "A Sid with characters other than ASCII letters and digits."
    why = "The IAM Sid element supports only A-Z, a-z and 0-9; IAM rejects other characters."
    example = Example(bad='"Sid": "read-only access"', good='"Sid": "ReadOnlyAccess"')
    source = _DOCS + "reference_policies_elements_sid.html"


class MissingVersion(_GrammarRule):
    id = "IG114"
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
    # An RCP without 2012-10-17 is refused outright: IG707 says so as an error.
    kinds = ("identity", "boundary", "scp")


class VariablesNeedCurrentVersion(_GrammarRule):
    id = "IG115"
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
    # An RCP without 2012-10-17 is refused outright: IG707 says so as an error.
    kinds = ("identity", "boundary", "scp")


class ElementType(_GrammarRule):
    id = "IG116"
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
