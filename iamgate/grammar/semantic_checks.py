"""What a schema cannot say: unique Sids, ARN and action syntax, size, name, Version
semantics, characters."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from iamgate.grammar.arn_syntax import _VARIABLE, arn_problem
from iamgate.grammar.base import _NO_PRINCIPAL_KINDS, CheckerBase
from iamgate.grammar.problems import Problem
from iamgate.grammar.wording import _show, where

if TYPE_CHECKING:
    from iamgate.document import JsonPath

MANAGED_POLICY_LIMIT = 6144

_ACTION = re.compile(r"\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?-]+")
_SID = re.compile(r"[A-Za-z0-9]*")
_POLICY_NAME = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)
_NAME_CHAR = re.compile(r"[\w+=,.@-]", re.ASCII)
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
_REFUSED_CHARACTER = re.compile(r"[^\t\n\r\x20-\xff]")

# An ARN that arn_problem accepts, for the fast path: no variable (arn_problem reads "${...}"
# as a wildcard first), each part as arn_problem checks it, a resource part that is not empty.
_PLAIN_ARN = re.compile(r"\*|arn:[a-z0-9*?-]+:[A-Za-z0-9*?-]+:[a-z0-9*?-]*:[A-Za-z0-9*?-]*:(?s:.+)")

_KIND_PHRASE = {
    "identity": "an identity policy, which applies to whoever it is attached to",
    "boundary": "a permissions boundary, which applies to the role or user it is set on",
    "scp": "a service control policy, which applies to every principal of its accounts",
    "rcp": "a resource control policy",
}


class SemanticChecks(CheckerBase):
    """The checks a schema cannot express, one method each."""

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
                    Problem.SID_CHARACTERS,
                    f"{where(path)} is {_show(sid)}; a Sid may contain only ASCII letters and "
                    f"digits{fix}",
                    path,
                )
            if not sid:
                continue
            if sid in seen:
                line = self.doc.locate(seen[sid])[0]
                self.add(
                    Problem.DUPLICATE_SID,
                    f"{where(path)} {_show(sid)} is already the Sid of {where(seen[sid])} "
                    f"(line {line}); IAM requires unique Sids within a policy; rename one",
                    path,
                )
            else:
                seen[sid] = statement_path

    def actions(self) -> None:
        for statement_path, statement in self.statements:
            for element in ("Action", "NotAction"):
                value = statement.get(element)
                if value is None or _all_match(_ACTION, value):
                    continue  # absent, or the usual case: decided without a path per entry
                for path, action in _strings(statement, statement_path, element):
                    if not _ACTION.fullmatch(action):
                        self.add(
                            Problem.MALFORMED_ACTION,
                            f"{where(path)} is {_show(action)}; an action is service:ActionName, "
                            'e.g. "s3:GetObject" (wildcards allowed, "*" for every action)',
                            path,
                        )

    def resources(self) -> None:
        for statement_path, statement in self.statements:
            for element in ("Resource", "NotResource"):
                value = statement.get(element)
                if value is None or _all_match(_PLAIN_ARN, value):
                    continue
                for path, resource in _strings(statement, statement_path, element):
                    problem = arn_problem(resource)
                    if problem:
                        self.add(
                            Problem.MALFORMED_ARN,
                            f"{where(path)} is {_show(resource)}: {problem}",
                            path,
                        )

    def principals(self) -> None:
        if self.kind not in _NO_PRINCIPAL_KINDS:
            return
        for statement_path, statement in self.statements:
            for element in ("Principal", "NotPrincipal"):
                if element in statement:
                    path = (*statement_path, element)
                    self.add(
                        Problem.PRINCIPAL_NOT_ALLOWED,
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
                Problem.MISSING_VERSION,
                f'the policy has no Version, so IAM reads it as "2008-10-17" and {found}; '
                'add "Version": "2012-10-17"',
                (),
            )
        elif self.data["Version"] == "2008-10-17" and variable:
            self.add(
                Problem.VARIABLES_NEED_CURRENT_VERSION,
                f'Version "2008-10-17" reads {variable[1]} in {where(variable[0])} as literal '
                'text, not as a policy variable; write "Version": "2012-10-17"',
                ("Version",),
            )

    def first_variable(self) -> tuple[JsonPath, str] | None:
        text = self.doc.text
        if "${" not in text and "\\u" not in text:
            return None  # no string of the document can hold a variable
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
            Problem.POLICY_NAME,
            f"the policy name {_show(name)} (its file name) {problem}; rename the file",
            position=(1, 1),
        )

    def size(self) -> None:
        text = self.doc.text
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html:
        # IAM does not count whitespace against the limit.
        count = len(text)
        for space in " \n\t\r":
            if count <= MANAGED_POLICY_LIMIT:
                # Each count taken away leaves an upper bound, already within the limit: the
                # rest can only lower it (most files: the length, or after the spaces).
                return
            count -= text.count(space)
        if count > MANAGED_POLICY_LIMIT:
            self.add(
                Problem.POLICY_SIZE,
                f"the policy is {count:,} characters without whitespace, "
                f"{count - MANAGED_POLICY_LIMIT:,} over IAM's {MANAGED_POLICY_LIMIT:,}-character "
                "limit for managed policies; split it into two policies",
                position=(1, 1),
            )

    def characters(self) -> None:
        text = self.doc.text
        if text.isascii():
            # A document's text is one json's strict decoder accepted: no raw control
            # character inside a string, only " \t\n\r" between tokens. All ASCII, it then
            # holds nothing outside \t \n \r and U+0020-U+007F. (isascii reads a flag.)
            return
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
            Problem.POLICY_CHARACTERS,
            f"character U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')}) is not allowed "
            "in an IAM policy, which accepts only tab, line feed, carriage return and "
            f"U+0020-U+00FF; replace it{also}",
            position=(line, column),
        )


def _strings(container: dict[str, Any], path: JsonPath, key: str) -> Iterator[tuple[JsonPath, str]]:
    """The strings of an element that holds a string or a list (other types: the schema's job)."""
    value = container.get(key)
    if isinstance(value, str):
        yield (*path, key), value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield (*path, key, index), item


def _all_match(pattern: re.Pattern[str], value: Any) -> bool:
    """Whether ``value`` is a string, or a list of strings, that all match ``pattern`` whole
    (and hold no policy variable, which only the slow path reads)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or set(map(type, items)) - {str}:
        return False
    # Joined, a "$" ending one entry and a "{" starting the next only send it the slow way.
    return all(map(pattern.fullmatch, items)) and "${" not in "".join(items)
