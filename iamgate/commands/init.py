"""`iamgate init`: start an iamgate project in an existing repository.

Writes iamgate.yaml, a boundary and a delegation policy (the scenario iamgate exists for),
and the pre-commit hooks, and never overwrites anything: an existing file is kept and said
so; an existing .pre-commit-config.yaml gets the iamgate block added to its `repos:` list,
with the rest of the file left as it was, or, when that cannot be done safely, untouched
with the block printed for the user to paste.
"""

from __future__ import annotations

import argparse
import re
import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from iamgate import __version__

# Where iamgate lives: the hooks are pinned to this repository at this release's tag, so
# `pre-commit autoupdate` can move them to the next release.
PROJECT_URL = "https://github.com/iamgate/iamgate"
RELEASE_TAG = f"v{__version__}"
# The configuration schema at this release's tag: immutable, and what the installed iamgate
# validates against (the schema's own $id says the same; a test keeps them equal).
CONFIG_SCHEMA_URL = (
    f"https://raw.githubusercontent.com/iamgate/iamgate/{RELEASE_TAG}"
    "/iamgate/schemas/config.schema.json"
)
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
# project-relative destination -> template name
PROJECT_FILES = {
    "iamgate.yaml": "iamgate-config.yaml",
    "boundaries/S3AccessBoundary.json": "S3AccessBoundary.json",
    "policies/DelegatePermissions.json": "DelegatePermissions.json",
}
HOOK_ID = "iamgate-lint"
CACHE_ENTRY = ".iamgate_cache/"
_EMPTY_REPOS = re.compile(r"^repos:\s*(\[\s*\])?\s*(#.*)?$")


def template(name: str) -> str:
    return resources.files("iamgate").joinpath("templates", name).read_text(encoding="utf-8")


def hooks_block(repo: str = PROJECT_URL, rev: str = RELEASE_TAG) -> str:
    """The `repos:` item for the iamgate hooks, indented as an item of a top-level list."""
    return string.Template(template("pre-commit-remote.yaml")).substitute(repo=repo, rev=rev)


def config_text() -> str:
    """iamgate.yaml as init writes it: the schema line editors read, then the template."""
    return f"# yaml-language-server: $schema={CONFIG_SCHEMA_URL}\n" + template(
        PROJECT_FILES["iamgate.yaml"]
    )


@dataclass(frozen=True)
class Added:
    text: str | None  # the new file content; None when the file was left untouched
    note: str  # what happened, for the user


def add_hooks(text: str, block: str) -> Added:
    """``text`` (a .pre-commit-config.yaml) with ``block`` appended to its ``repos:`` list.

    Pure text insertion, so the user's comments and layout survive; the result is parsed
    again and given back only if it holds every original repo plus iamgate's.
    """
    data, error = _load_yaml(text)
    if error:
        return Added(None, f"it is not valid YAML ({error})")
    if data is None:
        return Added("repos:\n" + block, "added the iamgate hooks")
    if not isinstance(data, dict):
        return Added(None, "its top level is not a mapping")
    if _has_hook(data, HOOK_ID):
        return Added(None, f"it already runs {HOOK_ID}")
    repos = data.get("repos")
    if "repos" not in data:
        new = text + ("\n" if text and not text.endswith("\n") else "") + "repos:\n" + block
    elif not repos and _EMPTY_REPOS.match(_key_line(text, data)):
        # `repos:` or `repos: []`: the items go right below the key.
        new = _insert_after_key_line(text, data, block)
    elif isinstance(repos, list) and repos and _first_item_line(text, repos) is not None:
        new = _insert_into_list(text, data, repos, block)
    else:
        return Added(None, "its `repos:` is not a block list that an item can be added to")
    return _checked(new, data)


def _load_yaml(text: str) -> tuple[Any, str]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="rt").load(text), ""
    except YAMLError as exc:
        return None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _has_hook(data: dict[str, Any], hook_id: str) -> bool:
    for repo in data.get("repos") or []:
        for hook in (repo.get("hooks") or []) if isinstance(repo, dict) else []:
            if isinstance(hook, dict) and hook.get("id") == hook_id:
                return True
    return False


def _reindent(block: str, column: int) -> str:
    # The block's items start at column 2; the user's list may sit elsewhere.
    shift = column - 2
    lines = block.splitlines(keepends=True)
    if shift >= 0:
        return "".join(" " * shift + line if line.strip() else line for line in lines)
    return "".join(line[-shift:] if line.startswith(" " * -shift) else line for line in lines)


def _key_line(text: str, data: Any) -> str:
    line: int = data.lc.key("repos")[0]  # ruamel's (line, column) of the key, 0-based
    return text.splitlines()[line]


def _first_item_line(text: str, repos: Any) -> str | None:
    """The line of the list's first `- ` item; None for a flow list (`[...]`)."""
    line = text.splitlines()[repos.lc.item(0)[0]]
    return line if line.lstrip().startswith("- ") else None


