"""`--format junit`: JUnit XML for CI systems that show test reports (GitLab, Jenkins, Azure).

One test case per file checked. A file fails with one <failure> per finding at or above
--fail-on; findings below it, and findings a reviewed exception suppressed, are kept in the
case's <system-out> so they stay visible without failing the build. ``failures`` counts
failed test cases, as JUnit consumers expect when they compute a pass rate.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from iamgate.findings import RANK
from iamgate.reports import detail_lines, tool_versions, waiver_lines
from iamgate.reports.text import finding_line

if TYPE_CHECKING:
    from iamgate.findings import Finding
    from iamgate.lint import LintResult

# XML 1.0 cannot carry most control characters, even escaped; a policy value quoted in a
# message may hold one (JSON allows "\u0001"), and one such byte would void the whole file.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(result: LintResult, colour: bool = False) -> str:
    floor = RANK[result.fail_on]
    files = list(dict.fromkeys([*result.files, *(f.file for f in result.findings)]))
    by_file: dict[str, list[Finding]] = {name: [] for name in files}
    for finding in result.findings:
        by_file[finding.file].append(finding)
    suppressed: dict[str, list[Finding]] = {}
    for finding in result.suppressed:
        suppressed.setdefault(finding.file, []).append(finding)

    suite = ET.Element("testsuite", name="iamgate")
    # JUnit's <properties> (first in a test suite, shown with the run by CI systems) carry the
    # run's environment: the versions behind the verdicts and any security check waived.
    properties = ET.SubElement(suite, "properties")
    versions = tool_versions()
    for name, value in (
        ("iamgate.version", versions["version"]),
        ("catalog.name", versions["catalog"]["name"]),
        ("catalog.version", versions["catalog"]["version"]),
        ("catalog.updated", versions["catalog"].get("updated", "")),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    for line in waiver_lines(result):
        ET.SubElement(
            properties, "property", name="iamgate.security-check-waived", value=_xml_safe(line)
        )
    failed = 0
    for name in files:
        case = ET.SubElement(suite, "testcase", classname="iamgate.lint", name=_xml_safe(name))
        quiet: list[str] = []
        failing = False
        for finding in by_file[name]:
            if RANK[finding.severity] >= floor:
                failing = True
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=_xml_safe(f"{finding.rule} {finding.message}"),
                    type=f"{finding.severity} {finding.rule}",
                )
                failure.text = _explain(finding)
            else:
                quiet.append(_explain(finding))
        for finding in suppressed.get(name, ()):
            reason = (finding.exception or {}).get("reason", "")
            quiet.append(f"{_explain(finding)}\n  suppressed by a reviewed exception: {reason}")
        if quiet:
            ET.SubElement(case, "system-out").text = _xml_safe("\n".join(quiet) + "\n")
        failed += failing
    suite.set("tests", str(len(files)))
    suite.set("failures", str(failed))
    suite.set("errors", "0")
    suite.set("skipped", "0")

    root = ET.Element(
        "testsuites", name="iamgate", tests=str(len(files)), failures=str(failed), errors="0"
    )
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _explain(finding: Finding) -> str:
    lines = [finding_line(finding), *(f"  {line}" for line in detail_lines(finding))]
    return _xml_safe("\n".join(lines))


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
