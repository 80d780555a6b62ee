"""jsonschema's errors in IAM's words: one located issue per problem.

jsonschema is imported only here, and only when the fast conformance check fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from iamgate.grammar.base import _NO_PRINCIPAL_KINDS, CheckerBase
from iamgate.grammar.conformance import conforms
from iamgate.grammar.problems import Problem
from iamgate.grammar.schema import SET_PREFIXES, _validator, all_condition_operators
from iamgate.grammar.wording import _kind_of, _show, suggest, where

if TYPE_CHECKING:
    from jsonschema import ValidationError

    from iamgate.document import JsonPath

_RESOURCE_REQUIRED = {"identity": "identity policies", "boundary": "permissions boundaries"}


class SchemaErrors(CheckerBase):
    """The schema step: decided by the fast check, explained by jsonschema when it fails."""

    def schema(self) -> None:
        if conforms(self.data, self.kind):
            return
        try:
            errors = list(_validator(self.kind).iter_errors(self.data))
        except RecursionError:
            self.add(Problem.ELEMENT_TYPE, "the policy nests too deeply to be an IAM policy")
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
        # iter_errors sets every field; the stubs also allow "unset" (for hand-made errors).
        # The instance and the keyword's value are JSON: any JSON value.
        instance: Any = error.instance
        rule_value: Any = error.validator_value
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        if keyword == "additionalProperties":
            allowed = list(schema.get("properties", {}))
            for key in instance:
                if key not in allowed:
                    self.unknown_element(path, key, allowed)
        elif keyword == "required":
            for missing in rule_value:
                if missing not in instance:
                    self.missing(path, missing)
        elif keyword == "anyOf":
            names = [alternative["required"][0] for alternative in rule_value]
            self.missing_pair(path, names)
        elif keyword == "not":
            first, second = str(error.schema_path[-2]), rule_value["required"][0]
            self.both_of_pair(path, first, second)
        elif keyword == "enum":
            self.bad_value(path, instance)
        elif keyword == "pattern":
            self.unknown_operator(path, instance)
        elif keyword in ("type", "const"):
            self.wrong_type(path, instance)
        elif keyword == "minItems":
            self.empty_list(path)
        else:
            self.add(Problem.ELEMENT_TYPE, f"{where(path)}: {error.message[:200]}", path)

    def principal_reported(self, path: JsonPath, error: ValidationError) -> bool:
        """Whether a PRINCIPAL_NOT_ALLOWED issue reports this: the whole Principal must go,
        whatever its shape."""
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
            Problem.UNKNOWN_ELEMENT,
            f"{_show(key)} is not an element IAM knows {place} (names are case-sensitive); {hint}",
            (*path, key),
            key=True,
        )

    def missing(self, path: JsonPath, name: str) -> None:
        if name in self.suggested.get(path, ()):
            return
        if name == "Effect":
            self.add(
                Problem.EFFECT_VALUE,
                f'{where(path)} has no Effect; add "Effect": "Allow" or "Deny"',
                path,
            )
        elif name == "Statement":
            self.add(
                Problem.ELEMENT_TYPE,
                'the policy has no Statement; add "Statement": [...] with at least one statement',
                path,
            )
        else:
            self.add(Problem.ELEMENT_TYPE, f"{where(path)} has no {name}", path)

    def missing_pair(self, path: JsonPath, names: list[str]) -> None:
        if self.suggested.get(path, set()) & set(names):
            return
        if names[0] == "Action":
            self.add(
                Problem.ACTION_ELEMENT,
                f'{where(path)} has neither Action nor NotAction; add "Action" with the '
                "actions it covers",
                path,
            )
        else:
            required_in = _RESOURCE_REQUIRED.get(self.kind, "these policies")
            self.add(
                Problem.RESOURCE_ELEMENT,
                f"{where(path)} has neither Resource nor NotResource, which {required_in} "
                'require; add "Resource" with the ARNs it covers (or "*")',
                path,
            )

    def both_of_pair(self, path: JsonPath, first: str, second: str) -> None:
        pairs = {"Action": Problem.ACTION_ELEMENT, "Resource": Problem.RESOURCE_ELEMENT}
        self.add(
            pairs.get(first, Problem.ELEMENT_TYPE),
            f"{where(path)} has both {first} and {second}; keep one ({second} already means "
            f"every {first.lower()} except those listed)",
            (*path, second),
            key=True,
        )

    def bad_value(self, path: JsonPath, value: Any) -> None:
        if path == ("Version",):
            self.add(
                Problem.INVALID_VERSION,
                f'Version is {_show(value)}; IAM accepts only "2012-10-17" (current) or '
                '"2008-10-17" (legacy): write "2012-10-17"',
                path,
            )
            return
        fix = ""
        if isinstance(value, str) and value.strip().lower() in ("allow", "deny"):
            fix = f'; write "{value.strip().capitalize()}"'
        self.add(
            Problem.EFFECT_VALUE,
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
        self.add(Problem.CONDITION_OPERATOR, message, (*path, operator), key=True)

    def wrong_type(self, path: JsonPath, value: Any) -> None:
        what = _kind_of(value)
        here = where(path)
        split = self.split(path)
        if split is None:
            top_level: dict[JsonPath, str] = {
                ("Statement",): "write a statement object or a non-empty list of them",
                ("Id",): "Id must be a string",
            }
            expected = top_level.get(path, "see the IAM policy grammar")
            self.add(Problem.ELEMENT_TYPE, f"{here} is {what}; {expected}", path)
            return
        inner = split[1]
        element = inner[0] if inner else None
        item = len(inner) > 1
        if element in ("Action", "NotAction"):
            example = 'an action such as "s3:GetObject"'
            expected = f"each entry must be {example}" if item else f"write {example} or a list"
            self.add(Problem.ACTION_ELEMENT, f"{here} is {what}; {expected}", path)
        elif element in ("Resource", "NotResource"):
            example = 'an ARN or "*"'
            expected = f"each entry must be {example}" if item else f"write {example} or a list"
            self.add(Problem.RESOURCE_ELEMENT, f"{here} is {what}; {expected}", path)
        elif element is None:
            self.add(
                Problem.ELEMENT_TYPE,
                f"{here} is {what}; a statement is an object with Effect, Action and Resource",
                path,
            )
        elif element == "Sid":
            self.add(
                Problem.ELEMENT_TYPE,
                f"{here} is {what}; a Sid is a string of letters and digits",
                path,
            )
        elif element == "Condition":
            expected = [
                'an object of operators, e.g. {"StringEquals": {"aws:username": "alice"}}',
                'an object of condition keys to values, e.g. {"aws:username": "alice"}',
                "a string, number or boolean, or a list of them",
                "a string, number or boolean",
            ][min(len(inner), 4) - 1]
            self.add(Problem.ELEMENT_TYPE, f"{here} is {what}; it must be {expected}", path)
        else:
            self.add(
                Problem.ELEMENT_TYPE, f"{here} is {what}, which IAM does not accept here", path
            )

    def empty_list(self, path: JsonPath) -> None:
        here = where(path)
        if path == ("Statement",):
            self.add(
                Problem.ELEMENT_TYPE,
                "Statement is an empty list; a policy needs at least one",
                path,
            )
            return
        split = self.split(path)
        element = split[1][0] if split and split[1] else ""
        actions = element in ("Action", "NotAction")
        noun = "action" if actions else "resource"
        self.add(
            Problem.ACTION_ELEMENT if actions else Problem.RESOURCE_ELEMENT,
            f"{here} is an empty list, which IAM rejects; list at least one {noun} "
            "or remove the statement",
            path,
        )
