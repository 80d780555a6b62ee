"""Rules for files that never become a policy: each owns one way the loader
(iamgate.document) refuses a file, a LoadProblem, and turns it into a finding.
"""

from __future__ import annotations

from iamgate.document import LoadError, LoadProblem, PolicyKind
from iamgate.findings import Finding
from iamgate.rules.base import Example, Rule

_ALL_KINDS: tuple[PolicyKind, ...] = ("identity", "boundary", "scp", "rcp")
_JSON = "https://www.rfc-editor.org/rfc/rfc8259"


class InvalidJson(Rule):
    id = "IG001"
    name = "invalid-json"
    summary = "The file is not strict JSON (trailing comma, comment, single quotes, NaN, cut off)."
    why = (
        "IAM accepts only strict JSON. Editors and YAML habits add trailing commas and "
        "comments that IAM rejects at deploy time; better to learn it at commit time, "
        "at the exact line and column."
    )
    example = Example(
        bad='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",}]}',
        good='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}',
    )
    source = _JSON
    kinds = _ALL_KINDS
    stage = "load"
    problem = LoadProblem.INVALID_JSON


class NotUtf8(Rule):
    id = "IG002"
    name = "not-utf8"
    summary = (
        "The file is not plain UTF-8: Latin-1 or Windows-1252 bytes, UTF-16, or UTF-8 "
        "that starts with a byte-order mark (BOM)."
    )
    why = (
        "A policy is UTF-8 text. A file saved in another encoding reaches IAM with "
        "different characters than its author saw, or not at all; a UTF-8 file with a BOM "
        "is UTF-8, but JSON texts must not start with one (RFC 8259, 8.1) and IAM rejects it."
    )
    example = Example(
        bad='"Sid": "Caf\\xe9" saved as Latin-1 (byte 0xe9)',
        good='"Sid": "Cafe" saved as UTF-8 without a byte-order mark',
    )
    source = "https://www.rfc-editor.org/rfc/rfc8259#section-8.1"
    kinds = _ALL_KINDS
    stage = "load"
    problem = LoadProblem.NOT_UTF8


class DuplicateKey(Rule):
    id = "IG003"
    name = "duplicate-key"
    summary = "An object has the same key twice (two Condition operators, two Resource elements)."
    why = (
        "JSON parsers keep one of two duplicate keys and drop the other silently, so "
        "a reviewer reads a condition that AWS never sees. Two StringEquals blocks in "
        "one Condition are the classic case: only the last one is enforced."
    )
    example = Example(
        bad='"Condition": {"StringEquals": {"aws:username": "a"}, '
        '"StringEquals": {"s3:prefix": "b"}}',
        good='"Condition": {"StringEquals": {"aws:username": "a", "s3:prefix": "b"}}',
    )
    source = "https://www.rfc-editor.org/rfc/rfc8259#section-4"
    kinds = _ALL_KINDS
    stage = "load"
    problem = LoadProblem.DUPLICATE_KEY


class NotAPolicyObject(Rule):
    id = "IG004"
    name = "not-a-policy-object"
    summary = "The file is empty, binary, or its top level is not a JSON object."
    why = "A policy document is one JSON object; anything else cannot be deployed."
    example = Example(
        bad='[{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]',
        good='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": "s3:GetObject", "Resource": "*"}]}',
    )
    source = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"
    kinds = _ALL_KINDS
    stage = "load"
    problem = LoadProblem.NOT_AN_OBJECT


class UnreadableFile(Rule):
    id = "IG005"
    name = "unreadable-file"
    summary = "The file cannot be read (missing, a folder, no permission)."
    why = "A policy that cannot be read cannot be checked, so it must not pass silently."
    example = Example(
        bad="policies/app.json with mode 000",
        good="policies/app.json readable by the user running iamgate",
    )
    kinds = _ALL_KINDS
    stage = "load"
    problem = LoadProblem.UNREADABLE


RULES = [InvalidJson, NotUtf8, DuplicateKey, NotAPolicyObject, UnreadableFile]


def load_finding(error: LoadError, display: str) -> Finding:
    """The finding on a file the loader refused: the rule that owns its problem reports it."""
    from iamgate.rules import rule_for

    return rule_for(error.problem).reported(display, error.line, error.column, error.message)
