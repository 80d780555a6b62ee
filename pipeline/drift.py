"""Drift: live IAM against the repository, reported like a plan with --prune.

Every difference counts: an out-of-band edit or a default version switched back
(update), a managed policy deleted by hand (create), an extra policy under iamgate's
ownership (delete, or retain when it is in use), a same-name policy that is not ours
(conflict). SCPs the same way (deploy.scps): content edited by hand (update), detached by
hand (attach), attached by hand elsewhere (detach), deleted (create), an extra SCP of ours
(detach and delete). Exit 2 on any; 1 when an account or the SCPs could not be checked.
"""

from __future__ import annotations

from .sync import RunReport


def exit_code(report: RunReport) -> int:
    if report.error or report.failed or report.organization_failed:
        return 1
    return 2 if report.pending else 0
