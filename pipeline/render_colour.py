"""Colour for the text of plan, apply and drift, as Terraform colours its plans: ``+`` green,
``~`` yellow, ``-`` red, a conflict or failure bold red, and the diff of an update in the
same colours. Applied to the finished text line by line, so the renderers stay plain and
iamgate.colour alone decides whether a terminal gets colour."""

from __future__ import annotations

import re

STYLES = (
    (re.compile(r" {6}\+"), "green"),  # a diff line under an update
    (re.compile(r" {6}-"), "red"),
    (re.compile(r" {6}@@"), "cyan"),
    (re.compile(r" +\+ "), "green"),
    (re.compile(r" +~ "), "yellow"),
    (re.compile(r" +- "), "red"),
    (re.compile(r" +! "), "bold-red"),
    (re.compile(r" *(FAILED|failed:)"), "bold-red"),
    (re.compile(r" *warning:"), "yellow"),
    (re.compile(r"(Plan|Apply|Drift): "), "bold"),
)


def colour_report(text: str, on: bool) -> str:
    from iamgate.colour import paint_lines

    return paint_lines(text, STYLES, on)
