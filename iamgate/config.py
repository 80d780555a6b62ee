"""iamgate.yaml: found upward from the working directory, read with ruamel.yaml (or, when it is
plain, iamgate.config_yaml), schema-checked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from iamgate.config_schema import first_error, position

CONFIG_NAME = "iamgate.yaml"


class ConfigError(Exception):
    """One clear message about the configuration, with its file, line and column (exit 2)."""

    def __init__(
        self,
        message: str,
        file: Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column  # 1-based, when the mistake is one node of the file

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}: "
            if self.line:
                column = f"{self.column}:" if self.column else ""
                where = f"{self.file}:{self.line}:{column} "
        return f"{where}{self.message}"


@dataclass(frozen=True)
class LintException:
    """One lint.exceptions entry: a rule excepted for the files a glob matches, with a reason."""

    path: str  # glob, relative to the project root
    rule: str
    reason: str
    expires: dt.date | None
    line: int
    column: int = 0  # of the entry (its "- "), as the line


@dataclass(frozen=True)
class RuleWaiver:
    """One lint.rules entry: ``IG114: off``, or with a reason (a waiver):
    ``IG301: {level: off, reason: ..., expires: 2027-03-01}``."""

    rule: str  # as written: an id or a name
    level: str
    reason: str | None
    expires: dt.date | None
    line: int
    column: int = 0  # of the rule's key, as the line

    def expired(self, today: dt.date | None = None) -> bool:
        return self.expires is not None and self.expires < (today or dt.date.today())


@dataclass(frozen=True)
class Target:
    """One deploy.targets entry: the accounts (by OU, id or tag) that receive the policies."""

    name: str
    ous: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    exclude: tuple[str, ...] = ()
    policies: tuple[str, ...] = ("boundaries/*.json", "policies/*.json")
    line: int = 0


@dataclass(frozen=True)
class ScpAttachment:
    """deploy.scps (or deploy.rcps): one organization policy of scps/ (rcps/) and where it is
    attached (organization-level, planned once)."""

    policy: str  # the file name in scps/ (rcps/) without .json: its name in Organizations
    ous: tuple[str, ...] = ()  # OU paths below the root, ou- ids, or "Root"
    accounts: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class DeployConfig:
    """The deploy section: how plan, apply and drift reach the accounts, and what they sync."""

    role: str = "OrganizationAccountAccessRole"
    path: str = "/"
    concurrency: int = 8
    prune: bool = False  # apply (and plan) delete iamgate's policies that left the repository
    targets: tuple[Target, ...] = ()
    scps: tuple[ScpAttachment, ...] = ()
    rcps: tuple[ScpAttachment, ...] = ()  # RCPFullAWSAccess stays attached everywhere
    # OU paths, ou- ids, "Root" or account ids where AWS's FullAWSAccess may be detached.
    detach_full_aws_access: tuple[str, ...] = ()


@dataclass(frozen=True)
class OuConfig:
    """One level of the organization as the repository knows it (explain, simulate --account)."""

    path: str  # "Root", "Workloads", "Workloads/Dev"
    scps: tuple[str, ...] = ()  # names of SCPs in scps/ attached here (FullAWSAccess implied)
    accounts: tuple[str, ...] = ()  # account ids directly in this OU
    line: int = 0
    rcps: tuple[str, ...] = ()  # names of RCPs in rcps/ attached here (RCPFullAWSAccess implied)


@dataclass(frozen=True)
class OrganizationConfig:
    """The organization section: its OUs, their SCPs, RCPs and accounts."""

    ous: tuple[OuConfig, ...] = ()


@dataclass(frozen=True)
class Config:
    """iamgate.yaml as read, with every default filled in (the project without one: defaults)."""

    root: Path
    file: Path | None = None
    prefix: str = "service-"
    boundaries: tuple[str, ...] | None = None  # None: every policy in boundaries/
    fail_on: str = "error"
    rules: dict[str, str] = field(default_factory=dict)
    exceptions: tuple[LintException, ...] = ()
    deploy: DeployConfig = field(default_factory=DeployConfig)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    organization: OrganizationConfig = field(default_factory=OrganizationConfig)
    waivers: tuple[RuleWaiver, ...] = ()  # lint.rules written with a reason (and expiry)
    # Every lint.rules entry as written, with its place: the rules exist one layer up, and
    # lint checks these against them (iamgate.rule_references).
    rule_entries: tuple[RuleWaiver, ...] = ()


def find_config(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(
    explicit: Path | None = None, cwd: Path | None = None, *, cache: bool = False
) -> Config:
    """The explicit file, else the nearest iamgate.yaml upward from ``cwd``, else defaults.
    ``cache``: reuse the parse of an unchanged file (iamgate.config_cache)."""
    cwd = (cwd or Path.cwd()).resolve()
    if explicit is not None:
        path = explicit if explicit.is_absolute() else cwd / explicit
        if not path.is_file():
            raise ConfigError(f"configuration file {explicit} does not exist")
    else:
        found = find_config(cwd)
        if found is None:
            return Config(root=cwd)
        path = found
    return parse_config(path, cache=cache)


def parse_config(path: Path, *, cache: bool = False) -> Config:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration: {exc.strerror or exc}", path) from None
    if cache:
        from iamgate import config_cache

        found = config_cache.cached(path, raw, Config)
        if found is None or found.file != path or found.root != path.parent:
            found = _parse(path, raw)
            config_cache.remember(path, raw, found)
        return found
    return _parse(path, raw)


def _parse(path: Path, raw: bytes) -> Config:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError("the configuration is not UTF-8", path, line) from None
    data = _read_yaml(text, path)
    _validate(data, path)
    return _build(data, path)


def _read_yaml(text: str, path: Path) -> Any:
    from iamgate.config_yaml import read

    # Plain YAML is read without importing ruamel (iamgate.config_yaml); anything else, and
    # every syntax error, is ruamel's to read and locate.
    fast = read(text)
    if fast is not None:
        return fast
    return _read_with_ruamel(text, path)


def _read_with_ruamel(text: str, path: Path) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    yaml.Constructor = _dates_as_text()
    yaml.allow_duplicate_keys = False
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ConfigError(f"invalid YAML: {problem}", path, line, column) from None
    except YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path) from None
    except (ValueError, KeyError, TypeError) as exc:
        # An explicit tag on a value it cannot hold ("!!int abc") fails inside ruamel.
        raise ConfigError(f"invalid YAML: a tagged value cannot be read ({exc})", path) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            "the configuration must be a mapping of sections (delegation, lint, deploy)", path, 1
        )
    return data


@cache
def _dates_as_text() -> type:
    from ruamel.yaml.constructor import RoundTripConstructor

    class DatesAsText(RoundTripConstructor):
        """Leaves 2027-03-01 as text: ruamel builds dates itself and a bad one (2027-13-01)
        would fail there, without a line; as text the schema's date format check locates it."""

    DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", DatesAsText.construct_yaml_str)
    return DatesAsText


