"""One line per AWS failure, for the report: the error code and AWS's own message."""

from __future__ import annotations


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
