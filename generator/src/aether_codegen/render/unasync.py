"""Sync twins: each declared async module is rewritten into its blocking twin (unasync, the way
httpcore keeps its sync code), so the two flavours cannot drift.

The rewrite works on tokens, never on raw text, so a rule cannot fire inside an unrelated word:

- code: `async def/with/for` lose `async`, `await` is dropped, and identifiers are renamed
  (`AsyncFooOps` -> `SyncFooOps`, `AsyncFoo` -> `Foo`, `async_foo` -> `sync_foo`, `__aenter__`
  -> `__enter__`, ...);
- strings and comments: the same renames word by word, plus `async` -> `sync` and `await x` -> `x`;
- a line whose comment starts with `# async-only` is left out of the twin (a parameter or an
  argument the reference gives the async flavour only).

An import of another declared async source becomes an import of its twin, so a twin is made of
twins (AdminClient of the parts of AsyncAdminClient) with no re-export module in between.

What cannot be said with these rules goes in the pair's own small table (`names`, `replace`, `doc`),
where it is explicit and checked: a replacement that no longer matches its source is an error.
"""

from __future__ import annotations

import io
import itertools
import re
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from aether_codegen.errors import Problem, SpecError
from aether_codegen.render.format import ruff_format
from aether_codegen.render.project import SDK_PACKAGE_DIR


@dataclass(frozen=True)
class Twin:
    """One async source and the sync twin written from it (paths relative to the package dir)."""

    source: str
    target: str
    #: identifier renames for this pair only, applied before the general rules
    names: Mapping[str, str] = field(default_factory=dict)
    #: (old, new) exact text replacements on the rewritten source; each must match at least once
    replace: tuple[tuple[str, str], ...] = ()
    #: the twin's module docstring, when the rewritten one would not read right
    doc: str | None = None


# The pairs. Twins live in _generated/; the public sync modules (admin.py, _facade/sync_*.py)
# re-export them.
TWINS: tuple[Twin, ...] = (
    Twin(
        "admin_async.py",
        "_generated/admin.py",
        doc="AdminClient, the sync twin of AsyncAdminClient; import it from the admin module.",
    ),
    # AsyncAdminClient's parts, one a job (_admin/); AdminClient is made of their twins.
    Twin(
        "_admin/async_base.py",
        "_generated/admin_base.py",
        # Each admin client refuses the other flavour's clients, so the two names swap places here.
        replace=(
            ("client: BaseAsyncAetherClient", "client: BaseAetherClient"),
            (
                'BaseAetherClient, "; use AdminClient for sync clients"',
                'BaseAsyncAetherClient, "; use AsyncAdminClient for async clients"',
            ),
        ),
        doc="What every part of AdminClient stands on: the sync client it runs over, and `_run`.",
    ),
    Twin("_admin/async_registry.py", "_generated/admin_registry.py"),
    Twin("_admin/async_acl.py", "_generated/admin_acl.py"),
    Twin("_admin/async_acl_sets.py", "_generated/admin_acl_sets.py"),
    Twin("_admin/async_runtime.py", "_generated/admin_runtime.py"),
    Twin("_facade/async_admin.py", "_generated/sync_admin.py"),
    Twin("_facade/async_tasks.py", "_generated/sync_tasks.py"),
)