def _insert_into_list(text: str, data: Any, repos: Any, block: str) -> str:
    lines = text.splitlines(keepends=True)
    first = _first_item_line(text, repos) or ""
    column = len(first) - len(first.lstrip())
    end = _end_of_top_level_value(lines, data, "repos")
    if end > 0 and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    lines.insert(end, _reindent(block, column))
    return "".join(lines)


def _insert_after_key_line(text: str, data: Any, block: str) -> str:
    lines = text.splitlines(keepends=True)
    line = data.lc.key("repos")[0]
    match = _EMPTY_REPOS.match(lines[line].rstrip("\r\n"))
    comment = match.group(2) if match and match.group(2) else ""
    lines[line] = f"repos:  {comment}\n" if comment else "repos:\n"
    lines.insert(line + 1, block)
    return "".join(lines)


def _end_of_top_level_value(lines: list[str], data: Any, key: str) -> int:
    """The index of the line where the value of top-level ``key`` ends: the next top-level
    key, less the blank lines and column-0 comments that introduce it."""
    start = data.lc.key(key)[0]
    later = sorted(data.lc.key(k)[0] for k in data if data.lc.key(k)[0] > start)
    end = later[0] if later else len(lines)
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return end


def _checked(after: str, original: Any) -> Added:
    data, error = _load_yaml(after)
    repos_before = list(original.get("repos") or [])
    if (
        error
        or not isinstance(data, dict)
        or not _has_hook(data, HOOK_ID)
        or list(data.get("repos") or [])[: len(repos_before)] != repos_before
    ):
        return Added(None, "its layout is unusual, so it was not edited")
    return Added(after, "added the iamgate hooks")


def git_toplevel(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory",
        nargs="?",
        type=Path,
        default=Path("."),
        help="the project folder (default: the current one)",
    )
    parser.add_argument(
        "--hooks-repo",
        metavar="URL",
        default=PROJECT_URL,
        help=f"the hook repository, e.g. a mirror (default: {PROJECT_URL})",
    )
    parser.add_argument(
        "--hooks-rev",
        metavar="REV",
        default=RELEASE_TAG,
        help=f"the tag or commit to pin (default: this release, {RELEASE_TAG})",
    )


def run(args: argparse.Namespace) -> int:
    from iamgate.config import ConfigError

    target: Path = args.directory
    if not target.is_dir():
        raise ConfigError(f"{target} is not a folder")
    if not args.hooks_repo.strip() or not args.hooks_rev.strip():
        raise ConfigError("--hooks-repo and --hooks-rev cannot be empty")
    for relative, name in PROJECT_FILES.items():
        content = config_text() if relative == "iamgate.yaml" else template(name)
        _write_new(target, relative, content)
    _ignore_result_cache(target)
    _add_pre_commit(target, hooks_block(args.hooks_repo, args.hooks_rev))
    print()
    print("Next steps (a section for your README):")
    print()
    print(template("next-steps.md"), end="")
    return 0


def _show(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _write_new(target: Path, relative: str, content: str) -> None:
    path = target / relative
    if path.exists():
        print(f"kept existing {_show(path)}")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # "x": even a file that appears between the check and the write is never overwritten.
    with path.open("x", encoding="utf-8", newline="") as handle:
        handle.write(content)
    print(f"wrote {_show(path)}")


def _ignore_result_cache(target: Path) -> None:
    """`iamgate lint` keeps its result cache in .iamgate_cache/ (which also ignores itself):
    say so in .gitignore too, where reviewers look."""
    path = target / ".gitignore"
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError):
        print(f"kept existing {_show(path)}: add {CACHE_ENTRY} to it")
        return
    if any(line.strip() in (CACHE_ENTRY, CACHE_ENTRY.rstrip("/")) for line in text.splitlines()):
        print(f"kept existing {_show(path)}: it already ignores {CACHE_ENTRY}")
        return
    separator = "\n" if text and not text.endswith("\n") else ""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{separator}# iamgate lint's result cache\n{CACHE_ENTRY}\n")
    print(f"{'added ' + CACHE_ENTRY + ' to' if text else 'wrote'} {_show(path)}")


def _add_pre_commit(target: Path, block: str) -> None:
    top = git_toplevel(target.resolve())
    if top is None:
        top = target
        print(f"note: {_show(target)} is not in a git repository; pre-commit needs one (git init)")
    path = top / PRE_COMMIT_CONFIG
    if not path.exists():
        _write_new(top, PRE_COMMIT_CONFIG, "repos:\n" + block)
        return
    try:
        added = add_hooks(path.read_text(encoding="utf-8"), block)
    except (OSError, UnicodeDecodeError) as exc:
        added = Added(None, f"it cannot be read ({exc})")
    if added.text is None:
        print(f"kept existing {_show(path)}: {added.note}")
        if "already runs" not in added.note:
            print(f"add this item to its `repos:` list:\n{block}")
        return
    path.write_text(added.text, encoding="utf-8", newline="")
    print(f"{added.note} to {_show(path)}")
