"""One line per AWS failure, for the report: the error code and AWS's own message."""

from __future__ import annotations

from typing import Any


def describe(exc: BaseException) -> str:
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code") or "Error"
        message = " ".join(str(error.get("Message") or "").split())
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts")
        tail = f" (after {attempts} retries)" if attempts else ""
        return f"{code}: {message}{tail}" if message else f"{code}{tail}"
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials (configure a profile, environment variables or CI OIDC)"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def error_code(exc: BaseException) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "")
    return ""


def is_aws_error(exc: BaseException) -> bool:
    """An AWS answer or a failure to reach AWS, as opposed to a bug."""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(exc, ClientError | BotoCoreError)


class ReportsFailures:
    """``failures`` and ``failed`` of a report (an account's, the SCPs') that holds the
    ``error`` which stopped it before its writes and the ``outcomes`` of the writes."""

    error: str
    outcomes: list[Any]

    @property
    def failures(self) -> list[str]:
        out = [self.error] if self.error else []
        out.extend(o.error for o in self.outcomes if o.status == "failed")
        return out

    @property
    def failed(self) -> bool:
        return bool(self.failures)
