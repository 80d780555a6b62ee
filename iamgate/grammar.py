"""The IAM policy grammar: everything IAM would refuse, located, before the model is built.

A JSON Schema (schemas/policy.schema.json) says what each element may hold; its
errors become one finding per problem, in IAM's words, at the element's line and
column. The checks a schema cannot express (unique Sids, ARN and action syntax,
size, name, Version semantics, characters) follow. Rule metadata lives in
iamgate/rules/grammar_rules.py.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from iamgate.document import Document, JsonPath, Position
from iamgate.findings import Finding
from iamgate.rules.grammar_rules import RULES

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

    from iamgate.model import PolicyKind

CONDITION_OPERATORS: tuple[str, ...] = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
)
SET_PREFIXES = ("ForAllValues:", "ForAnyValue:")
MANAGED_POLICY_LIMIT = 6144

# Findings from these rules mean the model would misread the policy (or the evaluator
# would meet values it cannot handle); the others leave it analysable.
_BREAKS_MODEL = frozenset(
    {"IG101", "IG102", "IG103", "IG104", "IG105", "IG108", "IG110", "IG112", "IG116"}
)
# Every kind iamgate lints is attached to a principal, so none may name one.
_NO_PRINCIPAL_KINDS = frozenset({"identity", "boundary", "scp"})

_RULES = {rule.id: rule for rule in RULES}
_VARIABLE = re.compile(r"\$\{[^}]*\}")
_ACTION = re.compile(r"\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?-]+")
_SID = re.compile(r"[A-Za-z0-9]*")
_POLICY_NAME = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)
_NAME_CHAR = re.compile(r"[\w+=,.@-]", re.ASCII)
_ARN_PARTITION = re.compile(r"[a-z0-9*?-]+")
_ARN_SERVICE = re.compile(r"[A-Za-z0-9*?-]+")
_ARN_REGION = re.compile(r"[a-z0-9*?-]*")
_ARN_ACCOUNT = re.compile(r"[A-Za-z0-9*?-]*")
_PLAIN_KEY = re.compile(r"[A-Za-z_][\w:/-]*")
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
_REFUSED_CHARACTER = re.compile(r"[^\t\n\r\x20-\xff]")

_KIND_PHRASE = {
    "identity": "an identity policy, which applies to whoever it is attached to",
    "boundary": "a permissions boundary, which applies to the role or user it is set on",
    "scp": "a service control policy, which applies to every principal of its accounts",
}
_RESOURCE_REQUIRED = {"identity": "identity policies", "boundary": "permissions boundaries"}


def check(doc: Document, kind: PolicyKind, name: str) -> tuple[list[Finding], bool]:
    """Grammar findings for one document, and whether the model may be built from it."""
    checker = _Checker(doc, kind)
    checker.run(name)
    unique = {(f.line, f.column, f.rule, f.message): f for f in checker.findings}
    findings = [unique[k] for k in sorted(unique)]
    return findings, not any(f.rule in _BREAKS_MODEL for f in findings)


@cache
def all_condition_operators() -> frozenset[str]:
    """Every operator name IAM accepts, with IfExists and set prefixes."""
    bases = {op for op in CONDITION_OPERATORS}
    bases |= {f"{op}IfExists" for op in CONDITION_OPERATORS if op != "Null"}
    return frozenset(bases | {prefix + op for prefix in SET_PREFIXES for op in bases})


@cache
def policy_schema() -> dict[str, Any]:
    from importlib import resources

    text = resources.files("iamgate").joinpath("schemas/policy.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _validator(kind: str) -> Validator:
    from jsonschema import Draft202012Validator

    schema = policy_schema()
    if kind == "scp":
        # Same $defs, another root: SCP statements may leave Resource out.
        schema = {**schema, "$ref": "#/$defs/scpPolicy"}
    return Draft202012Validator(schema)


class _Checker:
    def __init__(self, doc: Document, kind: PolicyKind) -> None:
        self.doc = doc
        self.kind = kind
        self.data: dict[str, Any] = doc.data
        self.findings: list[Finding] = []
        self.statements = list(_statements(self.data))
        # Element names suggested for misspelt keys, per object: "Resources" already
        # says what is wrong, so "no Resource" would be the same problem twice.
        self.suggested: dict[JsonPath, set[str]] = {}

    def run(self, name: str) -> None:
        self.schema()
        self.sids()
        self.actions()
        self.resources()
        self.principals()
        self.version()
        self.policy_name(name)
        self.size()
        self.characters()

    def add(
        self,
        rule_id: str,
        message: str,
        path: JsonPath = (),
        *,
        key: bool = False,
        position: Position | None = None,
    ) -> None:
        rule = _RULES[rule_id]
        if self.kind not in rule.kinds:
            return
        if position is None:
            position = self.doc.locate_key(path) if key else self.doc.locate(path)
        line, column = position
        self.findings.append(
            Finding(rule_id, rule.severity, self.doc.display, line, column, message)
        )

    # -- the schema ------------------------------------------------------------------

    def schema(self) -> None:
        if conforms(self.data, self.kind):
            return
        try:
            errors = list(_validator(self.kind).iter_errors(self.data))
        except RecursionError:
            self.add("IG116", "the policy nests too deeply to be an IAM policy")
            return
        # Unknown keys first, so their suggestions can silence "missing" errors.
        errors.sort(key=lambda error: error.validator != "additionalProperties")
        for error in errors:
            self.schema_error(error)

    def schema_error(self, error: ValidationError) -> None:
        path = tuple(error.absolute_path)
        keyword = error.validator
        if self.principal_reported(path, error):
            return
        if keyword == "additionalProperties":
            allowed = list(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in allowed:
                    self.unknown_element(path, key, allowed)
        elif keyword == "required":
            for missing in error.validator_value:
                if missing not in error.instance:
                    self.missing(path, missing)
        elif keyword == "anyOf":
            names = [alternative["required"][0] for alternative in error.validator_value]
            self.missing_pair(path, names)
        elif keyword == "not":
            first, second = str(error.schema_path[-2]), error.validator_value["required"][0]
            self.both_of_pair(path, first, second)
        elif keyword == "enum":
            self.bad_value(path, error.instance)
        elif keyword == "pattern":
            self.unknown_operator(path, error.instance)
        elif keyword in ("type", "const"):
            self.wrong_type(path, error.instance)
        elif keyword == "minItems":
            self.empty_list(path)
        else:
            self.add("IG116", f"{where(path)}: {error.message[:200]}", path)

    def principal_reported(self, path: JsonPath, error: ValidationError) -> bool:
        """Whether IG109 already reports this: the whole Principal must go, whatever its shape."""
        if self.kind not in _NO_PRINCIPAL_KINDS:
            return False
        if error.validator == "not" and error.schema_path[-2] == "Principal":
            return True
        split = self.split(path)
        return split is not None and split[1][:1] in (("Principal",), ("NotPrincipal",))

    def split(self, path: JsonPath) -> tuple[JsonPath, JsonPath] | None:
        """(statement path, path inside the statement), or None outside any statement."""
        if not path or path[0] != "Statement":
            return None
        if isinstance(self.data.get("Statement"), list):
            return (path[:2], path[2:]) if len(path) >= 2 else None
        return path[:1], path[1:]

    def unknown_element(self, path: JsonPath, key: str, allowed: list[str]) -> None:
        place = "at the top level of the policy" if not path else f"in {where(path)}"
        suggestion = suggest(key, allowed)
        if suggestion:
            self.suggested.setdefault(path, set()).add(suggestion)
            hint = f'did you mean "{suggestion}"?'
        else:
            hint = "allowed here: " + ", ".join(allowed)
        self.add(
            "IG101",
            f"{_show(key)} is not an element IAM knows {place} (names are case-sensitive); {hint}",
            (*path, key),
            key=True,
        )

    def missing(self, path: JsonPath, name: str) -> None:
        if name in self.suggested.get(path, ()):
            return
        if name == "Effect":
            self.add("IG102", f'{where(path)} has no Effect; add "Effect": "Allow" or "Deny"', path)
        elif name == "Statement":
            self.add(
                "IG116",
                'the policy has no Statement; add "Statement": [...] with at least one statement',
                path,
            )
        else:
            self.add("IG116", f"{where(path)} has no {name}", path)

    def missing_pair(self, path: JsonPath, names: list[str]) -> None:
        if self.suggested.get(path, set()) & set(names):
            return
        if names[0] == "Action":
            self.add(
                "IG103",
                f'{where(path)} has neither Action nor NotAction; add "Action" with the '
                "actions it covers",
                path,
            )
        else:
            required_in = _RESOURCE_REQUIRED.get(self.kind, "these policies")
            self.add(
                "IG104",
                f"{where(path)} has neither Resource nor NotResource, which {required_in} "
                'require; add "Resource" with the ARNs it covers (or "*")',
                path,
            )

    def both_of_pair(self, path: JsonPath, first: str, second: str) -> None:
        rule = {"Action": "IG103", "Resource": "IG104"}.get(first, "IG116")
        self.add(
            rule,
            f"{where(path)} has both {first} and {second}; keep one ({second} already means "
            f"every {first.lower()} except those listed)",
            (*path, second),
            key=True,
        )

    def bad_value(self, path: JsonPath, value: Any) -> None:
        if path == ("Version",):
            self.add(
                "IG110",
                f'Version is {_show(value)}; IAM accepts only "2012-10-17" (current) or '
                '"2008-10-17" (legacy): write "2012-10-17"',
                path,
            )
            return
        fix = ""
        if isinstance(value, str) and value.strip().lower() in ("allow", "deny"):
            fix = f'; write "{value.strip().capitalize()}"'
        self.add(
            "IG102",
            f'{where(path)} is {_show(value)}; IAM accepts only "Allow" or "Deny"{fix}',
            path,
        )

    def unknown_operator(self, path: JsonPath, operator: str) -> None:
        base = operator.split(":", 1)[1] if operator.startswith(SET_PREFIXES) else operator
        if base == "NullIfExists":
            message = (
                f"{where(path)} uses {_show(operator)}: IfExists cannot be added to Null, "
                f'which itself tests whether the key exists; write "{operator[:-8]}"'
            )
        else:
            suggestion = suggest(operator, sorted(all_condition_operators()))
            hint = f'; did you mean "{suggestion}"?' if suggestion else ""
            message = (
                f"{where(path)} uses {_show(operator)}, which is not an IAM condition operator "
                f"(operator names are case-sensitive){hint}"
            )
        self.add("IG105", message, (*path, operator), key=True)

    def wrong_type(self, path: JsonPath, value: Any) -> None:
        what = _kind_of(value)
        here = where(path)
        split = self.split(path)
        if split is None:
            expected = {
                ("Statement",): "write a statement object or a non-empty list of them",
                ("Id",): "Id must be a string",
            }.get(path, "see the IAM policy grammar")
            self.add("IG116", f"{here} is {what}; {expected}", path)
            return
        inner = split[1]
        element = inner[0] if inner else None
        item = len(inner) > 1
        if element in ("Action", "NotAction"):
            example = 'an action such as "s3:GetObject"'
            expected = f"each entry must be {example}" if item else f"write {example} or a list"
            self.add("IG103", f"{here} is {what}; {expected}", path)
        elif element in ("Resource", "NotResource"):
            example = 'an ARN or "*"'
            expected = f"each entry must be {example}" if item else f"write {example} or a list"
            self.add("IG104", f"{here} is {what}; {expected}", path)
        elif element is None:
            self.add(
                "IG116",
                f"{here} is {what}; a statement is an object with Effect, Action and Resource",
                path,
            )
        elif element == "Sid":
            self.add("IG116", f"{here} is {what}; a Sid is a string of letters and digits", path)
        elif element == "Condition":
            expected = [
                'an object of operators, e.g. {"StringEquals": {"aws:username": "alice"}}',
                'an object of condition keys to values, e.g. {"aws:username": "alice"}',
                "a string, number or boolean, or a list of them",
                "a string, number or boolean",
            ][min(len(inner), 4) - 1]
            self.add("IG116", f"{here} is {what}; it must be {expected}", path)
        else:
            self.add("IG116", f"{here} is {what}, which IAM does not accept here", path)

    def empty_list(self, path: JsonPath) -> None:
        here = where(path)
        if path == ("Statement",):
            self.add("IG116", "Statement is an empty list; a policy needs at least one", path)
            return
        split = self.split(path)
        element = split[1][0] if split and split[1] else ""
        rule = {"Action": "IG103", "NotAction": "IG103"}.get(element, "IG104")
        noun = "action" if rule == "IG103" else "resource"
        self.add(
            rule,
            f"{here} is an empty list, which IAM rejects; list at least one {noun} "
            "or remove the statement",
            path,
        )

    # -- what a schema cannot say -------------------------------------------------------

    def sids(self) -> None:
        seen: dict[str, JsonPath] = {}
        for statement_path, statement in self.statements:
            sid = statement.get("Sid")
            if not isinstance(sid, str):
                continue
            path = (*statement_path, "Sid")
            if not _SID.fullmatch(sid):
                words = re.split(r"[^A-Za-z0-9]+", sid)
                fixed = "".join(word[:1].upper() + word[1:] for word in words)
                fix = f"; write {_show(fixed)}" if fixed else ""
                self.add(
                    "IG113",
                    f"{where(path)} is {_show(sid)}; a Sid may contain only ASCII letters and "
                    f"digits{fix}",
                    path,
                )
            if not sid:
                continue
            if sid in seen:
                line = self.doc.locate(seen[sid])[0]
                self.add(
                    "IG106",
                    f"{where(path)} {_show(sid)} is already the Sid of {where(seen[sid])} "
                    f"(line {line}); IAM requires unique Sids within a policy; rename one",
                    path,
                )
            else:
                seen[sid] = statement_path

    def actions(self) -> None:
        for statement_path, statement in self.statements:
            for element in ("Action", "NotAction"):
                for path, action in _strings(statement, statement_path, element):
                    if not _ACTION.fullmatch(action):
                        self.add(
                            "IG112",
                            f"{where(path)} is {_show(action)}; an action is service:ActionName, "
                            'e.g. "s3:GetObject" (wildcards allowed, "*" for every action)',
                            path,
                        )

    def resources(self) -> None:
        for statement_path, statement in self.statements:
            for element in ("Resource", "NotResource"):
                for path, resource in _strings(statement, statement_path, element):
                    problem = arn_problem(resource)
                    if problem:
                        self.add("IG108", f"{where(path)} is {_show(resource)}: {problem}", path)

    def principals(self) -> None:
        if self.kind not in _NO_PRINCIPAL_KINDS:
            return
        for statement_path, statement in self.statements:
            for element in ("Principal", "NotPrincipal"):
                if element in statement:
                    path = (*statement_path, element)
                    self.add(
                        "IG109",
                        f"{where(path)} is not allowed in {_KIND_PHRASE[self.kind]}; remove it "
                        "(Principal belongs in trust and resource policies)",
                        path,
                        key=True,
                    )

    def version(self) -> None:
        variable = self.first_variable()
        if "Version" not in self.data:
            if variable:
                found = f"{variable[1]} in {where(variable[0])} is literal text"
            else:
                found = "policy variables such as ${aws:username} are literal text"
            self.add(
                "IG114",
                f'the policy has no Version, so IAM reads it as "2008-10-17" and {found}; '
                'add "Version": "2012-10-17"',
                (),
            )
        elif self.data["Version"] == "2008-10-17" and variable:
            self.add(
                "IG115",
                f'Version "2008-10-17" reads {variable[1]} in {where(variable[0])} as literal '
                'text, not as a policy variable; write "Version": "2012-10-17"',
                ("Version",),
            )

    def first_variable(self) -> tuple[JsonPath, str] | None:
        for statement_path, statement in self.statements:
            for element in ("Resource", "NotResource"):
                for path, value in _strings(statement, statement_path, element):
                    if match := _VARIABLE.search(value):
                        return path, match.group()
            condition = statement.get("Condition")
            if not isinstance(condition, dict):
                continue
            for operator, block in condition.items():
                if not isinstance(block, dict):
                    continue
                for key in block:
                    block_path = (*statement_path, "Condition", operator)
                    for path, value in _strings(block, block_path, key):
                        if match := _VARIABLE.search(value):
                            return path, match.group()
        return None

    def policy_name(self, name: str) -> None:
        if _POLICY_NAME.fullmatch(name):
            return
        if not name:
            problem = "is empty"
        elif len(name) > 128:
            problem = f"is {len(name)} characters long; IAM allows at most 128"
        else:
            bad = sorted({c for c in name if not _NAME_CHAR.fullmatch(c)})
            fixed = "".join(c if _NAME_CHAR.fullmatch(c) else "-" for c in name)
            problem = (
                f"contains {', '.join(_show(c) for c in bad)}; IAM allows only letters, digits "
                f"and + = , . @ _ - (e.g. {_show(fixed)})"
            )
        self.add(
            "IG111",
            f"the policy name {_show(name)} (its file name) {problem}; rename the file",
            position=(1, 1),
        )

    def size(self) -> None:
        text = self.doc.text
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html:
        # IAM does not count whitespace against the limit.
        count = len(text) - sum(text.count(space) for space in " \t\r\n")
        if count > MANAGED_POLICY_LIMIT:
            self.add(
                "IG107",
                f"the policy is {count:,} characters without whitespace, "
                f"{count - MANAGED_POLICY_LIMIT:,} over IAM's {MANAGED_POLICY_LIMIT:,}-character "
                "limit for managed policies; split it into two policies",
                position=(1, 1),
            )

    def characters(self) -> None:
        text = self.doc.text
        match = _REFUSED_CHARACTER.search(text)
        if match is None:
            return
        char = match.group()
        offset = match.start()
        line = text.count("\n", 0, offset) + 1
        column = offset - text.rfind("\n", 0, offset)
        more = len(_REFUSED_CHARACTER.findall(text)) - 1
        also = f" ({more} more in this file)" if more else ""
        self.add(
            "IG117",
            f"character U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')}) is not allowed "
            "in an IAM policy, which accepts only tab, line feed, carriage return and "
            f"U+0020-U+00FF; replace it{also}",
            position=(line, column),
        )


def conforms(data: dict[str, Any], kind: str) -> bool:
    """Whether ``data`` is valid against the policy schema, decided without jsonschema.

    jsonschema costs a millisecond a policy; clean files are the common case, so they
    are decided here and jsonschema runs only to explain a failure. A property test
    holds this to the schema's verdict.
    """
    if not data.keys() <= _TOP_ELEMENTS or "Statement" not in data:
        return False
    if "Version" in data and data["Version"] not in _VERSIONS:
        return False
    if "Id" in data and not isinstance(data["Id"], str):
        return False
    raw = data["Statement"]
    statements = raw if isinstance(raw, list) else [raw]
    if not statements:
        return False
    require_resource = kind != "scp"
    for statement in statements:
        if not isinstance(statement, dict) or not statement.keys() <= _STATEMENT_ELEMENTS:
            return False
        if "Sid" in statement and not isinstance(statement["Sid"], str):
            return False
        if statement.get("Effect") not in _EFFECTS:
            return False
        if ("Action" in statement) == ("NotAction" in statement):
            return False
        has_resource, has_not_resource = "Resource" in statement, "NotResource" in statement
        if has_resource and has_not_resource:
            return False
        if require_resource and not (has_resource or has_not_resource):
            return False
        if "Principal" in statement and "NotPrincipal" in statement:
            return False
        for element, value in statement.items():
            if element in _LIST_ELEMENTS and not _string_or_list(value):
                return False
            if element in ("Principal", "NotPrincipal") and not _principal(value):
                return False
            if element == "Condition" and not _condition(value):
                return False
    return True


_TOP_ELEMENTS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_ELEMENTS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource"}
    | {"Principal", "NotPrincipal", "Condition"}
)
_LIST_ELEMENTS = frozenset({"Action", "NotAction", "Resource", "NotResource"})
_PRINCIPAL_TYPES = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
_VERSIONS = ("2012-10-17", "2008-10-17")
_EFFECTS = ("Allow", "Deny")


def _string_or_list(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _principal(value: Any) -> bool:
    if isinstance(value, str):
        return value == "*"
    return (
        isinstance(value, dict)
        and bool(value)
        and value.keys() <= _PRINCIPAL_TYPES
        and all(_string_or_list(v) for v in value.values())
    )


def _condition(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    operator = _operator_pattern()
    for name, block in value.items():
        if not operator.search(name) or not isinstance(block, dict):
            return False
        for item in block.values():
            items = item if isinstance(item, list) else (item,)
            # bool is an int: booleans, numbers and strings are all condition values.
            if not all(isinstance(v, str | int | float) for v in items):
                return False
    return True


@cache
def _operator_pattern() -> re.Pattern[str]:
    # The schema's own pattern, so the operator list has one home.
    return re.compile(policy_schema()["$defs"]["conditionOperator"]["pattern"])


def arn_problem(resource: str) -> str | None:
    """Why ``resource`` is not "*" or an ARN IAM accepts, or None when it is fine."""
    if resource == "*":
        return None
    # A policy variable stands for any text, like a wildcard, and may hold colons itself.
    text = _VARIABLE.sub("*", resource)
    shape = "arn:partition:service:region:account:resource"
    if not text.startswith("arn:"):
        return f'a resource is "*" or an ARN, {shape}'
    parts = text.split(":", 5)
    if len(parts) < 6:
        return (
            f"an ARN has six colon-separated parts ({shape}) and this has {len(parts)}; "
            'region and account may be empty, as in "arn:aws:s3:::my-bucket"'
        )
    _, partition, service, region, account, rest = parts
    checks = (
        (_ARN_PARTITION, partition, "partition", '"aws", "aws-cn" or "aws-us-gov"'),
        (_ARN_SERVICE, service, "service", 'a service prefix such as "s3"'),
        (_ARN_REGION, region, "region", 'a region such as "us-east-1", or empty'),
        (_ARN_ACCOUNT, account, "account", "a 12-digit account id, or empty"),
    )
    for pattern, value, part, expected in checks:
        if not pattern.fullmatch(value):
            shown = f"the {part} part is empty" if not value else f"the {part} part {_show(value)}"
            return f"{shown} is not valid; it must be {expected}"
    if not rest:
        return 'the resource part is empty; name the resource, or write "*" for all'
    return None


def suggest(word: str, candidates: list[str]) -> str | None:
    """The closest candidate, preferring a difference of case only."""
    by_lower = {c.lower(): c for c in candidates}
    if word.lower() in by_lower:
        return by_lower[word.lower()]
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def where(path: JsonPath) -> str:
    """A JSON path as a reader writes it: Statement[2].Condition.StringEquals."""
    if not path:
        return "the policy"
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def _statements(data: dict[str, Any]) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    raw = data.get("Statement")
    if isinstance(raw, dict):
        yield ("Statement",), raw
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            if isinstance(item, dict):
                yield ("Statement", index), item


def _strings(container: dict[str, Any], path: JsonPath, key: str) -> Iterator[tuple[JsonPath, str]]:
    """The strings of an element that holds a string or a list (other types: the schema's job)."""
    value = container.get(key)
    if isinstance(value, str):
        yield (*path, key), value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield (*path, key, index), item


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


def _show(value: Any) -> str:
    """A value quoted for a message: ASCII-safe, short, never a whole nested structure."""
    if isinstance(value, list | dict):
        return _kind_of(value)
    shown = json.dumps(value)
    return shown if len(shown) <= 80 else shown[:76] + '..."'