def _plain(node: Any) -> Any:
    """ruamel's round-trip types to JSON types; dates become ISO strings for the schema."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, dt.date):
        return node.isoformat()
    return node


def _line_of(data: Any, path: list[Any]) -> int | None:
    """The 1-based line of the key (or list item) at ``path``."""
    return position(data, path, at_value=False)[0]


def _validate(data: Any, path: Path) -> None:
    found = first_error(_plain(data), data)
    if found is not None:
        message, line, column = found
        raise ConfigError(message, path, line, column or None)


def _build(data: dict[str, Any], path: Path) -> Config:
    plain = _plain(data)
    delegation = plain.get("delegation", {})
    lint = plain.get("lint", {})
    deploy = plain.get("deploy", {})
    rules, waivers, rule_entries = _rules(lint.get("rules", {}), data)
    exceptions = tuple(
        LintException(
            path=item["path"],
            rule=item["rule"],
            reason=item["reason"],
            expires=dt.date.fromisoformat(item["expires"]) if "expires" in item else None,
            line=place[0] or 0,
            column=place[1],
        )
        for i, item in enumerate(lint.get("exceptions", []))
        for place in [position(data, ["lint", "exceptions", i], at_value=False)]
    )
    targets = tuple(
        Target(
            name=t["name"],
            ous=tuple(t.get("ous", ())),
            accounts=tuple(t.get("accounts", ())),
            tags=tuple(sorted(t.get("tags", {}).items())),
            exclude=tuple(t.get("exclude", ())),
            policies=tuple(t.get("policies", Target.policies)),
            line=_line_of(data, ["deploy", "targets", i]) or 0,
        )
        for i, t in enumerate(deploy.get("targets", []))
    )
    names: set[str] = set()
    for target in targets:
        # Point at the second use: the first one is where the name legitimately belongs.
        if target.name in names:
            raise ConfigError(
                f"deploy.targets: the name '{target.name}' is used twice", path, target.line
            )
        names.add(target.name)
    boundaries = delegation.get("boundaries")
    return Config(
        root=path.parent,
        file=path,
        prefix=delegation.get("prefix", "service-"),
        boundaries=tuple(boundaries) if boundaries is not None else None,
        fail_on=lint.get("fail-on", "error"),
        rules=rules,
        exceptions=exceptions,
        deploy=DeployConfig(
            role=deploy.get("role", DeployConfig.role),
            path=deploy.get("path", DeployConfig.path),
            # 8.0 is an integer to JSON Schema; the thread pool wants an int.
            concurrency=int(deploy.get("concurrency", DeployConfig.concurrency)),
            prune=deploy.get("prune", DeployConfig.prune),
            targets=targets,
            scps=_scp_attachments(deploy, data, path),
            rcps=_scp_attachments(deploy, data, path, "rcps", "RCP"),
            detach_full_aws_access=tuple(deploy.get("detach-full-aws-access", ())),
        ),
        raw=plain,
        organization=_organization(plain.get("organization", {}), data, path),
        waivers=waivers,
        rule_entries=rule_entries,
    )


_LEVELS = ("off", "info", "warning", "error")


def weakens(level: str, default: str) -> bool:
    """Does ``level`` turn a rule off or lower it below its own severity? Below --fail-on a
    security finding stops failing the gate, which is turning it off by another name."""
    return _LEVELS.index(level) < _LEVELS.index(default)


def _rules(
    section: dict[str, Any], data: Any
) -> tuple[dict[str, str], tuple[RuleWaiver, ...], tuple[RuleWaiver, ...]]:
    """lint.rules: each rule's level, the entries written with a reason, and every entry. A
    waiver whose expiry date has passed no longer sets its rule's level (the reports say so).
    Whether each rule exists, and whether a security rule is waived with a reason and an
    expiry, is lint's to check (iamgate.rule_references): the rules are a layer above."""
    rules: dict[str, str] = {}
    waivers: list[RuleWaiver] = []
    entries: list[RuleWaiver] = []
    for key, value in section.items():
        line, column = position(data, ["lint", "rules", key], at_value=False)
        if isinstance(value, dict):
            expires = value.get("expires")
            entry = RuleWaiver(
                rule=str(key),
                level=value["level"],
                reason=value.get("reason"),
                expires=dt.date.fromisoformat(expires) if expires else None,
                line=line or 0,
                column=column,
            )
        else:
            entry = RuleWaiver(str(key), value, None, None, line or 0, column)
        entries.append(entry)
        if entry.reason is not None or entry.expires is not None:
            waivers.append(entry)
        if not entry.expired():
            rules[str(key)] = entry.level
    return rules, tuple(waivers), tuple(entries)


