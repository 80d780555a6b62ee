"""AWS policy evaluation logic for one request.

    from iamgate.evaluator import Request, Decision, evaluate, statement_matches

``evaluate(request, identity, boundary=None, scps=())`` answers what AWS would decide;
``statement_matches(statement, request, version)`` whether one statement applies;
``covers_resource(statement, request, version)`` whether its Resource element does. Modules:
``request`` (the values), ``matching`` (wildcards), ``variables`` (policy variables),
``conditions`` / ``conditions_values`` (operators), ``engine`` (precedence and caching).
"""

from iamgate.evaluator.engine import covers_resource, evaluate, statement_matches
from iamgate.evaluator.request import Decision, DecisionKind, Request

__all__ = [
    "Decision",
    "DecisionKind",
    "Request",
    "covers_resource",
    "evaluate",
    "statement_matches",
]
