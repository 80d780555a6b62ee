"""AWS policy evaluation logic for one request.

    from iamgate.evaluator import Request, Decision, evaluate, statement_matches

``evaluate(request, identity, boundary=None, scps=())`` answers what AWS would decide;
``statement_matches(statement, request, version)`` whether one statement applies. Modules:
``request`` (the values), ``matching`` (wildcards), ``variables`` (policy variables),
``conditions`` / ``conditions_values`` (operators), ``engine`` (precedence and caching).
"""

from iamgate.evaluator.engine import evaluate, statement_matches
from iamgate.evaluator.request import Decision, DecisionKind, Request

__all__ = ["Decision", "DecisionKind", "Request", "evaluate", "statement_matches"]
