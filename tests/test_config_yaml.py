"""The fast reader of iamgate.yaml reads what ruamel's round-trip parser reads, into the same
data and the same positions, or declines (and ruamel reads the file as before)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from iamgate.config import ConfigError, _plain, _read_with_ruamel, load_config
from iamgate.config_yaml import read

REPO = Path(__file__).resolve().parent.parent

TOKENS = [
    *["off", "on", "yes", "no", "y", "true", "True", "false", "null", "Null", "~", ""],
    *["8", "08", "0", "-1", "1.5", "1e3", "0x1f", "1_000", ".inf", "111111111111"],
    *["2027-11-30", "2027-1-3", "2027-11-30 10:00:00", "2027-13-01"],
    *["a b", "a  b", "a: b", "a:b", "a #b", "a#b", "a:", "http://x", "*.json", "&x", "!t"],
    *["boundaries/*.json", "-x", "- x", "x'y", 'x"y', "Workloads/Dev", "IG301", "ig-301"],
    *["[x]", "{x}", "a,b", "a, b", "é", "tab\there", "back\\slash", "/", "%x", "@x", "`x"],
]
KEYS = ["delegation", "lint", "rules", "IG301", "Workloads/Dev", "fail-on", "a b", "8", "true"]


def scalar(draw: st.DrawFn) -> str:
    token = draw(st.sampled_from(TOKENS))
    style = draw(st.sampled_from(["plain", "plain", "double", "single"]))
    if style == "double":
        return '"' + token + '"'
    if style == "single":
        return "'" + token.replace("'", "''") + "'"
    return token


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines: list[str] = []

    def comment() -> str:
        return draw(st.sampled_from(["", "", "  # note", " #x", "#x"]))

    def mapping(indent: int, depth: int, first_prefix: str | None = None) -> None:
        count = draw(st.integers(1, 3))
        for n in range(count):
            key = draw(st.sampled_from(KEYS))
            if draw(st.booleans()):
                key = draw(st.sampled_from(['"' + key + '"', "'" + key + "'", key]))
            lead = first_prefix if (n == 0 and first_prefix is not None) else " " * indent
            kind = draw(
                st.sampled_from(["scalar", "flow", "map", "seq"] if depth < 3 else ["scalar"])
            )
            sep = draw(st.sampled_from([": ", ":   ", " : "]))
            if kind == "scalar":
                lines.append(f"{lead}{key}{sep}{scalar(draw)}{comment()}")
            elif kind == "flow":
                items = ", ".join(scalar(draw) for _ in range(draw(st.integers(0, 3))))
                lines.append(f"{lead}{key}{sep}[{items}]{comment()}")
            else:
                lines.append(f"{lead}{key}:{comment()}")
                if draw(st.booleans()):
                    lines.append(draw(st.sampled_from(["", "# between", "   # indented"])))
                step = draw(st.sampled_from([2, 4]))
                if kind == "map":
                    mapping(indent + step, depth + 1)
                else:
                    sequence(indent + draw(st.sampled_from([0, step])), depth + 1)

    def sequence(indent: int, depth: int) -> None:
        for _ in range(draw(st.integers(1, 3))):
            gap = " " * draw(st.sampled_from([1, 1, 3]))
            if draw(st.booleans()) and depth < 3:
                mapping(indent + 1 + len(gap), depth + 1, " " * indent + "-" + gap)
            else:
                lines.append(" " * indent + "-" + gap + scalar(draw) + comment())

    if draw(st.booleans()):
        lines.append("# a header")
    mapping(0, 0)
    text = "\n".join(lines) + "\n"
    if draw(st.booleans()):  # one edit anywhere: a typo, an indent, a stray character
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at]
            + draw(st.sampled_from([" ", "  ", ":", "-", "#", "'", '"', "\n"]))
            + text[at:]
        )
    return text


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    found: list[tuple[tuple[Any, ...], Any]] = [(path, (node.lc.line, node.lc.col))]
    if isinstance(node, dict):
        for key, value in node.items():
            found.append(((*path, "key", key), node.lc.key(key)))
            found.append(((*path, "value", key), node.lc.value(key)))
            if isinstance(value, dict | list):
                found.extend(_places(value, (*path, key)))
    else:
        for index, value in enumerate(node):
            found.append(((*path, "item", index), node.lc.item(index)))
            if isinstance(value, dict | list):
                found.extend(_places(value, (*path, index)))
    return found


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value)


@settings(max_examples=600, deadline=None)
@given(documents())
def test_what_the_fast_reader_reads_ruamel_reads_alike(text: str) -> None:
    fast = read(text)
    if fast is None:
        return
    try:
        slow = _read_with_ruamel(text, Path("iamgate.yaml"))
    except ConfigError as error:
        raise AssertionError(f"ruamel refuses what the fast reader read: {error}") from None
    assert _plain(fast) == _plain(slow)
    assert _types(fast) == _types(slow)
    assert _places(fast) == _places(slow)


def test_the_example_and_the_template_take_the_fast_path() -> None:
    for name in ("iamgate.yaml", "iamgate/templates/iamgate-config.yaml"):
        text = (REPO / name).read_text()
        fast = read(text)
        assert fast is not None, name
        assert _places(fast) == _places(_read_with_ruamel(text, Path(name)))


def test_what_it_declines_ruamel_still_reads_and_locates(tmp_path: Path) -> None:
    config = tmp_path / "iamgate.yaml"
    config.write_text("lint:\n  fail-on: &x error\n  rules: {IG114: off}\n")
    assert read(config.read_text()) is None  # an anchor, a flow mapping
    assert load_config(config).rules == {"IG114": "off"}
    config.write_text("lint:\n  fail-on: error\n  fail-on: warning\n")
    assert read(config.read_text()) is None
    try:
        load_config(config)
    except ConfigError as error:
        assert (error.line, error.column) == (3, 3)
    else:
        raise AssertionError("a duplicate key must be an error")


def test_schema_errors_are_located_the_same_on_the_fast_path(tmp_path: Path) -> None:
    config = tmp_path / "iamgate.yaml"
    config.write_text("lint:\n  fail-on: sometimes\n")
    assert read(config.read_text()) is not None
    try:
        load_config(config)
    except ConfigError as error:
        assert (error.line, error.column) == (2, 12)
    else:
        raise AssertionError("fail-on: sometimes must be an error")