def _organization(section: dict[str, Any], data: Any, path: Path) -> OrganizationConfig:
    """organization.ous: OU path -> SCPs attached there and the accounts directly in it."""
    ous: list[OuConfig] = []
    seen: dict[str, str] = {}
    for name, item in section.get("ous", {}).items():
        line = _line_of(data, ["organization", "ous", name]) or 0
        ou_path = "/".join(part for part in name.strip("/").split("/") if part) or "Root"
        if ou_path.startswith("Root/"):
            ou_path = ou_path[len("Root/") :]
        for account in item.get("accounts", ()):
            if account in seen:
                raise ConfigError(
                    f"organization.ous: account {account} is in both {seen[account]} and {ou_path}",
                    path,
                    line,
                )
            seen[account] = ou_path
        scps, accounts = tuple(item.get("scps", ())), tuple(item.get("accounts", ()))
        ous.append(OuConfig(ou_path, scps, accounts, line, tuple(item.get("rcps", ()))))
    return OrganizationConfig(tuple(ous))


def _scp_attachments(
    deploy: dict[str, Any], data: Any, path: Path, key: str = "scps", label: str = "SCP"
) -> tuple[ScpAttachment, ...]:
    """deploy.scps (deploy.rcps): one entry per policy, so all of its attachments are read in
    one place."""
    out: list[ScpAttachment] = []
    seen: set[str] = set()
    for i, item in enumerate(deploy.get(key, [])):
        line = _line_of(data, ["deploy", key, i]) or 0
        if item["policy"] in seen:
            raise ConfigError(
                f"deploy.{key}: the {label} '{item['policy']}' is listed twice; give it one entry "
                "with all its OUs and accounts",
                path,
                line,
            )
        seen.add(item["policy"])
        out.append(
            ScpAttachment(
                policy=item["policy"],
                ous=tuple(item.get("ous", ())),
                accounts=tuple(item.get("accounts", ())),
                line=line,
            )
        )
    return tuple(out)