# Whole identifiers with no general pattern.
NAMES: Mapping[str, str] = {
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "aclose": "close",
    "asynccontextmanager": "contextmanager",
    "StopAsyncIteration": "StopIteration",
}
# General renames, first match wins. The operation mixins of _facade/ are AsyncFooOps / SyncFooOps.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Async(\w*)Ops"), r"Sync\1Ops"),
    (re.compile(r"Async([A-Z]\w*)"), r"\1"),
    (re.compile(r"async_(\w+)"), r"sync_\1"),
)
ASYNC_ONLY = re.compile(r"#\s*async-only\b")
_WORD = re.compile(r"[A-Za-z_]\w*")
_AWAIT_IN_TEXT = re.compile(r"\bawait\s+")
_ASYNC_WORD = re.compile(r"(?<![\w-])async(?![\w-])")
_PREFIXED = frozenset({"def", "with", "for"})
# Python 3.12+ tokenizes f-strings into parts; their text parts are prose like any string.
_TEXT_TOKENS = frozenset(
    {tokenize.STRING, tokenize.COMMENT, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
)


def rename(name: str, names: Mapping[str, str] | None = None) -> str:
    """The sync spelling of one identifier."""
    for table in (names or {}, NAMES):
        if name in table:
            return table[name]
    for pattern, repl in PATTERNS:
        if pattern.fullmatch(name):
            return pattern.sub(repl, name)
    return name


def _prose(text: str, names: Mapping[str, str] | None) -> str:
    text = _AWAIT_IN_TEXT.sub("", text)
    # The marker keeps its name in prose, so a comment about it reads the same in both flavours.
    text = _ASYNC_WORD.sub("sync", text)
    return _WORD.sub(lambda m: rename(m[0], names), text)


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    skip = (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    return [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in skip]


def _drop_async_only(source: str) -> str:
    marked = {
        n
        for t in _tokens(source)
        if t.type == tokenize.COMMENT and ASYNC_ONLY.match(t.string)
        for n in range(t.start[0], t.end[0] + 1)
    }
    lines = source.splitlines(keepends=True)
    return "".join(line for n, line in enumerate(lines, start=1) if n not in marked)


def unasync_source(
    source: str, names: Mapping[str, str] | None = None, doc: str | None = None
) -> str:
    """Rewrite async Python source into its blocking twin (unformatted)."""
    source = _drop_async_only(source)
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(pos: tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    tokens = _tokens(source)
    edits: list[tuple[int, int, str]] = []
    first = next((t for t in tokens if t.type != tokenize.COMMENT), None)
    if doc is not None and (first is None or first.type != tokenize.STRING):
        edits.append((0, 0, f'"""{doc}"""\n\n'))
    # The last token is ENDMARKER, so every token that matters has a successor.
    for tok, after in itertools.pairwise(tokens):
        if tok is first and doc is not None and tok.type == tokenize.STRING:
            edits.append((offset(tok.start), offset(tok.end), f'"""{doc}"""'))
            continue
        dropped = tok.string == "await" or (tok.string == "async" and after.string in _PREFIXED)
        if tok.type == tokenize.NAME and dropped:
            edits.append((offset(tok.start), offset(after.start), ""))
            continue
        if tok.type == tokenize.NAME:
            new = rename(tok.string, names)
        elif tok.type in _TEXT_TOKENS:
            new = _prose(tok.string, names)
        else:
            continue
        if new != tok.string:
            edits.append((offset(tok.start), offset(tok.end), new))
    for start, end, text in sorted(edits, reverse=True):
        source = source[:start] + text + source[end:]
    return source


def header(version: str, source: str) -> str:
    return (
        f"# DO NOT EDIT: generated by aether-codegen {version}.\n"
        f"# Input: {source} (this is its sync twin, written by render/unasync.py).\n"
        "# Change the async source, then run `aether-codegen generate`.\n"
    )


def _module(package: str, path: str) -> str:
    return ".".join([package, *PurePosixPath(path).with_suffix("").parts])


def _twin_imports(text: str, package: str, twins: tuple[Twin, ...]) -> str:
    """Point what the rewrite made of each declared source's module name at its twin's module."""
    for twin in twins:
        rewritten = ".".join(rename(part) for part in _module(package, twin.source).split("."))
        # Whole dotted names only: `x.sync_acl` must not match inside `x.sync_acl_sets`.
        pattern = rf"(?<![\w.]){re.escape(rewritten)}(?!\w)"
        text = re.sub(pattern, _module(package, twin.target), text)
    return text


def render_twin(
    twin: Twin,
    source_text: str,
    version: str,
    package_dir: str,
    twins: tuple[Twin, ...] = TWINS,
) -> str:
    """The formatted twin of `source_text`; SpecError if a replacement no longer matches."""
    source = f"{package_dir}/{twin.source}"
    text = unasync_source(source_text, twin.names, twin.doc)
    text = _twin_imports(text, PurePosixPath(package_dir).name, twins)
    missing = []
    for old, new in twin.replace:
        if old not in text:
            missing.append(Problem(source, "", f"twin replacement no longer matches: {old!r}"))
        text = text.replace(old, new)
    if missing:
        raise SpecError(missing)
    try:
        compile(text, twin.target, "exec")
    except SyntaxError as exc:
        problem = f"its sync twin is not valid Python (line {exc.lineno}: {exc.msg})"
        raise SpecError([Problem(source, "", problem, exc.lineno)]) from None
    target = f"{package_dir}/{twin.target}"
    return ruff_format(target, header(version, source) + "\n" + text)


def twin_sources(
    package_dir: str = SDK_PACKAGE_DIR, twins: tuple[Twin, ...] = TWINS
) -> dict[str, str]:
    """{twin path: its async source path}, both relative to the repository root."""
    return {f"{package_dir}/{t.target}": f"{package_dir}/{t.source}" for t in twins}


def render_twins(
    root: Path,
    version: str,
    package_dir: str = SDK_PACKAGE_DIR,
    twins: tuple[Twin, ...] = TWINS,
) -> dict[str, str]:
    """{twin path: text} for every declared pair, read from the sources under `root`."""
    files: dict[str, str] = {}
    for twin in twins:
        path = root / package_dir / twin.source
        if not path.is_file():
            problem = Problem(
                f"{package_dir}/{twin.source}", "", "async source of a twin is missing"
            )
            raise SpecError([problem])
        files[f"{package_dir}/{twin.target}"] = render_twin(
            twin, path.read_text(), version, package_dir, twins
        )
    return files
