"""What `iamgate explain` found, as plain values every renderer reads (text, markdown, json,
html)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Catalog access levels, in the order a reader scans them: looking, then touching.
LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")
LEVEL_SHORT = {
    "List": "List",
    "Read": "Read",
    "Write": "Write",
    "Permissions management": "Perms",
    "Tagging": "Tag",
}
OTHER_SERVICES = "*"  # the row that stands for every service no policy names


def primary_level(access_level: str) -> str:
    """The catalog writes "Permissions management, Write" for some actions; the first one wins."""
    first = access_level.split(",")[0].strip()
    return first if first in LEVELS else "Write"


@dataclass(frozen=True, order=True)
class Source:
    """A statement that set a limit, located in its file."""

    layer: str  # "delegation" | "identity" | "boundary" | "scp" | "rcp"
    policy: str
    file: str
    line: int
    sid: str | None
    effect: str

    def label(self) -> str:
        name = f"statement {self.sid!r}" if self.sid else "a statement"
        kind = {"scp": "SCP ", "rcp": "RCP ", "boundary": "boundary "}.get(self.layer, "")
        return f"{kind}{self.policy} {name} ({self.file}:{self.line})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "policy": self.policy,
            "file": self.file,
            "line": self.line,
            "sid": self.sid,
            "effect": self.effect,
        }


@dataclass(frozen=True)
class Denial:
    """A resource a grant does not reach, and the statements that keep it out."""

    name: str  # "S3AccessBoundary"
    explicit: bool  # a Deny statement (else: simply not allowed)
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Grant:
    """One group of what the delegate can do in IAM."""

    # "boundary" | "unbounded" | "pass" | "policies" | "manage" | "read" | "other" | "never"
    kind: str
    title: str
    actions: tuple[str, ...]
    scope: str  # "prefix" | "any" | "named" | "none"
    boundaries: tuple[str, ...] = ()  # kind "boundary": the boundaries the delegate must set
    denials: tuple[Denial, ...] = ()
    sources: tuple[Source, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "actions": list(self.actions),
            "scope": self.scope,
            "boundaries": list(self.boundaries),
            "not_on": [
                {
                    "name": d.name,
                    "explicit": d.explicit,
                    "statements": [s.to_dict() for s in d.sources],
                }
                for d in self.denials
            ],
            "statements": [s.to_dict() for s in self.sources],
        }


@dataclass(frozen=True)
class Cell:
    """One service x access level of one layer: how much of it the layer allows, and where."""

    service: str  # "s3", or OTHER_SERVICES
    level: str
    allowed: tuple[str, ...]  # actions allowed on some resource
    total: int
    resources: tuple[str, ...] = ()  # where; "*" = any resource
    conditions: tuple[str, ...] = ()  # allowed only when KEY=VALUE is in the request
    allowed_by: tuple[Source, ...] = ()
    denied_by: tuple[Source, ...] = ()  # explicit Deny statements that remove actions
    not_allowed_by: tuple[str, ...] = ()  # layers that simply do not allow some actions

    @property
    def state(self) -> str:
        if not self.allowed:
            return "none"
        return "all" if len(self.allowed) >= self.total else "some"

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "level": self.level,
            "state": self.state,
            "allowed": len(self.allowed),
            "total": self.total,
            "actions": list(self.allowed),
            "resources": list(self.resources),
            "conditions": list(self.conditions),
            "allowed_by": [s.to_dict() for s in self.allowed_by],
            "denied_by": [s.to_dict() for s in self.denied_by],
            "not_allowed_by": list(self.not_allowed_by),
        }


@dataclass(frozen=True)
class Layer:
    kind: str  # "identity" | "boundary" | "scps" | "rcps" (when any is attached) | "ceiling"
    title: str  # "Any policy attached", "Boundary S3AccessBoundary", ...
    policies: tuple[tuple[str, str], ...]  # (name, file)
    cells: tuple[Cell, ...]

    def cell(self, service: str, level: str) -> Cell | None:
        for cell in self.cells:
            if cell.service == service and cell.level == level:
                return cell
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "policies": [{"name": n, "file": f} for n, f in self.policies],
            "cells": [c.to_dict() for c in self.cells],
        }


@dataclass(frozen=True)
class ServiceReach:
    """How far a created role reaches in one service: the line a reviewer reads first."""

    service: str
    label: str  # "s3:*", "12 of 215 s3 actions"
    levels: tuple[str, ...]  # access levels with anything allowed
    resources: tuple[str, ...]  # "*" = any resource
    conditions: tuple[str, ...]
    allowed_by: tuple[Source, ...]
    denied_by: tuple[Source, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "label": self.label,
            "levels": list(self.levels),
            "resources": list(self.resources),
            "conditions": list(self.conditions),
            "allowed_by": [s.to_dict() for s in self.allowed_by],
            "denied_by": [s.to_dict() for s in self.denied_by],
        }


@dataclass(frozen=True)
class Ceiling:
    """The most a role created by the delegate can do: any policy ∩ boundary ∩ SCPs."""

    boundary: str | None  # None: the delegate can create roles without a boundary
    boundary_file: str | None
    headline: str
    reach: tuple[ServiceReach, ...]
    other_services: str  # one sentence about every service no policy names
    services: tuple[str, ...]  # rows of the picture, OTHER_SERVICES last
    layers: tuple[Layer, ...]  # identity, boundary, scps, ceiling
    # Why the ceiling is UNSAFE (IG503): each escape's rule and the request that breaks it.
    escapes: tuple[str, ...] = ()

    @property
    def unsafe(self) -> bool:
        return bool(self.escapes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "boundary": self.boundary,
            "boundary_file": self.boundary_file,
            "unsafe": self.unsafe,
            "escapes": list(self.escapes),
            "headline": self.headline,
            "reach": [r.to_dict() for r in self.reach],
            "other_services": self.other_services,
            "services": list(self.services),
            "layers": [layer.to_dict() for layer in self.layers],
        }


@dataclass(frozen=True)
class ScpRef:
    level: str
    name: str
    file: str
    text: str = ""  # the SCP document, for the page that shows it beside the others


@dataclass(frozen=True)
class ResourceLimit:
    """What the RCPs on the path deny on one service's resources of the account, per caller."""

    service: str
    outside: tuple[str, ...]  # actions denied to principals outside the organization
    inside: tuple[str, ...]  # actions denied to principals of the organization
    services: tuple[str, ...]  # actions denied to AWS service principals
    total: int  # actions of the service
    denied_by: tuple[Source, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "total": self.total,
            "denied_outside_organization": list(self.outside),
            "denied_inside_organization": list(self.inside),
            "denied_to_aws_services": list(self.services),
            "denied_by": [s.to_dict() for s in self.denied_by],
        }


@dataclass(frozen=True)
class Explanation:
    policy: str
    file: str
    where: str  # "account 111111111111 (Root › Workloads › Workloads/Dev)"
    account: str | None
    ou: str | None
    levels: tuple[str, ...]
    scps: tuple[ScpRef, ...]
    grants: tuple[Grant, ...]
    ceilings: tuple[Ceiling, ...]
    notes: tuple[str, ...] = field(default=())
    policy_text: str = ""
    boundary_texts: tuple[tuple[str, str], ...] = ()  # (name, JSON text)
    rcps: tuple[ScpRef, ...] = ()  # RCPs on the path other than RCPFullAWSAccess
    resource_limits: tuple[ResourceLimit, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "file": self.file,
            "where": {
                "label": self.where,
                "account": self.account,
                "ou": self.ou,
                "levels": list(self.levels),
                "scps": [{"level": s.level, "name": s.name, "file": s.file} for s in self.scps],
                "rcps": [{"level": s.level, "name": s.name, "file": s.file} for s in self.rcps],
            },
            "resource_limits": [r.to_dict() for r in self.resource_limits],
            "delegate": [g.to_dict() for g in self.grants],
            "ceilings": [c.to_dict() for c in self.ceilings],
            "notes": list(self.notes),
        }
