"""The guided tour in ``docs/`` cannot go stale unnoticed.

- Every figure's DOT text, rebuilt from the current code by ``docs/make_figures.py``'s
  table, equals the committed ``docs/figures/NAME.dot`` (and its SVG exists).
- Every relative link in the pages points at a file that exists.
- Every page's Python blocks run, in order, and print exactly the output the page shows
  after each block; a block quoting library source (one that starts with ``class``)
  is found verbatim in ``minitorch/``.
- The "write your own op" page's comparison with PyTorch is a real check: with a wrong
  backward it fails.
"""
import contextlib
import importlib.util
import io
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
CODE_PAGES = [page for page in PAGES if "```python" in page.read_text()]
CUSTOM_OP_PAGE = DOCS / "08-custom-op.md"

# A fenced Python block, and the plain fenced block right after it (what it prints), if any.
_BLOCK = re.compile(r"```python\n(?P<code>.*?)```\n(?:```\n(?P<output>.*?)```)?", re.S)
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _load_figure_script():
    spec = importlib.util.spec_from_file_location("make_figures", DOCS / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIGURES = _load_figure_script().FIGURES


def _blocks(page: pathlib.Path) -> list:
    """(code, expected output or None) of each Python block of ``page``, in order."""
    return [(match["code"], match["output"]) for match in _BLOCK.finditer(page.read_text())]


def _run_blocks(page: pathlib.Path, blocks) -> None:
    """Run ``blocks`` in one namespace, as a reader pasting them in order would; compare each one's
    printed output with the page's (where that is given, not None)."""
    namespace = {"__name__": "__main__"}
    for index, (code, expected) in enumerate(blocks):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"{page.name}, block {index}", "exec"), namespace)
        if expected is not None:
            assert printed.getvalue() == expected, f"{page.name}, block {index}: the page shows other output"


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_committed_figure_matches_the_current_code(name):
    committed = DOCS / "figures" / f"{name}.dot"
    assert committed.exists() and (DOCS / "figures" / f"{name}.svg").exists(), \
        f"docs/figures/{name} is missing: run python3 docs/make_figures.py"
    assert FIGURES[name]().source == committed.read_text(), \
        f"docs/figures/{name}.dot is stale: run python3 docs/make_figures.py"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_relative_links_point_to_existing_files(page):
    targets = [link.split("#")[0] for link in _LINK.findall(page.read_text())
               if not re.match(r"[a-z]+:", link) and not link.startswith("#")]
    assert targets, f"{page.name} links to no file"
    missing = [target for target in targets if not (page.parent / target).exists()]
    assert not missing, f"{page.name} links to missing files: {missing}"


@pytest.mark.parametrize("page", CODE_PAGES, ids=lambda page: page.name)
def test_page_code_runs_and_prints_what_the_page_shows(page):
    blocks = _blocks(page)
    quoted = [code for code, _ in blocks if code.startswith("class ")]
    sources = [path.read_text() for path in (ROOT / "minitorch").rglob("*.py")] if quoted else []
    for code in quoted:
        assert any(code in source for source in sources), f"{page.name} quotes code no longer in minitorch/"
    _run_blocks(page, [(code, output or "") for code, output in blocks if not code.startswith("class ")])


def test_custom_op_page_comparison_with_torch_fails_for_a_wrong_backward():
    definition, _, comparison = _blocks(CUSTOM_OP_PAGE)
    correct = "return grad_output * x.sigmoid()      # Tensor ops"
    assert correct in definition[0] and "assert_allclose" in comparison[0]
    wrong = (definition[0].replace(correct, "return grad_output * x.sigmoid() * 1.01  # Tensor ops"), None)
    with pytest.raises(AssertionError, match="Not equal to tolerance"):
        _run_blocks(CUSTOM_OP_PAGE, [wrong, (comparison[0], None)])
